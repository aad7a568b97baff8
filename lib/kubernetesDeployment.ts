/**
 * The few Kubernetes API calls the package makes itself, for a declared database restore on the
 * Kubernetes platform: read the Identity Service's Deployment, scale it to 0 and wait until its pods
 * are gone, set its image, scale it back and wait until the rollout is done. Everything else in the
 * cluster is the Kubernetes provider's. Through the official client (@kubernetes/client-node), which
 * reads kubeconfigs as kubectl does (exec plugins, tokens, client certificates, in-cluster).
 *
 * Runs in the dynamic provider's process, hence `require` inside the functions. The client is an
 * ES module: Node's require loads it (require(esm), Node >= 20.19), a test runner's module system
 * may not, which is why the tests reach this code through the engine or a child process.
 */
import { Clock, systemClock } from "./clock";

/** The Identity Service's Deployment, and the cluster it is in. */
export interface DeploymentTarget {
  /** The kubeconfig: its contents or a path; undefined: the ambient one (KUBECONFIG, ~/.kube/config, in-cluster). Secret. */
  readonly kubeconfig?: string;
  /** The kubeconfig context; undefined: its current one. */
  readonly context?: string;
  readonly namespace: string;
  readonly name: string;
  /** The container whose image setDeploymentImage changes. */
  readonly container: string;
}

/** What the package reads of a Deployment. */
export interface DeploymentState {
  readonly exists: boolean;
  /** Pods wanted (spec.replicas). */
  readonly replicas?: number;
  readonly readyReplicas?: number;
  readonly updatedReplicas?: number;
  /** Pods of any version that are not terminated (status.replicas). */
  readonly currentReplicas?: number;
  /** The image of the target container. */
  readonly image?: string;
  readonly generation?: number;
  readonly observedGeneration?: number;
  /** The pod selector as a label selector string (`a=b,c=d`). */
  readonly selector?: string;
}

/** Who the API server records as the manager of the fields these calls set. */
export const FIELD_MANAGER = "creatio-identity";

function clients(target: DeploymentTarget) {
  const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const kc = new k8s.KubeConfig();
  const given = target.kubeconfig;
  if (given) {
    // As the Kubernetes provider reads its `kubeconfig`: a path when such a file exists, else the contents.
    const file = given.startsWith("~/") ? `${os.homedir()}${given.slice(1)}` : given;
    if (!given.includes("\n") && fs.existsSync(file)) kc.loadFromFile(file);
    else kc.loadFromString(given);
  } else kc.loadFromDefault();
  if (target.context) kc.setCurrentContext(target.context);
  return { k8s, apps: kc.makeApiClient(k8s.AppsV1Api), core: kc.makeApiClient(k8s.CoreV1Api) };
}

/** An API error's HTTP status, when it is one. */
function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** An error naming what failed, the Deployment and the API's own message, never the kubeconfig. */
function apiError(action: string, target: DeploymentTarget, e: unknown): Error {
  const body = (e as { body?: unknown }).body;
  let reason = e instanceof Error ? e.message : String(e);
  try {
    const parsed = typeof body === "string" ? JSON.parse(body) : body;
    if (parsed && typeof parsed === "object" && typeof (parsed as { message?: unknown }).message === "string") reason = (parsed as { message: string }).message;
  } catch {
    /* keep the error's message */
  }
  const status = statusOf(e);
  return new Error(`Kubernetes could not ${action} Deployment ${target.namespace}/${target.name}: ${status ? `HTTP ${status}: ` : ""}${reason.split("\n")[0].slice(0, 300)}`);
}

/** Reads the Deployment; `{ exists: false }` when there is none. */
export async function readDeployment(target: DeploymentTarget): Promise<DeploymentState> {
  const { apps } = clients(target);
  let d: import("@kubernetes/client-node").V1Deployment;
  try {
    d = await apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace });
  } catch (e) {
    if (statusOf(e) === 404) return { exists: false };
    throw apiError("read", target, e);
  }
  const labels = d.spec?.selector?.matchLabels ?? {};
  return {
    exists: true,
    replicas: d.spec?.replicas ?? 1,
    readyReplicas: d.status?.readyReplicas ?? 0,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    currentReplicas: d.status?.replicas ?? 0,
    image: d.spec?.template?.spec?.containers?.find((c) => c.name === target.container)?.image,
    generation: d.metadata?.generation,
    observedGeneration: d.status?.observedGeneration,
    selector: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  };
}

