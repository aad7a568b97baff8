import { DATABASE_SUPPORT, SNAPSHOTS_UNSUPPORTED } from "../../lib/databaseSupport";
import { DYNAMIC_TYPES } from "../../lib/typeTokens";
import { isUnknownValue } from "../../lib/unknownValues";
import { pgClientConfig } from "../../lib/connectionString";
import type { SnapshotInfo } from "../../lib/databaseSnapshots";
import { SNAPSHOT_NAME_PATTERN } from "../../lib/databaseSnapshotSql";
import type { DynamicResourceSpec } from "../../lib/dynamicResource";
import type { DockerConnectionSettings } from "../../lib/dockerHost";

/** IdentityDatabaseSnapshot's inputs and state, and the checks of its inputs (index.ts says what it does). */

export type SnapshotDbProvider = "Postgres" | "MsSqlServer";

/** What the provider receives. */
export interface IdentityDatabaseSnapshotInputs {
  readonly dbProvider: SnapshotDbProvider;
  /** The database as the machine running Pulumi reaches it (Npgsql syntax). Secret. */
  readonly connectionString: string;
  /** The image the container will run (a tag users can type back into `pulumi config set image`). */
  readonly image: string;
  /** Snapshots to keep (newest first); 0 takes none. */
  readonly keep: number;
  /** A snapshot to restore; restored once, until it is changed. */
  readonly restore?: string;
  /**
   * The Identity Service, stopped during a restore: its container's name (Docker) or its
   * Deployment's (Kubernetes), and the exact image reference it is given (an id or digest).
   */
  readonly containerName: string;
  readonly containerImage?: string;
  /** The Docker engine (`docker:host`: unix://, tcp:// or ssh://); unset: DOCKER_HOST, else the default (lib/dockerHost.ts). */
  readonly dockerHost?: string;
  /** The other `docker:*` connection settings the stack sets (context, certificates, sshOpts). Secret when it holds a key. */
  readonly dockerConnection?: DockerConnectionSettings;
  /** On Kubernetes: the Deployment `containerName` names, scaled to 0 during a restore instead of a container stopped. Secret (the kubeconfig). */
  readonly kubernetes?: KubernetesWorkloadInputs;
  /** How long the service may take to stop, and to become healthy again, around a restore. */
  readonly healthTimeoutSeconds: number;
  /** What `pulumi destroy` leaves of the database and how to remove it (IdentityDatabase keptOnDelete): said when this resource is deleted. */
  readonly keptOnDelete?: string;
}

/** Where the Identity Service's Deployment is. */
export interface KubernetesWorkloadInputs {
  /** The kubeconfig (contents or a path); undefined: the ambient one. */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace: string;
}

export interface IdentityDatabaseSnapshotOutputs extends IdentityDatabaseSnapshotInputs {
  /** The image before the last image change (what to roll back to). */
  readonly previousImage?: string;
  /** The snapshot taken at the last image change, before the container changed. */
  readonly snapshotBeforeImageChange?: string;
  /** Every snapshot in the database, newest first. */
  readonly snapshots: SnapshotInfo[];
  /** The last restore this resource did. */
  readonly lastRestore?: { readonly snapshot: string; readonly restoredAt: string; readonly image: string };
}

export const IDENTITY_DATABASE_SNAPSHOT_TYPE = DYNAMIC_TYPES.databaseSnapshot;

/**
 * Every property of IdentityDatabaseSnapshot, declared once (lib/dynamicResource.ts). The Docker
 * connection settings may hold a TLS key (secret, named only when given: an unchanged stack keeps
 * its options); `kubernetes` holds the kubeconfig.
 */
export const IDENTITY_DATABASE_SNAPSHOT_PROPERTIES = {
  inputs: {
    dbProvider: {},
    connectionString: { secret: true },
    image: {},
    keep: {},
    restore: {},
    containerName: {},
    containerImage: {},
    dockerHost: {},
    dockerConnection: { secret: "whenSet" },
    kubernetes: { secret: true },
    healthTimeoutSeconds: {},
    keptOnDelete: {},
  },
  outputs: { previousImage: {}, snapshotBeforeImageChange: {}, snapshots: {}, lastRestore: {} },
} satisfies DynamicResourceSpec<IdentityDatabaseSnapshotInputs, IdentityDatabaseSnapshotOutputs>;

/** Whether this engine's database is copied before an image change (PostgreSQL; lib/databaseSupport decides). */
export function snapshotsSupported(dbProvider: unknown): boolean {
  return DATABASE_SUPPORT[dbProvider as SnapshotDbProvider]?.snapshots ?? true;
}

export function inputFailures(news: IdentityDatabaseSnapshotInputs): { property: string; reason: string }[] {
  const f: { property: string; reason: string }[] = [];
  const known = (v: unknown) => !isUnknownValue(v);
  if (known(news.dbProvider) && news.dbProvider !== "Postgres" && news.dbProvider !== "MsSqlServer")
    f.push({ property: "dbProvider", reason: "dbProvider must be Postgres or MsSqlServer" });
  if (known(news.connectionString) && news.dbProvider === "Postgres") {
    try {
      pgClientConfig(news.connectionString);
    } catch (e) {
      f.push({ property: "connectionString", reason: `connectionString is not a usable Npgsql connection string (${(e as Error).message})` });
    }
  }
  if (known(news.image) && (typeof news.image !== "string" || !/^\S+$/.test(news.image))) f.push({ property: "image", reason: "image must be an image reference without spaces" });
  if (known(news.keep) && !(Number.isInteger(news.keep) && news.keep >= 0))
    f.push({ property: "keep", reason: "keep (databaseSnapshotsToKeep) must be a whole number, 0 or more" });
  if (known(news.restore) && news.restore) {
    if (!snapshotsSupported(news.dbProvider)) f.push({ property: "restore", reason: `restoreDatabaseSnapshot: ${SNAPSHOTS_UNSUPPORTED}` });
    else if (!SNAPSHOT_NAME_PATTERN.test(news.restore))
      f.push({
        property: "restore",
        reason: `restoreDatabaseSnapshot "${news.restore}" is not a snapshot name (snapshot_<yyyymmddhhmmss>_<image>); \`pulumi stack output databaseSnapshots\` lists them`,
      });
  }
  return f;
}

/** A restore still to do: named, and not the one last applied. */
export const restoreWanted = (olds: Partial<IdentityDatabaseSnapshotInputs> | undefined, news: IdentityDatabaseSnapshotInputs) => !!news.restore && news.restore !== olds?.restore;
