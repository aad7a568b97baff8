import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, only, RecordedResource, secretValueOf, settle, valueOf } from "./support/mocks";
import { KubernetesIdentityService, KubernetesIdentityServiceArgs } from "../components/kubernetesIdentityService";
import { sourceContentTag } from "../lib/imageTag";
import { DYNAMIC_TYPES } from "../lib/typeTokens";

// Inputs and policies only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const sourceDir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-src-"));
fs.writeFileSync(path.join(sourceDir, "Dockerfile-OAuth"), "FROM scratch\n");
afterAll(() => fs.rmSync(sourceDir, { recursive: true, force: true }));

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";

const baseArgs: KubernetesIdentityServiceArgs = {
  image: "registry.example.com/creatio/identity:8.1.4",
  dbProvider: "Postgres",
  connectionString: pulumi.secret('Host=pg;Port=5432;Database=is;Username=is;Password="p;w"'),
  clientsJson: pulumi.secret('[{"ClientId":"abc"}]'),
  redisConnection: pulumi.secret("redis:6379,password=r"),
  certificate: { pfxBase64: pulumi.secret("UEZYLWJ5dGVz"), password: pulumi.secret("pfx-password") },
  publicUrl: "https://identity.example.com/",
};

async function build(args: Partial<KubernetesIdentityServiceArgs> = {}) {
  const resources = installMocks();
  const service = new KubernetesIdentityService("identity", { ...baseArgs, ...args });
  const url = await valueOf(service.url);
  await settle();
  return { resources, service, url, deployment: only(resources, DEPLOYMENT, "identity-deployment") };
}