/** Sets spec.replicas through the scale subresource (what `kubectl scale` does). */
export async function scaleDeployment(target: DeploymentTarget, replicas: number): Promise<void> {
  const { k8s, apps } = clients(target);
  try {
    await apps.patchNamespacedDeploymentScale(
      { name: target.name, namespace: target.namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  } catch (e) {
    throw apiError(`scale to ${replicas} pods`, target, e);
  }
}

/** Sets the image of the target container (a strategic merge patch: the other containers and fields stay). */
export async function setDeploymentImage(target: DeploymentTarget, image: string): Promise<void> {
  const { k8s, apps } = clients(target);
  try {
    await apps.patchNamespacedDeployment(
      { name: target.name, namespace: target.namespace, body: { spec: { template: { spec: { containers: [{ name: target.container, image }] } } } }, fieldManager: FIELD_MANAGER },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
    );
  } catch (e) {
    throw apiError(`set the image of`, target, e);
  }
}

/** The names of the Deployment's pods that still exist (running or terminating). */
export async function podsOf(target: DeploymentTarget, selector: string): Promise<string[]> {
  const { core } = clients(target);
  try {
    const list = await core.listNamespacedPod({ namespace: target.namespace, labelSelector: selector });
    return list.items.map((p) => p.metadata?.name ?? "");
  } catch (e) {
    throw apiError("list the pods of", target, e);
  }
}

/** Whether the Deployment runs `replicas` ready pods, all of its current version. */
export function isRolledOut(state: DeploymentState, replicas: number): boolean {
  return (
    state.exists &&
    (state.observedGeneration ?? 0) >= (state.generation ?? 0) &&
    (state.updatedReplicas ?? 0) >= replicas &&
    (state.readyReplicas ?? 0) >= replicas &&
    (state.currentReplicas ?? 0) <= replicas
  );
}

/** The state in words, for error messages. */
export function describeDeployment(state: DeploymentState): string {
  if (!state.exists) return "no such Deployment";
  return `${state.readyReplicas ?? 0} of ${state.replicas ?? 0} pods ready, ${state.updatedReplicas ?? 0} updated, ${state.currentReplicas ?? 0} in all`;
}

/**
 * Polls until `done(state)` or `timeoutMs` has passed; returns the last state. The first looks come
 * quickly (100 ms, doubling up to `intervalMs`), like the Docker health wait.
 */
async function pollUntil<T>(look: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, intervalMs: number, clock: Clock): Promise<T> {
  const deadline = clock.now() + timeoutMs;
  let wait = Math.min(100, intervalMs);
  for (;;) {
    const value = await look();
    const remaining = deadline - clock.now();
    if (done(value) || remaining <= 0) return value;
    await clock.sleep(Math.min(wait, remaining));
    wait = Math.min(wait * 2, intervalMs);
  }
}

/** Waits until no pod of the Deployment is left (terminating ones included); returns those left at the timeout. */
export async function waitUntilNoPods(target: DeploymentTarget, selector: string, timeoutMs: number, intervalMs = 1000, clock: Clock = systemClock): Promise<string[]> {
  return pollUntil(
    () => podsOf(target, selector),
    (pods) => pods.length === 0,
    timeoutMs,
    intervalMs,
    clock,
  );
}

/** Waits until the Deployment has rolled out `replicas` ready pods; returns the last state (check it with isRolledOut). */
export async function waitUntilRolledOut(target: DeploymentTarget, replicas: number, timeoutMs: number, intervalMs = 1000, clock: Clock = systemClock): Promise<DeploymentState> {
  return pollUntil(
    () => readDeployment(target),
    (s) => !s.exists || isRolledOut(s, replicas),
    timeoutMs,
    intervalMs,
    clock,
  );
}
