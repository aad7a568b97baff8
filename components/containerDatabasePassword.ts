import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "./declaredDynamicResource";
import { changedInputs, DynamicOutputs, DynamicResourceSpec } from "../lib/dynamicResource";
import { DYNAMIC_TYPE_NAMES } from "../lib/typeTokens";
import { CONTAINER_PASSWORD_COMMAND } from "../lib/keptDatabase";
import { DockerConnectionSettings, dockerTarget } from "../lib/dockerHost";
import { execInContainer, withDockerEngine } from "../lib/dockerEngine";

/**
 * ContainerDatabasePassword: gives the dev database container's role the stack's password, for a
 * database taken back from a kept volume (databaseTakeBack). The postgres image applies
 * POSTGRES_PASSWORD only to an empty volume; a kept one still has the password of the stack that
 * made it. This runs `psql` inside the container (lib/keptDatabase.ts CONTAINER_PASSWORD_COMMAND),
 * where the image trusts local connections, with the password of the container's own environment:
 * no secret passes through this resource. It runs again whenever the container is replaced.
 */

export interface ContainerDatabasePasswordInputs {
  readonly containerName: string;
  /** The container's id: a new id (a replaced container) sets the password again. */
  readonly containerId: string;
  /** `docker:host`; unset: DOCKER_HOST, else the default (lib/dockerHost.ts). */
  readonly dockerHost?: string;
  /** The other `docker:*` connection settings; secret when given (may hold a key). */
  readonly dockerConnection?: DockerConnectionSettings;
}

export interface ContainerDatabasePasswordOutputs extends ContainerDatabasePasswordInputs {
  /** When the password was last set (ISO 8601). */
  readonly setAt: string;
}

export const CONTAINER_DATABASE_PASSWORD_PROPERTIES = {
  inputs: {
    containerName: {},
    containerId: {},
    dockerHost: { recordOnly: true },
    dockerConnection: { secret: "whenSet", recordOnly: true },
  },
  outputs: { setAt: {} },
} satisfies DynamicResourceSpec<ContainerDatabasePasswordInputs, ContainerDatabasePasswordOutputs>;

/** Sets the password; fails naming the container and psql's own words (single-quoted text left out: a statement echoed back would carry the password). */
export async function setContainerDatabasePassword(inputs: ContainerDatabasePasswordInputs): Promise<ContainerDatabasePasswordOutputs> {
  const target = dockerTarget({ ...inputs.dockerConnection, host: inputs.dockerHost });
  const result = await withDockerEngine(target, (engine) => execInContainer(engine, inputs.containerName, CONTAINER_PASSWORD_COMMAND));
  if (result.exitCode !== 0) {
    throw new Error(
      `Could not give the database in container "${inputs.containerName}" this stack's password (psql exited with ${result.exitCode}: ${result.output.replace(/'[^']*'/g, "'…'") || "no output"}). ` +
        `The kept volume is in use but the Identity Service cannot log in. Its logs: \`docker logs ${inputs.containerName}\`; then run \`pulumi up\` again.`,
    );
  }
  // JSON round trip: protobuf's Struct (the engine's wire format) refuses `undefined` values.
  return JSON.parse(JSON.stringify({ ...inputs, setAt: new Date().toISOString() }));
}

export const containerDatabasePasswordProvider: pulumi.dynamic.ResourceProvider<ContainerDatabasePasswordInputs, ContainerDatabasePasswordOutputs> = {
  async diff(_id, olds, news) {
    return { changes: changedInputs(CONTAINER_DATABASE_PASSWORD_PROPERTIES, olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs) {
    const { randomUUID } = require("crypto");
    return { id: randomUUID() as string, outs: await setContainerDatabasePassword(inputs) };
  },

  async read(id, props) {
    return { id, props };
  },

  async update(_id, olds, news) {
    if (olds.containerId === news.containerId && olds.containerName === news.containerName) return { outs: JSON.parse(JSON.stringify({ ...news, setAt: olds.setAt })) };
    return { outs: await setContainerDatabasePassword(news) };
  },
};

export interface ContainerDatabasePasswordArgs {
  readonly containerName: pulumi.Input<string>;
  readonly containerId: pulumi.Input<string>;
  readonly dockerHost?: pulumi.Input<string | undefined>;
  readonly dockerConnection?: pulumi.Input<DockerConnectionSettings | undefined>;
}

/** Gives a database container on a kept volume the stack's password. */
// Its outputs are ContainerDatabasePasswordOutputs' properties, which pulumi.dynamic.Resource sets at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ContainerDatabasePassword extends DynamicOutputs<ContainerDatabasePasswordOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ContainerDatabasePassword extends DeclaredDynamicResource {
  constructor(name: string, args: ContainerDatabasePasswordArgs, opts?: pulumi.CustomResourceOptions) {
    super(containerDatabasePasswordProvider, CONTAINER_DATABASE_PASSWORD_PROPERTIES, DYNAMIC_TYPE_NAMES.containerDatabasePassword, name, args, opts);
  }
}
