/**
 * ADO.NET connection strings, as the Identity Service reads them (Npgsql for PostgreSQL,
 * Microsoft.Data.SqlClient for MS SQL). Pure functions: no Pulumi, no I/O.
 *
 * Quoting follows System.Data.Common.DbConnectionStringBuilder: a value made only of characters
 * other than `"`, `'`, `=`, `;`, white space and control characters goes as it is; any other value
 * is wrapped in double quotes, or in single quotes when it holds a double quote but no single one,
 * and otherwise in double quotes with inner double quotes doubled. A `=` inside a key is doubled.
 */

export type DbProvider = "Postgres" | "MsSqlServer";

const PLAIN_VALUE = /^[^"'=;\s\p{Cc}]*$/u;

/** Quotes one connection-string value per ADO.NET rules (see the module comment). */
export function quoteValue(value: string): string {
  if (PLAIN_VALUE.test(value)) return value;
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/"/g, '""')}"`;
}

/** Joins key/value pairs into one connection string; undefined values are left out. */
export function formatConnectionString(pairs: ReadonlyArray<readonly [string, string | number | boolean | undefined]>): string {
  return pairs
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k.replace(/=/g, "==")}=${quoteValue(String(v))}`)
    .join(";");
}

/**
 * Parses a connection string per ADO.NET rules into a map keyed by lower-cased key
 * (keys are case-insensitive; the last occurrence wins, as in .NET).
 * Throws an error that names the position, never the string itself: it may hold a password.
 */
