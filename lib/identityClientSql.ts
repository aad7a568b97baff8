/**
 * What IdentityClientSync does to the Identity Service database, as data and SQL text, plus the
 * comparison of two `Clients` settings. Pure: no Pulumi, no I/O, no imports, so the dynamic
 * provider that uses it serializes cleanly.
 *
 * The Identity Service (IdentityServer4 with EF Core's ConfigurationDbContext) copies its
 * `Clients` setting into the database only when a client is missing. To make a changed client
 * reach it, the client's rows are deleted and the service restarted, so it seeds the new version.
 * Table and column names are IdentityServer4's (quoted PascalCase on PostgreSQL), unqualified so
 * that they resolve through the connection's `search_path`, exactly as the service's own queries do.
 */

/** The table holding one row per client; `"Id"` is its key, `"ClientId"` the client's name. */
export const CLIENTS_TABLE = "Clients";

/**
 * Every IdentityServer4 table that holds a client's details: each has `"ClientId" integer`
 * referencing `"Clients"("Id")`. Deleted explicitly (not left to ON DELETE CASCADE) so the result
 * does not depend on how the foreign keys were created.
 */
export const CLIENT_CHILD_TABLES: readonly string[] = [
  "ClientScopes",
  "ClientSecrets",
  "ClientClaims",
  "ClientGrantTypes",
  "ClientRedirectUris",
  "ClientPostLogoutRedirectUris",
  "ClientProperties",
  "ClientCorsOrigins",
  "ClientIdPRestrictions",
];

/** All the tables a client's rows live in: the child tables, then `Clients` itself. */
export const CLIENT_TABLES: readonly string[] = [...CLIENT_CHILD_TABLES, CLIENTS_TABLE];

/** `Clients` → `"Clients"` (PostgreSQL identifier quoting). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Which of the tables in `$1` (text[]) exist, looked up through `search_path` as the unqualified
 * names in the DELETE statements are. Returns rows `{ table_name }`.
 */
export const EXISTING_TABLES_SQL = `SELECT t AS table_name FROM unnest($1::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NOT NULL`;

/** Deletes one child table's rows of the clients named in `$1` (text[] of ClientId values). */
export function deleteClientChildRowsSql(table: string): string {
  return `DELETE FROM ${quoteIdentifier(table)} WHERE "ClientId" IN ` + `(SELECT "Id" FROM ${quoteIdentifier(CLIENTS_TABLE)} WHERE "ClientId" = ANY($1::text[]))`;
}

/** Deletes the `Clients` rows named in `$1` (text[]) and returns the ClientIds it deleted. */
export const DELETE_CLIENTS_SQL = `DELETE FROM ${quoteIdentifier(CLIENTS_TABLE)} WHERE "ClientId" = ANY($1::text[]) RETURNING "ClientId"`;

/**
 * The statements, in order, that delete the given clients' rows, for the tables that exist
 * (an older schema may lack a child table). Empty when `Clients` itself does not exist: the
 * Identity Service has not created its tables yet and will seed every client when it does.
 * Each statement takes `$1` = the ClientIds (text[]); run them in one transaction.
 */
export function clientRowDeletionStatements(existingTables: readonly string[]): string[] {
  const present = new Set(existingTables);
  if (!present.has(CLIENTS_TABLE)) return [];
  return [...CLIENT_CHILD_TABLES.filter((t) => present.has(t)).map(deleteClientChildRowsSql), DELETE_CLIENTS_SQL];
}

/** A problem with a `Clients` value. The message names the property, never its content (it holds the secret). */
export class ClientsJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClientsJsonError";
  }
}

/**
 * Parses a `Clients` value into a map ClientId → the client's JSON object.
 * `property` names the setting in error messages. The messages never include the text: a JSON
 * parser's own message quotes the input around the fault, and this input holds the client secret.
 */
export function parseClientsJson(text: string, property = "clientsJson"): Map<string, unknown> {
  if (typeof text !== "string" || text.trim() === "") {
    throw new ClientsJsonError(`${property} is missing or empty; it must be the Identity Service's Clients value: a JSON array of client objects, each with a ClientId`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ClientsJsonError(`${property} is not valid JSON; it must be the Identity Service's Clients value, a JSON array of client objects (build it with JSON.stringify)`);
  }
  if (!Array.isArray(parsed)) {
    throw new ClientsJsonError(
      `${property} must be a JSON array of client objects (the Identity Service's Clients value), not a single ${parsed === null ? "null" : typeof parsed}`,
    );
  }
  const clients = new Map<string, unknown>();
  const firstEntry = new Map<string, number>();
  parsed.forEach((entry, index) => {
    const clientId = entry !== null && typeof entry === "object" && !Array.isArray(entry) ? (entry as Record<string, unknown>).ClientId : undefined;
    if (typeof clientId !== "string" || clientId.trim() === "") {
      throw new ClientsJsonError(`${property}: entry ${index + 1} has no ClientId; every client object needs a non-empty string ClientId`);
    }
    const earlier = firstEntry.get(clientId);
    if (earlier !== undefined) {
      throw new ClientsJsonError(`${property}: entries ${earlier + 1} and ${index + 1} have the same ClientId; each client must appear once`);
    }
    firstEntry.set(clientId, index);
    clients.set(clientId, entry);
  });
  return clients;
}

/** JSON with object keys sorted at every level, so key order alone never counts as a change. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** How the clients of two `Clients` values compare, by ClientId (each list sorted). */
export interface ClientChanges {
  /** In both, with any property different (secret, scopes, URIs, lifetimes, ...). Array order counts. */
  readonly changed: string[];
  /** In the old value only. */
  readonly removed: string[];
  /** In the new value only. */
  readonly added: string[];
  /** In both, equal up to key order. */
  readonly unchanged: string[];
}

/** Compares two `Clients` values client by client. Throws ClientsJsonError (naming the property) on a malformed one. */
export function diffClients(oldJson: string, newJson: string): ClientChanges {
  const olds = parseClientsJson(oldJson, "the previous clientsJson");
  const news = parseClientsJson(newJson, "clientsJson");
  const changed: string[] = [];
  const removed: string[] = [];
  const unchanged: string[] = [];
  for (const [clientId, oldClient] of olds) {
    if (!news.has(clientId)) removed.push(clientId);
    else if (canonicalJson(oldClient) !== canonicalJson(news.get(clientId))) changed.push(clientId);
    else unchanged.push(clientId);
  }
  const added = [...news.keys()].filter((clientId) => !olds.has(clientId));
  return { changed: changed.sort(), removed: removed.sort(), added: added.sort(), unchanged: unchanged.sort() };
}

/**
 * The ClientIds whose rows must go so the Identity Service seeds what the new value says:
 * changed and removed clients, and added ones too. An added client normally has no rows (deleting
 * nothing is harmless); if it does have rows, they were not written from this configuration, and
 * the Identity Service would otherwise keep them instead of the configured client. Unchanged
 * clients are never included.
 */
export function clientIdsToReseed(oldJson: string, newJson: string): string[] {
  const { changed, removed, added } = diffClients(oldJson, newJson);
  return [...changed, ...removed, ...added].sort();
}
