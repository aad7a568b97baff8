import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "../declaredDynamicResource";
import { DEFAULTS } from "../../lib/defaults";
import { DYNAMIC_TYPE_NAMES } from "../../lib/typeTokens";
import { identityDatabaseSnapshotProvider } from "./provider";
import { IDENTITY_DATABASE_SNAPSHOT_PROPERTIES, IdentityDatabaseSnapshotOutputs, SnapshotDbProvider } from "./inputs";
import { DynamicOutputs } from "../../lib/dynamicResource";
import type { DockerConnectionSettings } from "../../lib/dockerHost";

export { identityDatabaseSnapshotProvider } from "./provider";
export { IDENTITY_DATABASE_SNAPSHOT_TYPE } from "./inputs";
export type { IdentityDatabaseSnapshotInputs, IdentityDatabaseSnapshotOutputs, SnapshotDbProvider } from "./inputs";

/**
 * IdentityDatabaseSnapshot: the Identity Service database's safety net for image changes.
 *
 * Keyed on the image the Identity Service container is about to run. Give the container this
 * resource's `image` output as its image: the engine then runs this resource first, and only
 * afterwards replaces the container. When the image changes (PostgreSQL), it copies every table of
 * the Identity Service's schema into a snapshot schema (lib/databaseSnapshots.ts) and keeps the
 * newest `keep`. When `restore` names a snapshot it has not restored yet, it stops the container
 * (Docker Engine API, on the engine @pulumi/docker uses) or scales its Deployment to 0 (Kubernetes API), puts the tables back in one
 * transaction, and runs it again: the container is started unless the engine replaces it next (its
 * image reference changes: the replacement starts it); the Deployment gets the next image first, then
 * its pods back.
 * MS SQL: no snapshot; an image change prints a warning that the database is not backed up.
 * See docs/upgrade.md.
 */

/** Arguments of IdentityDatabaseSnapshot. */
export interface IdentityDatabaseSnapshotArgs {
  /** The Identity Service's `DbProvider`; MsSqlServer takes no snapshots and warns on an image change. */
  readonly dbProvider: pulumi.Input<SnapshotDbProvider>;
  /** The Identity Service database as this machine reaches it (Npgsql syntax). Secret. */
  readonly connectionString: pulumi.Input<string>;
  /** The image the container will run; a change triggers a snapshot before the container changes. */
  readonly image: pulumi.Input<string>;
  /** Snapshots to keep, newest first. Default 3; 0 takes none. */
  readonly keep?: pulumi.Input<number>;
  /** A snapshot to restore (once). */
  readonly restore?: pulumi.Input<string | undefined>;
  /** The Identity Service container's name (Docker), or its Deployment's (Kubernetes). */
  readonly containerName: pulumi.Input<string>;
  /** The exact image reference the container is given (an id or digest); lets a restore tell whether the container is replaced next. */
  readonly containerImage?: pulumi.Input<string>;
  /** The Docker engine (`docker:host`); default DOCKER_HOST, else unix:///var/run/docker.sock. */
  readonly dockerHost?: pulumi.Input<string | undefined>;
  /** The other `docker:*` connection settings (context, certificates, sshOpts); unset ones fall back to the environment, as in @pulumi/docker. */
  readonly dockerConnection?: pulumi.Input<DockerConnectionSettings | undefined>;
  /** On Kubernetes: where the Deployment is; a restore scales it to 0 and back instead of stopping a container. */
  readonly kubernetes?: pulumi.Input<{ kubeconfig?: pulumi.Input<string>; context?: pulumi.Input<string>; namespace: pulumi.Input<string> }>;
  /** What `pulumi destroy` leaves of the database and how to remove it: said when this resource is deleted. */
  readonly keptOnDelete?: pulumi.Input<string | undefined>;
  /** Seconds the service may take to stop, and to become healthy again, around a restore. Default 180. */
  readonly healthTimeoutSeconds?: pulumi.Input<number>;
}

/**
 * Snapshots the Identity Service database before its container changes image, and restores one on
 * request. Of its outputs, give `containerImage` (the exact image reference as this resource last
 * applied it) to the container or the Deployment as its image: then no image change can happen
 * without this resource's update, and so without the snapshot (`pulumi up --target` on the
 * container alone gets the image recorded here, the old one).
 */
// Its outputs are IdentityDatabaseSnapshotOutputs' properties, which pulumi.dynamic.Resource sets at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface IdentityDatabaseSnapshot extends DynamicOutputs<IdentityDatabaseSnapshotOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class IdentityDatabaseSnapshot extends DeclaredDynamicResource {
  constructor(name: string, args: IdentityDatabaseSnapshotArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = { ...args, keep: args.keep ?? DEFAULTS.databaseSnapshotsToKeep, healthTimeoutSeconds: args.healthTimeoutSeconds ?? DEFAULTS.healthTimeoutSeconds };
    super(identityDatabaseSnapshotProvider, IDENTITY_DATABASE_SNAPSHOT_PROPERTIES, DYNAMIC_TYPE_NAMES.databaseSnapshot, name, inputs, opts);
  }
}
