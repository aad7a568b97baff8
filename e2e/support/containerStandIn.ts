/**
 * A stand-in for the Identity Service CONTAINER under the real engine, as a dynamic resource, so
 * that the engine itself decides when "the container restarts" (Docker images of the Identity
 * Service cannot be pulled here). It mirrors what the stack gives the docker.Container:
 *
 * - its inputs are the ones that carry the client sync's effect: the `Clients` value and the
 *   sync's reseed token (the container gets them as `Clients` and `CREATIO_IDENTITY_RESEED_TOKEN`),
 *   plus where its database is;
 * - like a Docker container whose environment changed, a change of any input replaces it (delete
 *   first: a container name is fixed);
 * - its create is the container's start: the Identity Service seeds every configured client the
 *   database lacks (`seedMissingClients`) and leaves existing ones alone.
 *
 * Its output `seeded` lists the clients its last start inserted.
 */
import * as pulumi from "@pulumi/pulumi";
import { seedMissingClients } from "./identityServiceDatabase";

export interface ContainerStandInInputs {
  /** postgres:// URL of the Identity Service database (secret). */
  readonly databaseUrl: string;
  /** The container's `Clients` (secret). */
  readonly clientsJson: string;
  /** IdentityClientSync's reseedToken; null until the sync first deleted rows. */
  readonly reseedToken?: string | null;
}

export interface ContainerStandInOutputs extends ContainerStandInInputs {
  /** ClientIds the start inserted (sorted). */
  readonly seeded: string[];
}

const INPUT_KEYS = ["databaseUrl", "clientsJson", "reseedToken"] as const;

const containerStandInProvider: pulumi.dynamic.ResourceProvider<ContainerStandInInputs, ContainerStandInOutputs> = {
  async diff(_id: pulumi.ID, olds: ContainerStandInOutputs, news: ContainerStandInInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = INPUT_KEYS.filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: ContainerStandInInputs): Promise<pulumi.dynamic.CreateResult<ContainerStandInOutputs>> {
    const seeded = await seedMissingClients(inputs.databaseUrl, inputs.clientsJson);
    const { randomUUID } = require("crypto");
    return {
      id: randomUUID(),
      outs: { databaseUrl: inputs.databaseUrl, clientsJson: inputs.clientsJson, ...(inputs.reseedToken ? { reseedToken: inputs.reseedToken } : {}), seeded },
    };
  },
  async read(id: pulumi.ID, props?: ContainerStandInOutputs): Promise<pulumi.dynamic.ReadResult<ContainerStandInOutputs>> {
    return { id, props };
  },
  async delete(): Promise<void> {
    // A stopped container leaves its database as it is.
  },
};

export interface ContainerStandInArgs {
  readonly databaseUrl: pulumi.Input<string>;
  readonly clientsJson: pulumi.Input<string>;
  readonly reseedToken?: pulumi.Input<string | null | undefined>;
}

export class ContainerStandIn extends pulumi.dynamic.Resource {
  declare public readonly seeded: pulumi.Output<string[]>;
  declare public readonly reseedToken: pulumi.Output<string | null | undefined>;

  constructor(name: string, args: ContainerStandInArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      containerStandInProvider,
      name,
      { databaseUrl: args.databaseUrl, clientsJson: args.clientsJson, reseedToken: args.reseedToken, seeded: undefined },
      { ...opts, additionalSecretOutputs: ["databaseUrl", "clientsJson"] },
      "creatio-identity-e2e",
      "ContainerStandIn",
    );
  }
}