const container = (d: RecordedResource) => d.inputs.spec.template.spec.containers[0];
const envByName = (d: RecordedResource): Record<string, any> => Object.fromEntries(container(d).env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe("KubernetesIdentityService: the Deployment", () => {
  it("rolls without taking a ready pod away, spreads pods across nodes and probes the discovery document over HTTPS", async () => {
    const { deployment } = await build();
    const spec = deployment.inputs.spec;
    expect(deployment.inputs.metadata).toMatchObject({ name: "creatio-identity-service", namespace: "creatio-identity" });
    // `pulumi up` puts back what someone changed by hand, instead of failing on the apply conflict.
    expect(deployment.inputs.metadata.annotations).toEqual({ "pulumi.com/patchForce": "true" });
    // A fixed name: a replacement must delete the old Deployment first.
    expect(deployment.options.deleteBeforeReplace).toBe(true);
    expect(spec.replicas).toBe(2);
    expect(spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(spec.selector.matchLabels).toEqual(spec.template.metadata.labels);
    expect(spec.template.spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: spec.selector.matchLabels } },
    ]);
    const c = container(deployment);
    expect(c.image).toBe("registry.example.com/creatio/identity:8.1.4");
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      expect(c[probe].httpGet).toEqual({ path: "/.well-known/openid-configuration", port: "https", scheme: "HTTPS" });
    }
    expect(c.resources).toEqual({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } });
  });

  it("takes every credential from Secrets: no credential value in the pod spec", async () => {
    const { deployment, resources } = await build();
    const env = envByName(deployment);
    const envSecret = only(resources, SECRET, "identity-env");
    const secretName = `identity-env-0a1b2c3d`;
    for (const name of ["PostgresConnection", "Clients", "ASPNETCORE_Kestrel__Certificates__Default__Password", "RedisConnection"]) {
      expect(env[name]).toEqual({ secretKeyRef: { name: secretName, key: name } });
    }
    expect(env).toMatchObject({
      DbProvider: "Postgres",
      ASPNETCORE_URLS: "https://+;http://+",
      ASPNETCORE_HTTPS_PORT: "443",
      ASPNETCORE_Kestrel__Certificates__Default__Path: "/https/aspnetapp.pfx",
      DOTNET_RUNNING_IN_CONTAINER: "true",
      Logging__LogLevel__Default: "Information",
    });
    expect(JSON.stringify(deployment.inputs)).not.toMatch(/p;w|pfx-password|ClientId|password=r/);
    // The Secret holds them, as a Pulumi secret, immutable (a change is a new Secret, which rolls the pods).
    expect(envSecret.inputs.immutable).toBe(true);
    expect(envSecret.inputs.metadata.name).toBeUndefined();
    expect(envSecret.secretInputs.has("stringData")).toBe(true);
    expect(envSecret.inputs.stringData).toEqual({
      PostgresConnection: 'Host=pg;Port=5432;Database=is;Username=is;Password="p;w"',
      Clients: '[{"ClientId":"abc"}]',
      ASPNETCORE_Kestrel__Certificates__Default__Password: "pfx-password",
      RedisConnection: "redis:6379,password=r",
    });
  });

  it("mounts the PFX from a Secret under /https, where Kestrel's path points", async () => {
    const { deployment, resources } = await build();
    const pfx = only(resources, SECRET, "identity-pfx");
    expect(pfx.inputs.data).toEqual({ "aspnetapp.pfx": "UEZYLWJ5dGVz" });
    expect(pfx.secretInputs.has("data")).toBe(true);
    expect(pfx.inputs.immutable).toBe(true);
    expect(container(deployment).volumeMounts).toEqual([{ name: "https", mountPath: "/https", readOnly: true }]);
    expect(deployment.inputs.spec.template.spec.volumes).toEqual([{ name: "https", secret: { secretName: "identity-pfx-0a1b2c3d" } }]);
  });

  it("rolls the pods when the client sync's reseed token changes (a pod-template annotation)", async () => {
    const without = await build();
    expect(without.deployment.inputs.spec.template.metadata.annotations).toEqual({});
    const { deployment } = await build({ reseedToken: pulumi.output("token-2") });
    expect(deployment.inputs.spec.template.metadata.annotations).toEqual({ "creatio-identity.io/reseed-token": "token-2" });
  });

  it("builds the image from Dockerfile-OAuth and pushes it to the registry with its login, and the pods pull with it", async () => {
    const { resources, deployment } = await build({
      image: undefined,
      sourceDir,
      imageName: "registry.example.com/creatio/identity",
      registry: { server: "registry.example.com", username: "ci", password: pulumi.secret("reg-pw") },
    });
    const image = only(resources, "docker:index/image:Image", "identity-image");
    const tagged = `registry.example.com/creatio/identity:${sourceContentTag(sourceDir)}`;
    expect(image.inputs).toMatchObject({ imageName: tagged, skipPush: false, registry: { server: "registry.example.com", username: "ci", password: "reg-pw" } });
    expect(image.secretInputs.has("registry")).toBe(true);
    // The pods run the pushed digest, so a rebuilt image under the same tag rolls them.
    expect(container(deployment).image).toBe(`${tagged}@sha256:fake`);
    const pull = only(resources, SECRET, "identity-registry");
    expect(pull.inputs.type).toBe("kubernetes.io/dockerconfigjson");
    expect(JSON.parse(pull.inputs.stringData[".dockerconfigjson"])).toEqual({
      auths: { "registry.example.com": { username: "ci", password: "reg-pw", auth: Buffer.from("ci:reg-pw").toString("base64") } },
    });
    expect(pull.secretInputs.has("stringData")).toBe(true);
    expect(deployment.inputs.spec.template.spec.imagePullSecrets).toEqual([{ name: "identity-registry-0a1b2c3d" }]);
  });

  it("pulls a given image in the cluster, not on this machine", async () => {
    const { resources } = await build();
    expect(resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
  });
});

