import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "./declaredDynamicResource";
import { isUnknownValue } from "../lib/unknownValues";
import { CLIENT_SYNC_UNSUPPORTED, DATABASE_SUPPORT } from "../lib/databaseSupport";
import { DYNAMIC_TYPE_NAMES, DYNAMIC_TYPES } from "../lib/typeTokens";
import { pgClientConfig, postgresDatabaseIdentity } from "../lib/connectionString";
import { INVALID_PASSWORD_SQLSTATE, postgresErrorText } from "../lib/postgresErrors";
import { clientIdsToReseed, clientRowDeletionStatements, CLIENT_TABLES, EXISTING_TABLES_SQL, parseClientsJson } from "../lib/identityClientSql";
import { changedInputs, DynamicOutputs, DynamicResourceSpec } from "../lib/dynamicResource";

/**
 * IdentityClientSync makes changes to the `Clients` setting reach the Identity Service database.
 *
 * The Identity Service copies `Clients` into its database only when a client is missing, so a
 * rotated secret or new scopes would otherwise never take effect. When `clientsJson` changes,
 * this resource deletes, in one transaction, the rows of every changed, removed or added client
 * (matched by ClientId) from `Clients` and the tables that reference it, and nothing else.
 *
 * A new connection string to the same database (another password or quoting, `Timeout=`, the
 * database reached through another host name or port, see `database`) is an in-place update that
 * deletes nothing; only a different database is a replacement. Whenever rows are deleted,
 * `reseedToken` changes: feed it into the Identity Service container (IdentityService's argument
 * of the same name) so the container restarts and seeds the deleted clients again; without that,
 * Creatio gets `invalid_client` until someone restarts it. See docs/rotation.md.
 */

/** The `DbProvider` values the Identity Service accepts. */
export type IdentityDbProvider = "Postgres" | "MsSqlServer";

/** IdentityClientSync's inputs, resolved (what the provider receives). */
export interface IdentityClientSyncInputs {
  /** The Identity Service's `DbProvider`. Only `Postgres` is supported yet. */
  readonly dbProvider: IdentityDbProvider;
  /** The Npgsql connection string this resource reaches the database with (the container's, or the same database from the machine running Pulumi). */
  readonly connectionString: string;
  /**
   * Which database this is, as the Identity Service reaches it: equal strings mean the same
   * database (e.g. `host:port/name` of the container's connection string). Absent: `host:port/name`
   * of `connectionString`.
   */
  readonly database?: string;
  /** The container's `Clients` value: a JSON array serialized as one string. Holds the client secret. */
  readonly clientsJson: string;
}

/** IdentityClientSync's state: its inputs plus what the last create or update deleted. */
export interface IdentityClientSyncOutputs extends IdentityClientSyncInputs {
  /** ClientIds whose rows the last create or update deleted (sorted); empty when nothing was there to delete. */
  readonly removedClientIds: string[];
  /**
   * `<resource id>/<number of deletions>`: changes whenever this resource deletes client rows, and
   * with every new resource that does (a replacement's create). Null until the first deletion (not
   * absent: an output missing from the state is unknown in every preview, and so would be whatever
   * the service builds from it). Absent in state written before that.
   */
  readonly reseedToken?: string | null;
}

/** The Pulumi type token of the resource (what a mock engine records). */
export const IDENTITY_CLIENT_SYNC_TYPE = DYNAMIC_TYPES.identityClientSync;

/** Every property of IdentityClientSync, declared once (lib/dynamicResource.ts). */
export const IDENTITY_CLIENT_SYNC_PROPERTIES = {
  inputs: { dbProvider: {}, connectionString: { secret: true }, database: {}, clientsJson: { secret: true } },
  outputs: { removedClientIds: {}, reseedToken: {} },
} satisfies DynamicResourceSpec<IdentityClientSyncInputs, IdentityClientSyncOutputs>;

const MS_SQL_NOT_SUPPORTED = `IdentityClientSync: ${CLIENT_SYNC_UNSUPPORTED}. Use PostgreSQL for the Identity Service database (dbProvider Postgres), or leave IdentityClientSync out`;