export function parseConnectionString(text: string): Map<string, string> {
  const result = new Map<string, string>();
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new Error(`malformed connection string: ${what} at character ${i + 1}`);
  };
  while (i < n) {
    while (i < n && (text[i] === ";" || /\s/.test(text[i]))) i++;
    if (i >= n) break;
    let key = "";
    for (;;) {
      if (i >= n) fail("a key without '='");
      const c = text[i];
      if (c === "=") {
        if (text[i + 1] === "=") {
          key += "=";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      if (c === ";") fail("a key without '='");
      key += c;
      i++;
    }
    key = key.trim().replace(/\s+/g, " ");
    if (!key) fail("an empty key");
    while (i < n && /[^\S\r\n]/.test(text[i]) && text[i] !== ";") i++;
    let value = "";
    const q = text[i];
    if (q === '"' || q === "'") {
      i++;
      for (;;) {
        if (i >= n) fail("an unterminated quoted value");
        if (text[i] === q) {
          if (text[i + 1] === q) {
            value += q;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      while (i < n && /\s/.test(text[i])) i++;
      if (i < n && text[i] !== ";") fail("text after a quoted value");
    } else {
      const start = i;
      while (i < n && text[i] !== ";") i++;
      value = text.slice(start, i).trim();
    }
    result.set(key.toLowerCase(), value);
  }
  return result;
}

/** Parts of a PostgreSQL connection, as both Npgsql and node-postgres need them. */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password: string;
  /** Npgsql `SSL Mode`: Disable, Allow, Prefer, Require, VerifyCA, VerifyFull. */
  readonly sslMode?: string;
  /** Npgsql `Trust Server Certificate`: encrypt without validating the server's certificate. */
  readonly trustServerCertificate?: boolean;
}

/** Parts of an MS SQL connection for SqlClient. */
export interface SqlServerConnection {
  readonly server: string;
  readonly port: number;
  readonly database: string;
  readonly userId: string;
  readonly password: string;
  readonly encrypt?: boolean;
  readonly trustServerCertificate?: boolean;
}

/** Npgsql syntax: `Host=..;Port=..;Database=..;Username=..;Password=..[;SSL Mode=..]`. */
export function npgsqlConnectionString(c: PostgresConnection): string {
  return formatConnectionString([
    ["Host", c.host],
    ["Port", c.port],
    ["Database", c.database],
    ["Username", c.username],
    ["Password", c.password],
    ["SSL Mode", c.sslMode],
    ["Trust Server Certificate", c.trustServerCertificate === undefined ? undefined : String(c.trustServerCertificate)],
  ]);
}

/**
 * The `sslmode` values the pinned `@pulumi/postgresql` accepts. Its provider (3.18.x) bridges
 * cyrilgdn/terraform-provider-postgresql v1.27, which hands `sslmode` unchecked to the Go driver
 * lib/pq v1.12.3; lib/pq accepts these six since v1.12.0. Older providers (`@pulumi/postgresql` up
 * to 3.17, lib/pq 1.10) refuse `prefer` and `allow` ("pq: unsupported sslmode"), and the upstream
 * provider's documentation still says so; test/connectionString.test.ts checks the pinned version.
 */
export const POSTGRESQL_PROVIDER_SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;

/** The first `@pulumi/postgresql` whose provider accepts every mode of POSTGRESQL_PROVIDER_SSL_MODES. */
export const POSTGRESQL_PROVIDER_ALL_SSL_MODES_SINCE = "3.18.0";

/** The sslmode values libpq (and so @pulumi/postgresql) accepts, by their Npgsql spelling. */
const NPGSQL_SSL_MODES: Readonly<Record<(typeof POSTGRESQL_PROVIDER_SSL_MODES)[number], string>> = {
  disable: "Disable",
  allow: "Allow",
  prefer: "Prefer",
  require: "Require",
  "verify-ca": "VerifyCA",
  "verify-full": "VerifyFull",
};

/**
 * Maps a PostgreSQL `sslmode` (libpq spelling such as `verify-full`, or Npgsql's `VerifyFull`,
 * any case) to the libpq value and the Npgsql settings with the same meaning. libpq's `require`
 * encrypts without checking the certificate; Npgsql 6 and 7 refuse `SSL Mode=Require` unless
 * `Trust Server Certificate=true` says so explicitly (older and newer Npgsql accept the key), so it
 * is added. Returns undefined for an unknown mode; the caller names its own setting in the error.
 */
export function sslModeSettings(mode: string): { libpq: string; npgsql: Pick<PostgresConnection, "sslMode" | "trustServerCertificate"> } | undefined {
  const wanted = mode
    .trim()
    .toLowerCase()
    .replace(/[-_\s]/g, "");
  for (const [libpq, npgsql] of Object.entries(NPGSQL_SSL_MODES)) {
    if (libpq.replace(/-/g, "") !== wanted) continue;
    return { libpq, npgsql: { sslMode: npgsql, ...(libpq === "require" ? { trustServerCertificate: true } : {}) } };
  }
  return undefined;
}

/** SqlClient syntax: `Server=host,port;Database=..;User Id=..;Password=..`. */
export function sqlClientConnectionString(c: SqlServerConnection): string {
  return formatConnectionString([
    ["Server", `${c.server},${c.port}`],
    ["Database", c.database],
    ["User Id", c.userId],
    ["Password", c.password],
    ["Encrypt", c.encrypt === undefined ? undefined : String(c.encrypt)],
    ["TrustServerCertificate", c.trustServerCertificate === undefined ? undefined : String(c.trustServerCertificate)],
  ]);
}

function pick(map: Map<string, string>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = map.get(k);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The libpq spelling of an Npgsql connection string's `SSL Mode` (e.g. `disable`), or undefined when it sets none or does not parse. */
export function npgsqlSslMode(text: string): string | undefined {
  try {
    const raw = pick(parseConnectionString(text), "ssl mode", "sslmode");
    return raw === undefined ? undefined : (sslModeSettings(raw)?.libpq ?? raw.trim().toLowerCase());
  } catch {
    return undefined;
  }
}

/** A SqlClient connection string's `Encrypt` value, or undefined when it sets none or does not parse. */
export function sqlClientEncrypt(text: string): string | undefined {
  try {
    return parseConnectionString(text).get("encrypt")?.trim();
  } catch {
    return undefined;
  }
}

/** Reads an Npgsql connection string back into its parts (the synonyms Npgsql accepts included). */
export function parseNpgsqlConnectionString(text: string): PostgresConnection {
  const m = parseConnectionString(text);
  const host = pick(m, "host", "server");
  const database = pick(m, "database", "db");
  const username = pick(m, "username", "user name", "userid", "user id", "uid", "user");
  if (!host) throw new Error("PostgreSQL connection string has no Host");
  if (!database) throw new Error("PostgreSQL connection string has no Database");
  if (!username) throw new Error("PostgreSQL connection string has no Username");
  const portText = pick(m, "port") ?? "5432";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error("PostgreSQL connection string has an invalid Port");
  const trust = pick(m, "trust server certificate", "trustservercertificate");
  return {
    host,
    port,
    database,
    username,
    password: pick(m, "password", "psw", "pwd") ?? "",
    sslMode: pick(m, "ssl mode", "sslmode"),
    ...(trust === undefined ? {} : { trustServerCertificate: /^(true|yes)$/i.test(trust) }),
  };
}

/** Reads a SqlClient connection string back into its parts. */
export function parseSqlClientConnectionString(text: string): SqlServerConnection {
  const m = parseConnectionString(text);
  const serverText = pick(m, "server", "data source", "address", "addr", "network address");
  const database = pick(m, "database", "initial catalog");
  if (!serverText) throw new Error("MS SQL connection string has no Server");
  if (!database) throw new Error("MS SQL connection string has no Database");
  const [server, portText] = serverText.replace(/^tcp:/i, "").split(",");
  const port = portText === undefined ? 1433 : Number(portText.trim());
  if (!server.trim() || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error("MS SQL connection string has an invalid Server (expected host or host,port)");
  const bool = (v?: string) => (v === undefined ? undefined : /^(true|yes|mandatory|strict)$/i.test(v));
  return {
    server: server.trim(),
    port,
    database,
    userId: pick(m, "user id", "uid", "user") ?? "",
    password: pick(m, "password", "pwd") ?? "",
    encrypt: bool(pick(m, "encrypt")),
    trustServerCertificate: bool(pick(m, "trustservercertificate", "trust server certificate")),
  };
}

/**
 * node-postgres client settings for an Npgsql connection string, so the providers that reach the
 * Identity Service database read the very string the container gets.
 */
export function pgClientConfig(npgsql: string): { host: string; port: number; database: string; user: string; password: string; ssl?: boolean | { rejectUnauthorized: boolean } } {
  const c = parseNpgsqlConnectionString(npgsql);
  // Npgsql's Prefer/Allow fall back to plain connections, which node-postgres cannot: only the
  // modes that insist on TLS turn it on here.
  const mode = (c.sslMode ?? "").toLowerCase().replace(/-/g, "");
  const ssl = mode === "require" ? { rejectUnauthorized: false } : mode === "verifyca" || mode === "verifyfull" ? { rejectUnauthorized: true } : undefined;
  return { host: c.host, port: c.port, database: c.database, user: c.username, password: c.password, ...(ssl ? { ssl } : {}) };
}

/**
 * Which PostgreSQL database an Npgsql connection string reaches, without credentials:
 * `host:port/database` (host lower-cased, port defaulted to 5432). Two strings with the same
 * identity reach the same database, whatever their password, quoting, key order or extra keys
 * (`Timeout=`, pooling, SSL). Host names are compared as written: `localhost` and `127.0.0.1` differ.
 */
export function postgresDatabaseIdentity(npgsql: string): string {
  const c = parseNpgsqlConnectionString(npgsql);
  return `${c.host.trim().toLowerCase()}:${c.port}/${c.database}`;
}

/** The config key a supplied connection string comes from; errors name it. */
export const SUPPLIED_CONNECTION_STRING_KEY = "databaseConnectionString";

/**
 * Checks that a supplied connection string parses per ADO.NET rules and names what the Identity
 * Service needs. Returns it unchanged (extra keys such as pooling or timeouts are the user's to set).
 * The error names the config key and the missing part, never the value: it holds a password.
 */
export function checkSuppliedConnectionString(provider: DbProvider, value: string): string {
  const example =
    provider === "Postgres"
      ? "Host=db.example.com;Port=5432;Database=identity_service;Username=identity_service;Password=..."
      : "Server=sql.example.com,1433;Database=identity_service;User Id=identity_service;Password=...";
  const fail = (why: string): never => {
    throw new Error(
      `${SUPPLIED_CONNECTION_STRING_KEY} is not a usable ${provider === "Postgres" ? "PostgreSQL connection string (Npgsql syntax)" : "MS SQL connection string (SqlClient syntax)"}: ${why}. ` +
        `Set it with \`pulumi config set --secret ${SUPPLIED_CONNECTION_STRING_KEY} '${example}'\` (quote a value holding ; ' " or = in double quotes, doubling any " inside).`,
    );
  };
  if (typeof value !== "string" || value.trim() === "") fail("it is empty");
  try {
    if (provider === "Postgres") {
      parseNpgsqlConnectionString(value);
    } else {
      parseSqlClientConnectionString(value);
      const keys = parseConnectionString(value);
      const hasLogin = ["user id", "uid", "user"].some((k) => keys.get(k));
      const hasOtherAuth = keys.has("authentication") || /^(true|yes|sspi)$/i.test(keys.get("integrated security") ?? keys.get("trusted_connection") ?? "");
      if (!hasLogin && !hasOtherAuth) throw new Error("MS SQL connection string has no User Id (nor Integrated Security or Authentication)");
    }
  } catch (e) {
    // Our parsers' messages name positions and keys only, so they are safe to pass on.
    fail(e instanceof Error ? e.message : "it cannot be parsed");
  }
  return value;
}