describe("KubernetesIdentityService: around the Deployment", () => {
  it("makes the namespace, a Service on 443 and 80, and a PodDisruptionBudget with more than one pod", async () => {
    const { resources, service } = await build();
    expect(only(resources, "kubernetes:core/v1:Namespace").inputs.metadata).toEqual({ name: "creatio-identity" });
    const svc = only(resources, "kubernetes:core/v1:Service");
    expect(svc.inputs.metadata.name).toBe("creatio-identity-service");
    expect(svc.inputs.spec.type).toBe("ClusterIP");
    expect(svc.inputs.spec.ports).toEqual([
      { name: "https", port: 443, targetPort: "https", protocol: "TCP" },
      { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
    ]);
    const pdb = only(resources, "kubernetes:policy/v1:PodDisruptionBudget");
    expect(pdb.inputs.spec).toEqual({ minAvailable: 1, selector: { matchLabels: svc.inputs.spec.selector } });
    expect(await valueOf(service.namespace)).toBe("creatio-identity");
    expect(await valueOf(service.deploymentName)).toBe("creatio-identity-service");
    expect(await valueOf(service.serviceName)).toBe("creatio-identity-service");
  });

  it("uses an existing namespace, and one pod needs neither Redis nor a PodDisruptionBudget", async () => {
    const { resources, deployment } = await build({ createNamespace: false, namespace: "team-a", replicas: 1, redisConnection: undefined });
    expect(resources.filter((r) => r.type === "kubernetes:core/v1:Namespace")).toEqual([]);
    expect(resources.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget")).toEqual([]);
    expect(deployment.inputs.metadata.namespace).toBe("team-a");
    expect(envByName(deployment).RedisConnection).toBeUndefined();
  });

  it("refuses more than one pod without Redis, naming redisConnection", () => {
    installMocks();
    expect(() => new KubernetesIdentityService("x", { ...baseArgs, redisConnection: undefined })).toThrow(/2 pods need redisConnection/);
  });

  it("scales on CPU between replicas and replicasMax, and leaves the pod count to the autoscaler", async () => {
    const { resources } = await build({ replicasMax: 5, autoscaleCpuPercent: 60 });
    const hpa = only(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    expect(hpa.inputs.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "creatio-identity-service" },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }],
    });
    // The pod count is the autoscaler's: the Deployment does not set it (an update would reset it).
    expect(only(resources, DEPLOYMENT).inputs.spec.replicas).toBeUndefined();
    expect((await build()).deployment.inputs.spec.replicas).toBe(2);
  });

  it("serves publicUrl's host through an Ingress with the certificate as a kubernetes.io/tls Secret, HTTPS to the pods", async () => {
    const { resources, url } = await build({
      ingress: { className: "nginx", tls: pulumi.secret({ privateKeyPem: "-----BEGIN PRIVATE KEY-----\nk\n", certificateChainPem: "-----BEGIN CERTIFICATE-----\nc\n" }) },
    });
    expect(url).toBe("https://identity.example.com");
    const tls = only(resources, SECRET, "identity-tls");
    expect(tls.inputs.type).toBe("kubernetes.io/tls");
    expect(tls.inputs.stringData).toEqual({ "tls.crt": "-----BEGIN CERTIFICATE-----\nc\n", "tls.key": "-----BEGIN PRIVATE KEY-----\nk\n" });
    expect(tls.secretInputs.has("stringData")).toBe(true);
    const ingress = only(resources, "kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingress.inputs.metadata.annotations).toEqual({ "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS" });
    expect(ingress.inputs.spec).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: ["identity.example.com"], secretName: "identity-tls-0a1b2c3d" }],
      rules: [
        { host: "identity.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "creatio-identity-service", port: { name: "https" } } } }] } },
      ],
    });
  });

  it("snapshots the database before the Deployment changes image, and gives the restore the Deployment to scale", async () => {
    const { resources, deployment } = await build({
      databaseSnapshots: { connectionString: pulumi.secret("Host=127.0.0.1;Port=5432;Database=is;Username=is;Password=x"), keep: 2 },
      kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
      context: "prod",
    });
    const snapshot = only(resources, DYNAMIC_TYPES.databaseSnapshot, "identity-db-snapshot");
    expect(snapshot.inputs).toMatchObject({
      image: "registry.example.com/creatio/identity:8.1.4",
      containerName: "creatio-identity-service",
      containerImage: "registry.example.com/creatio/identity:8.1.4",
      kubernetes: { kubeconfig: "apiVersion: v1\nkind: Config\n", context: "prod", namespace: "creatio-identity" },
    });
    expect(snapshot.secretInputs.has("kubernetes")).toBe(true);
    expect(container(deployment).image).toBe("registry.example.com/creatio/identity:8.1.4");
    // From the snapshot resource's output: no image change without its update (`--target` included).
    expect(deployment.options.propertyDependencies.spec).toEqual(expect.arrayContaining([expect.stringMatching(/::identity-db-snapshot$/)]));
    // An explicit cluster gets its own provider, with the kubeconfig as a secret.
    const provider = only(resources, "pulumi:providers:kubernetes");
    expect(provider.inputs).toMatchObject({ context: "prod" });
    expect(provider.secretInputs.has("kubeconfig")).toBe(true);
  });

  it("uses the stack's default Kubernetes provider when no cluster is given", async () => {
    const { resources } = await build();
    expect(resources.filter((r) => r.type === "pulumi:providers:kubernetes")).toEqual([]);
  });

  it("exports the URL once the Deployment is ready, and no secret in its plain outputs", async () => {
    const { service } = await build();
    expect(await secretValueOf(service.url)).toEqual({ value: "https://identity.example.com", secret: false });
    expect(await secretValueOf(service.discoveryUrl)).toEqual({ value: "https://identity.example.com/.well-known/openid-configuration", secret: false });
  });
});
