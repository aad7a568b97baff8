import * as pulumi from "@pulumi/pulumi";
import { installMocks, only, pfxBundleFaker, secretValueOf, settle } from "./support/mocks";
import { parse, projectDir } from "./support/stackConfig";
import { createIdentityStack } from "../stack";
import { PFX_BUNDLE_TYPE } from "../components/pfxBundle";
import { IDENTITY_CLIENT_SYNC_TYPE } from "../components/identityClientSync";
import { CREATIO_OAUTH_INTEGRATION_TYPE } from "../components/creatioOAuthIntegration";
import { COMPONENT_TYPES, DYNAMIC_TYPES } from "../lib/typeTokens";

// Inputs and outputs only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const kubernetesStack: Record<string, string> = {
  platform: "kubernetes",
  publicUrl: "https://identity.example.com",
  databaseMode: "server",
  databaseHost: "pg.example.com",
  databaseAdminUsername: "pulumi_admin",
  databaseAdminPassword: "admin-pw",
  redisConnection: "redis:6379,password=r",
  imageName: "registry.example.com/creatio/identity",
  ingressClassName: "nginx",
};
const secretKeys = ["databaseAdminPassword", "redisConnection", "creatioPassword"];

async function runStack(values: Record<string, string>) {
  const resources = installMocks({ fakers: { [PFX_BUNDLE_TYPE]: pfxBundleFaker } });
  const outputs = createIdentityStack(parse(values, secretKeys, projectDir()));
  const resolved: Record<string, { value: unknown; secret: boolean }> = {};
  for (const [k, v] of Object.entries(outputs)) if (v !== undefined) resolved[k] = await secretValueOf(v as pulumi.Output<unknown>);
  await settle();
  return { resources, resolved };
}

describe("the stack program on Kubernetes", () => {
  it("runs the Identity Service as a Deployment, with no Docker container or network, and outputs where it runs", async () => {
    const { resources, resolved } = await runStack(kubernetesStack);
    only(resources, COMPONENT_TYPES.kubernetesIdentityService, "creatio-identity-service");
    expect(resources.filter((r) => r.type === COMPONENT_TYPES.identityService)).toEqual([]);
    expect(resources.filter((r) => /^docker:index\/(container|network|volume):/.test(r.type))).toEqual([]);
    // The image is still built here, and pushed to the registry the cluster pulls from.
    expect(only(resources, "docker:index/image:Image").inputs.skipPush).toBe(false);
    const deployment = only(resources, "kubernetes:apps/v1:Deployment");
    const env = Object.fromEntries(deployment.inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e]));
    expect(env.PostgresConnection.valueFrom.secretKeyRef.key).toBe("PostgresConnection");
    expect(env.RedisConnection.valueFrom.secretKeyRef.key).toBe("RedisConnection");
    expect(resolved.kubernetesNamespace).toEqual({ value: "creatio-identity", secret: false });
    expect(resolved.deploymentName).toEqual({ value: "creatio-identity-service", secret: false });
    expect(resolved.serviceName).toEqual({ value: "creatio-identity-service", secret: false });
    expect(resolved.identityServiceUrl).toEqual({ value: "https://identity.example.com", secret: false });
    expect(resolved.clientSecret.secret).toBe(true);
    expect(resolved.connectionString.secret).toBe(true);
  });

  it("keeps the client sync before the pods, carrying its reseed token into the pod template", async () => {
    const resources = installMocks({
      fakers: {
        [PFX_BUNDLE_TYPE]: pfxBundleFaker,
        [IDENTITY_CLIENT_SYNC_TYPE]: (a) => ({ ...a.inputs, clientsJson: `SYNCED:${a.inputs.clientsJson}`, reseedToken: "rotated-1", removedClientIds: ["old"] }),
      },
    });
    const outputs = createIdentityStack(parse(kubernetesStack, secretKeys, projectDir()));
    await secretValueOf(outputs.identityServiceUrl);
    await settle();
    const sync = only(resources, IDENTITY_CLIENT_SYNC_TYPE);
    expect(sync.inputs.connectionString).toMatch(/^Host=pg\.example\.com;/);
    const template = only(resources, "kubernetes:apps/v1:Deployment").inputs.spec.template;
    expect(template.metadata.annotations).toEqual({ "creatio-identity.io/reseed-token": "rotated-1" });
    expect(only(resources, "kubernetes:core/v1:Secret", "creatio-identity-service-env").inputs.stringData.Clients).toMatch(/^SYNCED:/);
  });

  it("snapshots the database before image changes and restores it with the Deployment scaled down", async () => {
    const { resources } = await runStack({ ...kubernetesStack, restoreDatabaseSnapshot: "snapshot_20261202064216_src_3f2a9c1b7d4e" });
    const snapshot = only(resources, DYNAMIC_TYPES.databaseSnapshot);
    expect(snapshot.inputs).toMatchObject({
      restore: "snapshot_20261202064216_src_3f2a9c1b7d4e",
      containerName: "creatio-identity-service",
      kubernetes: { namespace: "creatio-identity" },
    });
    expect(snapshot.inputs.connectionString).toMatch(/^Host=pg\.example\.com;/);
  });

  it("serves the stack's certificate at the Ingress (its key as a secret)", async () => {
    const { resources } = await runStack(kubernetesStack);
    const tls = only(resources, "kubernetes:core/v1:Secret", "creatio-identity-service-tls");
    expect(tls.inputs.stringData["tls.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----\nfake-creatio-identity-certificate-key/);
    expect(tls.secretInputs.has("stringData")).toBe(true);
    expect(only(resources, "kubernetes:networking.k8s.io/v1:Ingress").inputs.spec.rules[0].host).toBe("identity.example.com");
  });

  it("switches Creatio over to publicUrl once the Deployment is ready", async () => {
    const { resources } = await runStack({ ...kubernetesStack, creatioIntegration: "true", creatioPassword: "pw" });
    const integration = only(resources, CREATIO_OAUTH_INTEGRATION_TYPE);
    expect(integration.inputs.identityServerUrl).toBe("https://identity.example.com");
    expect(integration.inputs.identityServerCheckUrl).toBe("https://identity.example.com");
  });
});
