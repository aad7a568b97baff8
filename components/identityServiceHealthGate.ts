import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "./declaredDynamicResource";
import { changedInputs, DynamicOutputs, DynamicResourceSpec } from "../lib/dynamicResource";
import { DEFAULTS } from "../lib/defaults";
import { DYNAMIC_TYPE_NAMES } from "../lib/typeTokens";
import { describeState, isHealthy, waitUntilHealthy, withDockerEngine } from "../lib/dockerEngine";
import { DockerConnectionSettings, dockerTarget } from "../lib/dockerHost";

/**
 * IdentityServiceHealthGate: `pulumi up` goes on only once a new Identity Service container is
 * healthy, and when it does not become healthy, the failure says how to roll back.
 *
 * @pulumi/docker's own `wait` fails with a message of its own ("container failed to be in healthy
 * state ..."), which cannot name the database snapshot taken before the image changed. This gate
 * replaces it: it waits the same way (polls the container's health status until `healthy` or the
 * timeout, through the Docker Engine API, on the engine @pulumi/docker uses: lib/dockerHost.ts reads
 * it the same way, from `docker:*` config and the environment), and its error names the container's state, the previous
 * image, the snapshot and the two commands that roll back. It waits again whenever the container
 * is replaced (its id changes); otherwise it does nothing.
 */

export interface IdentityServiceHealthGateInputs {
  readonly containerName: string;
  /** The container's id: a new id (a replaced container) is waited for again. */
  readonly containerId: string;
  /** The image the container runs (the reference users type). */
  readonly image: string;
  /** The image it ran before the last image change, if any. */
  readonly previousImage?: string;
  /** The snapshot taken before that change, if any. */
  readonly snapshot?: string;
  /** `docker:host`; unset: DOCKER_HOST, else the default (lib/dockerHost.ts). */
  readonly dockerHost?: string;
  /** The other `docker:*` connection settings the stack sets (context, certificates, sshOpts); secret when it holds a key. */
  readonly dockerConnection?: DockerConnectionSettings;
  readonly timeoutSeconds: number;
}

export interface IdentityServiceHealthGateOutputs extends IdentityServiceHealthGateInputs {
  /** When the container was last seen healthy (ISO 8601). */
  readonly healthyAt: string;
}

/**
 * Every property of IdentityServiceHealthGate, declared once (lib/dynamicResource.ts). The Docker
 * connection settings may hold a TLS key: secret, named only when given (an unchanged stack keeps
 * its options).
 */
export const HEALTH_GATE_PROPERTIES = {
  inputs: {
    containerName: {},
    containerId: {},
    image: {},
    previousImage: {},
    snapshot: {},
    dockerHost: {},
    dockerConnection: { secret: "whenSet" },
    timeoutSeconds: {},
  },
  outputs: { healthyAt: {} },
} satisfies DynamicResourceSpec<IdentityServiceHealthGateInputs, IdentityServiceHealthGateOutputs>;

/** The failure message (exported for tests): the state, the logs to read, and the rollback when the image changed. */
export function unhealthyMessage(inputs: IdentityServiceHealthGateInputs, state: string, imageChanged: boolean): string {
  const lines = [
    `The Identity Service container "${inputs.containerName}" did not become healthy within ${inputs.timeoutSeconds} s: ${state}. ` +
      `Its logs: \`docker logs ${inputs.containerName}\`.`,
  ];
  if (imageChanged && inputs.previousImage) {
    const restore = inputs.snapshot ? ` && pulumi config set restoreDatabaseSnapshot ${inputs.snapshot}` : "";
    lines.push(
      `It runs the new image ${inputs.image}; before, the service ran ${inputs.previousImage}` +
        (inputs.snapshot ? `, and snapshot ${inputs.snapshot} of its database was taken before the change.` : ", and no database snapshot was taken before the change.") +
        ` To roll back: pulumi config set image ${inputs.previousImage}${restore} && pulumi up` +
        (inputs.snapshot ? " (then `pulumi config rm restoreDatabaseSnapshot`)." : "."),
    );
  }
  return lines.join("\n");
}

async function waitForHealthy(inputs: IdentityServiceHealthGateInputs, imageChanged: boolean): Promise<IdentityServiceHealthGateOutputs> {
  const target = dockerTarget({ ...inputs.dockerConnection, host: inputs.dockerHost });
  const state = await withDockerEngine(target, (engine) => waitUntilHealthy(engine, inputs.containerName, inputs.timeoutSeconds * 1000));
  if (!isHealthy(state)) throw new Error(unhealthyMessage(inputs, describeState(state), imageChanged));
  // JSON round trip: protobuf's Struct (the engine's wire format) refuses `undefined` values.
  return JSON.parse(JSON.stringify({ ...inputs, healthyAt: new Date().toISOString() }));
}

export const identityServiceHealthGateProvider: pulumi.dynamic.ResourceProvider<IdentityServiceHealthGateInputs, IdentityServiceHealthGateOutputs> = {
  async check(_olds, news) {
    const failures: { property: string; reason: string }[] = [];
    if (typeof news.timeoutSeconds === "number" && !(news.timeoutSeconds > 0))
      failures.push({ property: "timeoutSeconds", reason: "timeoutSeconds must be a positive number of seconds" });
    return { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    return { changes: changedInputs(HEALTH_GATE_PROPERTIES, olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs) {
    const { randomUUID } = require("crypto");
    // A new gate on a stack whose image has changed before: the change may be this one.
    return { id: randomUUID() as string, outs: await waitForHealthy(inputs, inputs.previousImage !== undefined) };
  },

  async read(id, props) {
    return { id, props };
  },

  async update(_id, olds, news) {
    if (olds.containerId === news.containerId && olds.containerName === news.containerName) return { outs: JSON.parse(JSON.stringify({ ...news, healthyAt: olds.healthyAt })) };
    return { outs: await waitForHealthy(news, olds.image !== news.image) };
  },
};

export interface IdentityServiceHealthGateArgs {
  readonly containerName: pulumi.Input<string>;
  readonly containerId: pulumi.Input<string>;
  readonly image: pulumi.Input<string>;
  readonly previousImage?: pulumi.Input<string | undefined>;
  readonly snapshot?: pulumi.Input<string | undefined>;
  /** The Docker engine (`docker:host`); default DOCKER_HOST, else unix:///var/run/docker.sock. */
  readonly dockerHost?: pulumi.Input<string | undefined>;
  /** The other `docker:*` connection settings (context, certificates, sshOpts); unset ones fall back to the environment, as in @pulumi/docker. */
  readonly dockerConnection?: pulumi.Input<DockerConnectionSettings | undefined>;
  /** Default 180. */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/** Waits until a new Identity Service container is healthy; fails naming the rollback. */
// Its outputs are IdentityServiceHealthGateOutputs' properties, which pulumi.dynamic.Resource sets at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface IdentityServiceHealthGate extends DynamicOutputs<IdentityServiceHealthGateOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class IdentityServiceHealthGate extends DeclaredDynamicResource {
  constructor(name: string, args: IdentityServiceHealthGateArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = { ...args, timeoutSeconds: args.timeoutSeconds ?? DEFAULTS.healthTimeoutSeconds };
    super(identityServiceHealthGateProvider, HEALTH_GATE_PROPERTIES, DYNAMIC_TYPE_NAMES.healthGate, name, inputs, opts);
  }
}
