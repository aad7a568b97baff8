/** Where the Identity Service runs: the rules of each platform, and the Kubernetes settings. */
import * as pulumi from "@pulumi/pulumi";
import { registryHost } from "../../lib/imageTag";
import { ConfigKey, PROJECT } from "../keys";
import { KUBERNETES_KEYS } from "../keys/kubernetes";
import { StackConfig } from "../types";
import { ConfigContext } from "../values";

/** Keys of the one-container Docker platform (ports on the Docker host, the container's name). */
const DOCKER_ONLY_KEYS: ConfigKey[] = ["containerName", "httpPort", "httpsPort", "listenAddress"];

/** Millicores of a CPU quantity the keys accepted (`250m`, `0.5`, `1`). */
function millicores(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

/** Bytes of a memory quantity the keys accepted (`256Mi`, `1G`). */
function bytes(q: string): number {
  const m = /^([\d.]+)([A-Za-z]*)$/.exec(q)!;
  const factor: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * factor[m[2]];
}

/** The Kubernetes settings (undefined on Docker), after the rules between the platform and the other keys. */
export function platformConfig(ctx: ConfigContext, service: StackConfig["service"]): StackConfig["kubernetes"] {
  const { typed } = ctx;
  // Set at all, even where the value itself was refused (a secret in plain text is reported once, under its own key).
  const given = (key: ConfigKey) => !!ctx.raw.values[`${PROJECT}:${key}`];
  if (typed.platform !== "kubernetes") {
    ctx.onlyWith(Object.keys(KUBERNETES_KEYS) as ConfigKey[], "with platform kubernetes (`pulumi config set platform kubernetes`)");
    return undefined;
  }
  ctx.onlyWith(DOCKER_ONLY_KEYS, "with platform docker (on Kubernetes, the Service answers on ports 443 and 80 and the Deployment names the pods)");
  if (typed.databaseMode === "container") {
    ctx.problem(
      "databaseMode",
      "container is for one Docker host and cannot be used with platform kubernetes. Fix: `pulumi config set databaseMode server` (a role and database on your PostgreSQL server) or `pulumi config set databaseMode connectionString`.",
    );
  }
  ctx.need("publicUrl", "with platform kubernetes: the URL Creatio and browsers reach the Identity Service at (the Ingress host, or the Service's address)");
  if (typed.replicas > 1 && !given("redisConnection")) {
    ctx.problem(
      "redisConnection",
      `is required when replicas is more than 1 (it is ${typed.replicas}): the Identity Service pods share their machine key through Redis, or tokens one pod issues fail at another. ` +
        "Fix: `pulumi config set --secret redisConnection 'redis.example.com:6379,password=...'`, or `pulumi config set replicas 1`.",
    );
  }
  if (typed.replicasMax !== undefined && typed.replicasMax < typed.replicas) {
    ctx.problem(
      "replicasMax",
      `must be at least replicas (${typed.replicas}). Fix: \`pulumi config set replicasMax ${Math.max(typed.replicas * 2, 2)}\`, or remove it for a fixed number of pods.`,
    );
  }
  if (typed.replicasMax === undefined) ctx.onlyWith(["autoscaleCpuPercent"], "with replicasMax (the autoscaler)");
  if (millicores(typed.cpuRequest) > millicores(typed.cpuLimit)) {
    ctx.problem("cpuRequest", `${typed.cpuRequest} is more than cpuLimit (${typed.cpuLimit}). Fix: \`pulumi config set cpuLimit ${typed.cpuRequest}\`, or a smaller cpuRequest.`);
  }
  if (bytes(typed.memoryRequest) > bytes(typed.memoryLimit)) {
    ctx.problem(
      "memoryRequest",
      `${typed.memoryRequest} is more than memoryLimit (${typed.memoryLimit}). Fix: \`pulumi config set memoryLimit ${typed.memoryRequest}\`, or a smaller memoryRequest.`,
    );
  }
  if (typed.ingressClassName !== undefined && typed.publicUrl !== undefined && !typed.publicUrl.startsWith("https://")) {
    ctx.problem(
      "publicUrl",
      `must be an https:// URL with an Ingress (ingressClassName is set): the Ingress serves TLS for its host. Fix: \`pulumi config set publicUrl https://identity.example.com\`.`,
    );
  }
  // The image the pods run must come from a registry the cluster can pull from.
  const server = registryHost(service.imageName);
  if (service.sourceDir !== undefined && server === undefined) {
    ctx.problem(
      "imageName",
      `"${service.imageName}" names no registry, so the image built from identityServiceSourceDir could only be pushed to Docker Hub. ` +
        "Fix: `pulumi config set imageName registry.example.com/creatio-identity-service` (a registry your cluster pulls from), or run a prebuilt image (`pulumi config set image <reference>`).",
    );
  }
  if (given("imageRegistryUsername") !== given("imageRegistryPassword")) {
    const missing: ConfigKey = given("imageRegistryUsername") ? "imageRegistryPassword" : "imageRegistryUsername";
    ctx.need(missing, "together with the other registry credential (imageRegistryUsername and imageRegistryPassword go together)");
  }
  const password = ctx.secret("imageRegistryPassword");
  const registryServer = server ?? (service.image !== undefined ? registryHost(service.image) : undefined) ?? "docker.io";
  // As the Kubernetes provider would: its own stack config when the package's keys are unset.
  const providerKubeconfig = ctx.raw.values["kubernetes:kubeconfig"];
  return {
    kubeconfig: ctx.secret("kubeconfig") ?? (providerKubeconfig ? pulumi.secret(providerKubeconfig) : undefined),
    context: typed.kubernetesContext ?? (ctx.raw.values["kubernetes:context"] || undefined),
    namespace: typed.kubernetesNamespace,
    createNamespace: typed.kubernetesCreateNamespace,
    replicas: typed.replicas,
    replicasMax: typed.replicasMax,
    autoscaleCpuPercent: typed.autoscaleCpuPercent,
    resources: { requests: { cpu: typed.cpuRequest, memory: typed.memoryRequest }, limits: { cpu: typed.cpuLimit, memory: typed.memoryLimit } },
    serviceType: typed.kubernetesServiceType,
    ingressClassName: typed.ingressClassName,
    registry: typed.imageRegistryUsername !== undefined && password !== undefined ? { server: registryServer, username: typed.imageRegistryUsername, password } : undefined,
  };
}
