import * as pulumi from "@pulumi/pulumi";
import { pgClientConfig } from "../lib/connectionString";
import { clientIdsToReseed, clientRowDeletionStatements, CLIENT_TABLES, EXISTING_TABLES_SQL, parseClientsJson } from "../lib/identityClientSql";

/**
 * IdentityClientSync makes changes to the `Clients` setting reach the Identity Service database.
 *
 * The Identity Service copies `Clients` into its database only when a client is missing, so a
 * rotated secret or new scopes would otherwise never take effect. When `clientsJson` changes,
 * this resource deletes, in one transaction, the rows of every changed, removed or added client
 * (matched by ClientId) from `Clients` and the tables that reference it, and nothing else. Make the
 * Identity Service container depend on it: the container restarts after the deletion (its
 * `Clients` environment changed too) and seeds the new client. See docs/rotation.md.
 */

/** The `DbProvider` values the Identity Service accepts. */
export type IdentityDbProvider = "Postgres" | "MsSqlServer";

/** IdentityClientSync's inputs, resolved (what the provider receives). */
export interface IdentityClientSyncInputs {
  /** The Identity Service's `DbProvider`. Only `Postgres` is supported yet. */
  readonly dbProvider: IdentityDbProvider;
  /** The ADO.NET connection string the container gets (Npgsql syntax for `Postgres`). */
  readonly connectionString: string;
  /** The container's `Clients` value: a JSON array serialized as one string. Holds the client secret. */
  readonly clientsJson: string;
}

/** IdentityClientSync's state: its inputs plus what the last create or update deleted. */
export interface IdentityClientSyncOutputs extends IdentityClientSyncInputs {
  /** ClientIds whose rows the last create or update deleted (sorted); empty when nothing was there to delete. */
  readonly removedClientIds: string[];
}

/** The Pulumi type token of the resource (what a mock engine records). */
export const IDENTITY_CLIENT_SYNC_TYPE = "pulumi-nodejs:dynamic/creatio-identity:IdentityClientSync";