/** Input problems as Pulumi check failures. Messages name the property, never a value (connection string and secret stay out). */
function inputFailures(news: Record<string, unknown>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const { dbProvider, connectionString, clientsJson, database } = news;
  if (!isUnknownValue(dbProvider)) {
    if (dbProvider === "MsSqlServer" || dbProvider === "Postgres") {
      if (!DATABASE_SUPPORT[dbProvider].clientSync) failures.push({ property: "dbProvider", reason: MS_SQL_NOT_SUPPORTED });
    } else failures.push({ property: "dbProvider", reason: "dbProvider must be Postgres or MsSqlServer (the Identity Service's DbProvider setting)" });
  }
  if (!isUnknownValue(connectionString) && dbProvider === "Postgres") {
    if (typeof connectionString !== "string" || connectionString.trim() === "") {
      failures.push({
        property: "connectionString",
        reason: "connectionString is required: the Npgsql connection string the Identity Service container gets (PostgresConnection)",
      });
    } else {
      try {
        pgClientConfig(connectionString);
      } catch (e) {
        // parseNpgsqlConnectionString's messages name the missing key or a position, never a value.
        failures.push({
          property: "connectionString",
          reason: `connectionString is not a usable Npgsql connection string (${(e as Error).message}); give the string the container gets, e.g. Host=..;Port=5432;Database=..;Username=..;Password=..`,
        });
      }
    }
  }
  if (database !== undefined && !isUnknownValue(database) && (typeof database !== "string" || database.trim() === "")) {
    failures.push({
      property: "database",
      reason: "database must be a non-empty string naming the database as the Identity Service reaches it (e.g. host:port/name), or be left out",
    });
  }
  if (!isUnknownValue(clientsJson)) {
    try {
      parseClientsJson(clientsJson as string, "clientsJson");
    } catch (e) {
      failures.push({ property: "clientsJson", reason: (e as Error).message });
    }
  }
  return failures;
}

/** Throws the first input problem (create/update re-check: they may run without a check, e.g. in tests). */
function assertValidInputs(inputs: IdentityClientSyncInputs): void {
  const failures = inputFailures(inputs as unknown as Record<string, unknown>);
  if (failures.length > 0) throw new Error(failures[0].reason);
}

/**
 * Why a new stack's password can be refused, and the fix: the database an earlier `pulumi destroy`
 * kept (databaseRetainOnDelete) still has the password of the stack that made it, which went with
 * that stack's state.
 */
export const KEPT_DATABASE_HINT =
  "If an earlier `pulumi destroy` kept this database (databaseRetainOnDelete), it still has the password of the stack that made it: " +
  "remove what that destroy kept, with the commands it printed (`docker volume rm <volume>` in container mode; `DROP DATABASE …; DROP ROLE …;` on a server), then run `pulumi up` again, " +
  "or give this stack other names (databaseName, databaseUsername)";

/**
 * Deletes the rows of `clientIds` from `Clients` and its child tables in one transaction; returns
 * the ClientIds that had a row. No-op when the Identity Service has not created its tables yet.
 * Errors name the database (host, port, name) and PostgreSQL's message, never the connection string.
 */
