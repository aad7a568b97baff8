/**
 * A PostgreSQL login of an e2e file's own, and the test databases it owns: its password is a value
 * the file looks for in state and in the engine's output (and is chosen to need quoting in every
 * spelling of a connection string). Owning a database gives the login its public schema too
 * (PostgreSQL 15+: pg_database_owner).
 */
import { npgsqlConnectionString } from "../../lib/connectionString";
import { adminUrl, createTestDatabase, query, TestDatabase } from "../../test/support/pg";

/** A test database owned by the login, and how the login reaches it. */
export interface OwnedDatabase {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** postgres:// URL, as the login. */
  readonly url: string;
  /** The same as an Npgsql connection string (the Identity Service's spelling). */
  readonly connectionString: string;
}

export interface DatabaseOwner {
  /** A new database (named after `prefix`) owned by the login. */
  createDatabase(prefix: string): Promise<OwnedDatabase>;
  /** Drops its databases, then the login (a failure of that ignored); rejects when a database could not be dropped. */
  drop(): Promise<void>;
}

/** Creates the login `role` with `password`. */
export async function createDatabaseOwner(role: string, password: string): Promise<DatabaseOwner> {
  await query(adminUrl(), `CREATE ROLE "${role}" LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
  const databases: TestDatabase[] = [];
  return {
    async createDatabase(prefix) {
      const db = await createTestDatabase(prefix);
      databases.push(db);
      await query(adminUrl(), `ALTER DATABASE "${db.name}" OWNER TO "${role}"`);
      return {
        name: db.name,
        host: db.host,
        port: db.port,
        url: `postgres://${encodeURIComponent(role)}:${encodeURIComponent(password)}@${db.host}:${db.port}/${db.name}`,
        connectionString: npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username: role, password }),
      };
    },
    async drop() {
      const dropped = await Promise.allSettled(databases.map((db) => db.drop()));
      await query(adminUrl(), `DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
      const failed = dropped.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}