/** Pulumi's placeholder for an input not known yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const MS_SQL_NOT_SUPPORTED =
  "MS SQL is not supported yet by IdentityClientSync; a changed client would not reach an MS SQL Identity Service database. " +
  "Use PostgreSQL for the Identity Service database (dbProvider Postgres), or leave IdentityClientSync out and apply client changes by hand: " +
  "delete the client's rows from Clients and the Client* tables, then restart the Identity Service container";

/** Input problems as Pulumi check failures. Messages name the property, never a value (connection string and secret stay out). */
function inputFailures(news: Record<string, unknown>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const { dbProvider, connectionString, clientsJson } = news;
  if (dbProvider !== UNKNOWN) {
    if (dbProvider === "MsSqlServer") failures.push({ property: "dbProvider", reason: MS_SQL_NOT_SUPPORTED });
    else if (dbProvider !== "Postgres") failures.push({ property: "dbProvider", reason: "dbProvider must be Postgres or MsSqlServer (the Identity Service's DbProvider setting)" });
  }
  if (connectionString !== UNKNOWN && dbProvider === "Postgres") {
    if (typeof connectionString !== "string" || connectionString.trim() === "") {
      failures.push({ property: "connectionString", reason: "connectionString is required: the Npgsql connection string the Identity Service container gets (PostgresConnection)" });
    } else {
      try {
        pgClientConfig(connectionString);
      } catch (e) {
        // parseNpgsqlConnectionString's messages name the missing key or a position, never a value.
        failures.push({ property: "connectionString", reason: `connectionString is not a usable Npgsql connection string (${(e as Error).message}); give the string the container gets, e.g. Host=..;Port=5432;Database=..;Username=..;Password=..` });
      }
    }
  }
  if (clientsJson !== UNKNOWN) {
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
 * Deletes the rows of `clientIds` from `Clients` and its child tables in one transaction; returns
 * the ClientIds that had a row. No-op when the Identity Service has not created its tables yet.
 * Errors name the database (host, port, name) and PostgreSQL's message, never the connection string.
 */
async function deleteClientRows(connectionString: string, clientIds: readonly string[]): Promise<string[]> {
  if (clientIds.length === 0) return [];
  const config = pgClientConfig(connectionString);
  const where = `${config.host}:${config.port}/${config.database}`;
  const fail = (action: string, e: unknown): never => {
    const err = e as { message?: string; code?: string };
    throw new Error(`IdentityClientSync could not ${action} on the Identity Service database ${where}: ${err.message ?? String(e)}${err.code ? ` (SQLSTATE ${err.code})` : ""}`);
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

function stateOf(inputs: IdentityClientSyncInputs, removedClientIds: string[]): IdentityClientSyncOutputs {
  return { dbProvider: inputs.dbProvider, connectionString: inputs.connectionString, clientsJson: inputs.clientsJson, removedClientIds };
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
    const replaces = (["dbProvider", "connectionString"] as const).filter((k) => olds[k] !== news[k]);
    const changes = replaces.length > 0 || olds.clientsJson !== news.clientsJson;
    return { changes, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: IdentityClientSyncInputs): Promise<pulumi.dynamic.CreateResult<IdentityClientSyncOutputs>> {
    assertValidInputs(inputs);
    // First deployment: no tables yet, nothing happens. Adopting an existing Identity Service
    // database: the configured clients' rows go, so the (re)started container seeds this
    // configuration rather than keeping whatever the database held.
    const removed = await deleteClientRows(inputs.connectionString, [...parseClientsJson(inputs.clientsJson).keys()]);
    const { randomUUID } = require("crypto");
    return { id: randomUUID(), outs: stateOf(inputs, removed) };
  },

  async read(id: pulumi.ID, props?: IdentityClientSyncOutputs): Promise<pulumi.dynamic.ReadResult<IdentityClientSyncOutputs>> {
    // The state is the configuration last applied; the Identity Service's own rows are not drift.
    return { id, props };
  },

  async update(_id: pulumi.ID, olds: IdentityClientSyncOutputs, news: IdentityClientSyncInputs): Promise<pulumi.dynamic.UpdateResult<IdentityClientSyncOutputs>> {
    assertValidInputs(news);
    let clientIds: string[];
    try {
      clientIds = clientIdsToReseed(olds.clientsJson, news.clientsJson);
    } catch {
      // The previous value is unreadable (it passed check when it was applied, so this means hand-edited
      // state): re-seed every configured client, which is what create does.
      clientIds = [...parseClientsJson(news.clientsJson).keys()];
    }
    return { outs: stateOf(news, await deleteClientRows(news.connectionString, clientIds)) };
  },

  async delete(): Promise<void> {
    // Nothing to undo: the deleted rows were re-seeded by the Identity Service, which owns them.
  },
};

/** Arguments of IdentityClientSync. */
export interface IdentityClientSyncArgs {
  /** The Identity Service's `DbProvider` (`Postgres` or `MsSqlServer`); MS SQL fails with "not supported yet". */
  readonly dbProvider: pulumi.Input<IdentityDbProvider>;
  /** The ADO.NET connection string the Identity Service container gets (`PostgresConnection`); read as it is, never asked twice. */
  readonly connectionString: pulumi.Input<string>;
  /** The `Clients` value the container gets (a JSON array as one string). Holds the client secret. */
  readonly clientsJson: pulumi.Input<string>;
}

/**
 * Deletes the database rows of changed or removed clients, so the Identity Service seeds the new
 * `Clients` when its container restarts. Give the container `dependsOn: [thisResource]`.
 * `connectionString` and `clientsJson` are secret outputs.
 */
export class IdentityClientSync extends pulumi.dynamic.Resource {
  /** The Identity Service's `DbProvider`. */
  declare public readonly dbProvider: pulumi.Output<IdentityDbProvider>;
  /** The connection string used (secret). */
  declare public readonly connectionString: pulumi.Output<string>;
  /** The `Clients` value last applied (secret). */
  declare public readonly clientsJson: pulumi.Output<string>;
  /** ClientIds whose rows the last create or update deleted (sorted); deterministic, so a re-run plans no change. */
  declare public readonly removedClientIds: pulumi.Output<string[]>;

  // `declare`: with ES2022 class fields a plain field declaration would overwrite, after super(),
  // the outputs pulumi.CustomResource has just set.
  constructor(name: string, args: IdentityClientSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      identityClientSyncProvider,
      name,
      // A fresh object: pulumi.dynamic.Resource adds __provider to the props it is given.
      { dbProvider: args.dbProvider, connectionString: args.connectionString, clientsJson: args.clientsJson, removedClientIds: undefined },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connectionString", "clientsJson"] },
      "creatio-identity",
      "IdentityClientSync",
    );
  }
}