async function deleteClientRows(connectionString: string, clientIds: readonly string[]): Promise<string[]> {
  if (clientIds.length === 0) return [];
  const config = pgClientConfig(connectionString);
  const where = `${config.host}:${config.port}/${config.database}`;
  const fail = (action: string, e: unknown): never => {
    throw new Error(
      `IdentityClientSync could not ${action} on the Identity Service database ${where}: ${postgresErrorText(e)}` +
        ((e as { code?: string }).code === INVALID_PASSWORD_SQLSTATE ? `. ${KEPT_DATABASE_HINT}` : ""),
    );
  };
  // Built here, not at module load: the provider runs in another process after serialization.
  const { Client } = require("pg");
  const client = new Client({ ...config, connectionTimeoutMillis: 30000, application_name: "creatio-identity IdentityClientSync" });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    fail("connect", e);
  }
  try {
    await client.query("BEGIN");
    const existing: string[] = (await client.query(EXISTING_TABLES_SQL, [CLIENT_TABLES])).rows.map((r: { table_name: string }) => r.table_name);
    const statements = clientRowDeletionStatements(existing);
    let deleted: string[] = [];
    for (let i = 0; i < statements.length; i++) {
      const result = await client.query(statements[i], [clientIds]);
      // The last statement deletes from Clients and returns the ClientIds it removed.
      if (i === statements.length - 1) deleted = result.rows.map((r: { ClientId: string }) => r.ClientId);
    }
    await client.query("COMMIT");
    return deleted.sort();
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    return fail("delete the changed clients' rows (nothing was deleted: the transaction was rolled back)", e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `<resource id>/<deletions so far>`: the count goes up exactly when rows were deleted; null
 * until the first deletion, so a resource that never deleted anything gives the container nothing
 * new (and state written by older versions, which has no token, plans no container change).
 */
function nextReseedToken(id: string, previous: string | null | undefined, removed: readonly string[]): string | null {
  const count = Number(/\/(\d+)$/.exec(previous ?? "")?.[1] ?? 0) + (removed.length > 0 ? 1 : 0);
  return count > 0 ? `${id}/${count}` : null;
}

function stateOf(inputs: IdentityClientSyncInputs, removedClientIds: string[], reseedToken: string | null): IdentityClientSyncOutputs {
  return {
    dbProvider: inputs.dbProvider,
    connectionString: inputs.connectionString,
    ...(inputs.database !== undefined ? { database: inputs.database } : {}),
    clientsJson: inputs.clientsJson,
    removedClientIds,
    reseedToken,
  };
}

/** `host:port/name` of a connection string; the string itself when it cannot be parsed (so it still compares). */
function identityOf(connectionString: string): string {
  try {
    return postgresDatabaseIdentity(connectionString);
  } catch {
    return connectionString;
  }
}

/**
 * The input that shows `news` reach another database than `olds`, or undefined for the same one.
 * `database` is compared when both sides have it; otherwise (no `database` given, or state written
 * before it existed) where the two connection strings lead. A value not known yet (preview) plans
 * an update: `pulumi up` diffs again with the known value.
 */
function differentDatabase(olds: IdentityClientSyncOutputs, news: IdentityClientSyncInputs): "database" | "connectionString" | undefined {
  if (olds.database !== undefined && news.database !== undefined) {
    return isUnknownValue(news.database) || olds.database === news.database ? undefined : "database";
  }
  if (isUnknownValue(news.database) || isUnknownValue(news.connectionString)) return undefined;
  return identityOf(olds.connectionString) === identityOf(news.connectionString) ? undefined : "connectionString";
}

/**
 * The dynamic provider. `delete` leaves the Identity Service database alone: the Identity Service
 * owns its clients, and removing this resource must not cut Creatio off.
 */
export const identityClientSyncProvider: pulumi.dynamic.ResourceProvider<IdentityClientSyncInputs, IdentityClientSyncOutputs> = {
  async check(_olds: IdentityClientSyncInputs, news: IdentityClientSyncInputs): Promise<pulumi.dynamic.CheckResult<IdentityClientSyncInputs>> {
    const failures = inputFailures(news as unknown as Record<string, unknown>);
    return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
  },

  async diff(_id: pulumi.ID, olds: IdentityClientSyncOutputs, news: IdentityClientSyncInputs): Promise<pulumi.dynamic.DiffResult> {
    // A different database (or engine) is a different set of rows: replace, i.e. run create there.
    // That is harmless on a new, empty database (nothing to delete) and right on a copy of the old one.
    // The same database reached another way is an update, which deletes only changed clients' rows.
    const moved = olds.dbProvider !== news.dbProvider ? "dbProvider" : differentDatabase(olds, news);
    const replaces = moved ? [moved] : [];
    const changes = replaces.length > 0 || changedInputs(IDENTITY_CLIENT_SYNC_PROPERTIES, olds, news).length > 0;
    return { changes, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: IdentityClientSyncInputs): Promise<pulumi.dynamic.CreateResult<IdentityClientSyncOutputs>> {
    assertValidInputs(inputs);
    // First deployment: no tables yet, nothing happens. Adopting an existing Identity Service
    // database: the configured clients' rows go, so the (re)started container seeds this
    // configuration rather than keeping whatever the database held.
    const removed = await deleteClientRows(inputs.connectionString, [...parseClientsJson(inputs.clientsJson).keys()]);
    const { randomUUID } = require("crypto");
    const id: string = randomUUID();
    return { id, outs: stateOf(inputs, removed, nextReseedToken(id, undefined, removed)) };
  },

  async read(id: pulumi.ID, props?: IdentityClientSyncOutputs): Promise<pulumi.dynamic.ReadResult<IdentityClientSyncOutputs>> {
    // The state is the configuration last applied; the Identity Service's own rows are not drift.
    return { id, props };
  },

  async update(id: pulumi.ID, olds: IdentityClientSyncOutputs, news: IdentityClientSyncInputs): Promise<pulumi.dynamic.UpdateResult<IdentityClientSyncOutputs>> {
    assertValidInputs(news);
    let clientIds: string[];
    try {
      clientIds = clientIdsToReseed(olds.clientsJson, news.clientsJson);
    } catch {
      // The previous value is unreadable (it passed check when it was applied, so this means hand-edited
      // state): re-seed every configured client, which is what create does.
      clientIds = [...parseClientsJson(news.clientsJson).keys()];
    }
    // Unchanged clients (e.g. only the connection string changed) delete nothing: clientIds is empty.
    const removed = await deleteClientRows(news.connectionString, clientIds);
    return { outs: stateOf(news, removed, nextReseedToken(id, olds.reseedToken, removed)) };
  },

  async delete(): Promise<void> {
    // Nothing to undo: the deleted rows were re-seeded by the Identity Service, which owns them.
  },
};

/** Arguments of IdentityClientSync. */
export interface IdentityClientSyncArgs {
  /** The Identity Service's `DbProvider` (`Postgres` or `MsSqlServer`); MS SQL fails with "not supported yet". */
  readonly dbProvider: pulumi.Input<IdentityDbProvider>;
  /** An Npgsql connection string to the Identity Service database, as the machine running Pulumi reaches it. */
  readonly connectionString: pulumi.Input<string>;
  /**
   * Which database this is, as the Identity Service reaches it (e.g. `postgresDatabaseIdentity` of
   * the container's connection string). Give it when `connectionString` reaches the database another
   * way (127.0.0.1 and a published port): a new port or password is then an update that deletes
   * nothing. Default: `host:port/name` of `connectionString`.
   */
  readonly database?: pulumi.Input<string>;
  /** The `Clients` value the container gets (a JSON array as one string). Holds the client secret. */
  readonly clientsJson: pulumi.Input<string>;
}

/**
 * Deletes the database rows of changed or removed clients, so the Identity Service seeds the new
 * `Clients` when its container restarts. Give `reseedToken` to the container (IdentityService's
 * `reseedToken`): it restarts the container whenever rows were deleted.
 * `connectionString` and `clientsJson` are secret outputs.
 */
// Its outputs are IdentityClientSyncOutputs' properties, which pulumi.dynamic.Resource sets at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface IdentityClientSync extends DynamicOutputs<IdentityClientSyncOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class IdentityClientSync extends DeclaredDynamicResource {
  constructor(name: string, args: IdentityClientSyncArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = { dbProvider: args.dbProvider, connectionString: args.connectionString, database: args.database, clientsJson: args.clientsJson };
    super(identityClientSyncProvider, IDENTITY_CLIENT_SYNC_PROPERTIES, DYNAMIC_TYPE_NAMES.identityClientSync, name, inputs, opts);
  }
}
