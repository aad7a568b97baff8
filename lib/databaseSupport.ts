/**
 * What this package can do for each Identity Service database engine, decided once: the client sync
 * (deleting a changed client's rows so the service seeds it again) and the snapshots before an image
 * change work on PostgreSQL only. Config validation, the stack program and the resources all ask here.
 */
import { DbProvider } from "./connectionString";

export const DATABASE_SUPPORT: Readonly<Record<DbProvider, { readonly clientSync: boolean; readonly snapshots: boolean }>> = {
  Postgres: { clientSync: true, snapshots: true },
  MsSqlServer: { clientSync: false, snapshots: false },
};

/** Why a changed client does not reach an MS SQL Identity Service database by itself, and what to do. */
export const CLIENT_SYNC_UNSUPPORTED =
  "changing the client (a new secret, `rotation`) is not supported yet with an MS SQL Identity Service database: the client's rows must be deleted " +
  "by hand before the container restarts (README, 'Rotating the client secret', MS SQL)";

/** Why an MS SQL Identity Service database is not copied before an image change, and what to do. */
export const SNAPSHOTS_UNSUPPORTED = "snapshots are PostgreSQL only; back an MS SQL database up and restore it by hand (README, 'Updating with an MS SQL database')";
