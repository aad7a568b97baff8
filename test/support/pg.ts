import { Client } from "pg";
import { randomBytes } from "node:crypto";

/** The admin URL of the test PostgreSQL server started by globalSetup.mjs. */
export function adminUrl(): string {
  const url = process.env.TEST_PG_URL;
  if (!url) throw new Error("TEST_PG_URL is not set: run the tests through jest (globalSetup starts PostgreSQL)");
  return url;
}

export interface TestDatabase {
  /** postgres:// URL of the new, empty database. */
  readonly url: string;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Drops the database (terminating open connections). */
  drop(): Promise<void>;
}

/** Creates a fresh database on the shared test server, so suites never see each other's rows. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const admin = new URL(adminUrl());
  const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    async drop() {
      const c = new Client({ connectionString: admin.toString() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Runs one query on a database URL and returns its rows. */
export async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
