/**
 * The policy pack's Kubernetes rules: each fed a Deployment as the KubernetesIdentityService
 * component builds it (registered by the real stack program under mocks) and variants of it.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, RecordedResource, settle } from "./support/mocks";
import { parse, projectDir } from "./support/stackConfig";
import { createIdentityStack } from "../stack";
import { isIdentityServiceDeployment, kubernetesAvailabilityViolations, kubernetesPlainCredentialViolations, PlainResource, RESOURCE_TYPES } from "../policy/rules";

// Inputs and policies only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const kubernetesStack: Record<string, string> = {
  platform: "kubernetes",
  publicUrl: "https://identity.example.com",
  image: "registry.example.com/is:8.1.4",
  databaseMode: "server",
  databaseHost: "pg.example.com",
  databaseAdminUsername: "pulumi_admin",
  databaseAdminPassword: "admin-pw",
  redisConnection: "redis:6379,password=r",
};

/** What the stack program registers for `values`, as the rules see it (mocks report no parents: the rules recognise the Deployment by its environment). */
async function stackResources(stack: string, values: Record<string, string>): Promise<PlainResource[]> {
  const recorded = installMocks({ stack });
  const outputs = createIdentityStack(parse(values, ["databaseAdminPassword", "redisConnection"], projectDir()));
  await new Promise<void>((resolve) => pulumi.all(Object.values(outputs).filter(Boolean)).apply(() => resolve()));
  await settle();
  return recorded.map((r: RecordedResource) => ({ type: r.type, name: r.name, urn: `urn:pulumi:${stack}::creatio-identity::${r.type}::${r.name}`, props: r.inputs }));
}

const deploymentOf = (resources: PlainResource[]) => resources.find((r) => r.type === RESOURCE_TYPES.deployment)!;

/** The Deployment with one env entry changed. */
function withEnvEntry(d: PlainResource, entry: { name: string; value?: string; valueFrom?: unknown }): PlainResource {
  const spec = structuredClone(d.props.spec) as any;
  const env = spec.template.spec.containers[0].env as any[];
  spec.template.spec.containers[0].env = [...env.filter((e) => e.name !== entry.name), entry];
  return { ...d, props: { ...d.props, spec } };
}

describe("kubernetes-credentials-from-secrets", () => {
  it("passes the Deployment the component builds, and knows it for the Identity Service", async () => {
    const d = deploymentOf(await stackResources("prod", kubernetesStack));
    expect(isIdentityServiceDeployment(d)).toBe(true);
    expect(kubernetesPlainCredentialViolations(d)).toEqual([]);
  });

  it("reports each credential set as a plain value, by name and never by value", async () => {
    const d = deploymentOf(await stackResources("prod", kubernetesStack));
    const bad = withEnvEntry(withEnvEntry(d, { name: "Clients", value: '[{"ClientId":"x","Secrets":["top-secret"]}]' }), {
      name: "RedisConnection",
      value: "redis:6379,password=hunter2",
    });
    const violations = kubernetesPlainCredentialViolations(bad);
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/^The Identity Service Deployment "creatio-identity-service-deployment" sets Clients as a plain value in its pod spec.*secretKeyRef/),
      expect.stringMatching(/sets RedisConnection as a plain value/),
    ]);
    expect(JSON.stringify(violations)).not.toMatch(/top-secret|hunter2/);
  });

  it("leaves other Deployments alone", () => {
    const other: PlainResource = {
      type: RESOURCE_TYPES.deployment,
      name: "web",
      urn: "urn:pulumi:prod::p::kubernetes:apps/v1:Deployment::web",
      props: { spec: { template: { spec: { containers: [{ name: "web", env: [{ name: "Clients", value: "not ours" }] }] } } } },
    };
    expect(isIdentityServiceDeployment(other)).toBe(false);
    expect(kubernetesPlainCredentialViolations(other)).toEqual([]);
  });
});

describe("kubernetes-availability-outside-dev", () => {
  it("passes two pods with the PodDisruptionBudget the component makes", async () => {
    expect(kubernetesAvailabilityViolations(await stackResources("prod", kubernetesStack), { stack: "prod" })).toEqual([]);
  });

  it("reports one pod outside dev (no PodDisruptionBudget either), and allows it on dev", async () => {
    const single = { ...kubernetesStack, replicas: "1" };
    const messages = kubernetesAvailabilityViolations(await stackResources("test", single), { stack: "test" }).map((v) => v.message);
    expect(messages).toEqual([
      expect.stringMatching(
        /^Stack "test" is not a dev stack \(policy config devStacks\), but the Identity Service Deployment "creatio-identity-service-deployment" runs one pod: .*`pulumi config set replicas 2`/,
      ),
      expect.stringMatching(/no PodDisruptionBudget covers the pods/),
    ]);
    expect(kubernetesAvailabilityViolations(await stackResources("dev", single), { stack: "dev" })).toEqual([]);
    expect(kubernetesAvailabilityViolations(await stackResources("sandbox", single), { stack: "Sandbox", devStacks: ["sandbox"] })).toEqual([]);
  });

  it("counts the autoscaler's minimum when the autoscaler sets the pod count", async () => {
    const resources = await stackResources("prod", { ...kubernetesStack, replicasMax: "4" });
    expect((deploymentOf(resources).props.spec as { replicas?: number }).replicas).toBeUndefined();
    expect(kubernetesAvailabilityViolations(resources, { stack: "prod" })).toEqual([]);
  });

  it("does not count a PodDisruptionBudget for other pods", async () => {
    const resources = (await stackResources("prod", kubernetesStack)).map((r) =>
      r.type === RESOURCE_TYPES.podDisruptionBudget ? { ...r, props: { ...r.props, spec: { minAvailable: 1, selector: { matchLabels: { app: "web" } } } } } : r,
    );
    expect(kubernetesAvailabilityViolations(resources, { stack: "prod" }).map((v) => v.message)).toEqual([expect.stringMatching(/no PodDisruptionBudget covers/)]);
  });
});
