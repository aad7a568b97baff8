import { Client, Pool } from "pg";
import { randomBytes } from "node:crypto";

/** The admin URL of the test PostgreSQL server started by globalSetup.mjs. */
export function adminUrl(): string {
  const url = process.env.TEST_PG_URL;
  if (!url) throw new Error("TEST_PG_URL is not set: run the tests through jest (globalSetup starts PostgreSQL)");
  return url;
}

/** The fixtures in test/fixtures/ a test database can start from: Creatio's tables, or IdentityServer4's. */
export type TestFixture = "creatio" | "identityserver4";

/** The template database globalSetup.mjs loaded `fixture` into. */
function templateOf(fixture: TestFixture): string {
  const templates = JSON.parse(process.env.TEST_PG_TEMPLATES ?? "{}") as Partial<Record<TestFixture, string>>;
  const template = templates[fixture];
  if (!template) throw new Error(`TEST_PG_TEMPLATES names no template for the fixture "${fixture}": run the tests through jest (globalSetup loads the fixtures)`);
  return template;
}

export interface TestDatabase {
  /** postgres:// URL of the new database. */
  readonly url: string;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Drops the database (terminating open connections); a second call does nothing. */
  drop(): Promise<void>;
}

/**
 * Connections `query` reuses, one pool per live test database's URL: a new PostgreSQL connection
 * costs the server a process and a password check, and read-backs run hundreds of queries a run.
 * Other URLs (the admin's, another role's) get a connection per query.
 */
const pools = new Map<string, Pool>();

/**
 * Creates a fresh database on the shared test server, so suites never see each other's rows:
 * empty, or a copy of a fixture's template (a file copy, cheaper than running the fixture's SQL).
 */
export async function createTestDatabase(prefix: string, options: { fixture?: TestFixture } = {}): Promise<TestDatabase> {
  const admin = new URL(adminUrl());
  const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  const template = options.fixture ? ` TEMPLATE "${templateOf(options.fixture)}"` : "";
  // The admin connection stays open until drop(), which uses it: one login fewer per test.
  const adminClient = new Client({ connectionString: admin.toString() });
  adminClient.on("error", () => undefined);
  await adminClient.connect();
  try {
    // FILE_COPY (PostgreSQL 15+) copies the template's files instead of writing every page to the
    // WAL: for these small databases a third of the server's work.
    const version = Number((await adminClient.query("SHOW server_version_num")).rows[0].server_version_num);
    await adminClient.query(`CREATE DATABASE "${name}"${template}${version >= 150000 ? " STRATEGY = FILE_COPY" : ""}`);
  } catch (e) {
    await adminClient.end();
    throw e;
  }
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  // Idle connections die when a test drops the database under them; the pool then opens a new one.
  pool.on("error", () => undefined);
  pools.set(url.toString(), pool);
  return {
    url: url.toString(),
    name,
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    async drop() {
      if (!pools.delete(url.toString())) return; // dropped already
      await pool.end();
      try {
        await adminClient.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await adminClient.end();
      }
    },
  };
}

/** Runs one query on a database URL and returns its rows. */
export async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const pool = pools.get(url);
  if (pool) return (await pool.query(sql, params)).rows as T[];
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
