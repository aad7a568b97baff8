import { describeState, inspectContainer, isHealthy, startContainer, stopContainer, waitUntilHealthy, withDockerEngine } from "../../lib/dockerEngine";
import { DockerConnectionSettings, dockerTarget } from "../../lib/dockerHost";
import {
  describeDeployment,
  DeploymentTarget,
  isRolledOut,
  readDeployment,
  scaleDeployment,
  setDeploymentImage,
  waitUntilNoPods,
  waitUntilRolledOut,
} from "../../lib/kubernetesDeployment";
import { IDENTITY_SERVICE_CONTAINER } from "../../lib/kubernetesManifests";
import type { IdentityDatabaseSnapshotInputs, KubernetesWorkloadInputs } from "./inputs";

/**
 * What a declared restore does to the running Identity Service while it puts the tables back: stop
 * it, so no instance writes to the tables meanwhile, and afterwards run it again. The same steps for
 * the Docker container and for the Kubernetes Deployment; which one comes from the inputs.
 */
export interface ServiceWorkload {
  /** How messages name it: `container "x"`, `Deployment ns/x`. */
  readonly label: string;
  /** Where its logs are. */
  readonly logsHint: string;
  /** Stops it; true when it was running, so it has to run again afterwards. */
  stop(): Promise<boolean>;
  /** Puts a stopped service back as it was (the undo of stop when the restore fails). */
  startAgain(): Promise<void>;
  /**
   * After the restore: runs it again and waits until it is healthy. `next` says whether the image
   * changes in this `up`, and the exact reference the engine gives it next when known. Returns why
   * it is not healthy, or whether it was left stopped for the engine to start with the next image.
   */
  resume(next: NextImage, timeoutMs: number): Promise<{ leftStopped: boolean; problem?: string }>;
}

/** Whether the image changes in this `up`, and the exact reference the service is given next (an id or digest) when known. */
export interface NextImage {
  readonly changes: boolean;
  readonly reference?: string;
}

/**
 * The Identity Service container on a Docker host: the engine @pulumi/docker uses (`docker:*` config,
 * then the environment; lib/dockerHost.ts), resolved at each step, each step on a connection of its
 * own that it closes when done.
 */
function dockerWorkload(containerName: string, dockerHost: string | undefined, dockerConnection: DockerConnectionSettings | undefined): ServiceWorkload {
  const onEngine = <T>(work: Parameters<typeof withDockerEngine<T>>[1]) => withDockerEngine(dockerTarget({ ...dockerConnection, host: dockerHost }), work);
  return {
    label: `container ${containerName}`,
    logsHint: `\`docker logs ${containerName}\``,
    stop: () => onEngine(async (docker) => (await stopContainer(docker, containerName)) === "stopped"),
    startAgain: () => onEngine(async (docker) => void (await startContainer(docker, containerName))),
    resume: (next, timeoutMs) =>
      onEngine(async (docker) => {
        // A container the engine replaces next (its image reference changes) stays stopped: started on
        // the image being left, it would migrate the restored tables again. The replacement starts it.
        if (next.changes && (next.reference === undefined || (await inspectContainer(docker, containerName)).image !== next.reference)) return { leftStopped: true };
        const started = await startContainer(docker, containerName).then(
          () => waitUntilHealthy(docker, containerName, timeoutMs),
          (e: Error) => e,
        );
        if (started instanceof Error) return { leftStopped: false, problem: started.message };
        return { leftStopped: false, problem: isHealthy(started) ? undefined : describeState(started) };
      }),
  };
}

/** The Identity Service's Deployment: scaled to 0 for the restore, then back to the pods it had. */
function kubernetesWorkload(k: KubernetesWorkloadInputs, deploymentName: string, stopTimeoutSeconds: number): ServiceWorkload {
  const target: DeploymentTarget = { kubeconfig: k.kubeconfig, context: k.context, namespace: k.namespace, name: deploymentName, container: IDENTITY_SERVICE_CONTAINER };
  let replicas = 0;
  return {
    label: `Deployment ${k.namespace}/${deploymentName}`,
    logsHint: `\`kubectl logs -n ${k.namespace} deployment/${deploymentName}\``,
    async stop() {
      const before = await readDeployment(target);
      if (!before.exists || !before.replicas) return false;
      replicas = before.replicas;
      await scaleDeployment(target, 0);
      const left = await waitUntilNoPods(target, before.selector ?? "", stopTimeoutSeconds * 1000);
      if (left.length > 0) {
        await scaleDeployment(target, replicas).catch(() => undefined);
        throw new Error(
          `${left.length} pod(s) of Deployment ${k.namespace}/${deploymentName} were still there ${stopTimeoutSeconds} s after it was scaled to 0 (${left.join(", ")}), so nothing was restored and it was scaled back to ${replicas}. See \`kubectl get pods -n ${k.namespace}\`.`,
        );
      }
      return true;
    },
    startAgain: () => scaleDeployment(target, replicas),
    async resume(next, timeoutMs) {
      // The image changes in this `up`: set it before the pods start, so none runs the image being
      // left against the restored tables. The Deployment's own update then finds it already set.
      if (next.changes && next.reference !== undefined && (await readDeployment(target)).image !== next.reference) await setDeploymentImage(target, next.reference);
      await scaleDeployment(target, replicas);
      const state = await waitUntilRolledOut(target, replicas, timeoutMs);
      return { leftStopped: false, problem: isRolledOut(state, replicas) ? undefined : describeDeployment(state) };
    },
  };
}

/** The workload the inputs name: the Kubernetes Deployment when `kubernetes` is given, else the Docker container. */
export function serviceWorkload(inputs: IdentityDatabaseSnapshotInputs): ServiceWorkload {
  return inputs.kubernetes
    ? kubernetesWorkload(inputs.kubernetes, inputs.containerName, inputs.healthTimeoutSeconds)
    : dockerWorkload(inputs.containerName, inputs.dockerHost, inputs.dockerConnection);
}
