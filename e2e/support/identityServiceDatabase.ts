/**
 * The Identity Service's side of the e2e, on a real PostgreSQL database holding
 * test/fixtures/identityserver4.sql. Docker images of the Identity Service cannot be pulled on these
 * machines, so two stand-ins take the container's place:
 *
 * - `seedMissingClients` does what the Identity Service does when its container (re)starts: it adds
 *   every client of its `Clients` setting that the database lacks, and leaves existing clients as
 *   they are (that is why IdentityClientSync has to delete a changed client's rows). The rows are
 *   written the way IdentityServer4's EF store writes them: one `Clients` row and the child rows,
 *   secrets hashed with IdentityServer4's `Sha256()` (SHA-256, base64).
 * - `watchClientSecrets` gives the Identity Service stand-in (test/support/identityServiceStandIn.ts)
 *   an `isValidClient` that answers from the database's `ClientSecrets`, as IdentityServer4 does:
 *   a client whose rows IdentityClientSync deleted stops getting tokens, a re-seeded one gets them
 *   with its new secret. The stand-in's callback is synchronous, so the rows are polled (and read
 *   again on demand with `refresh`).
 */
import { Client } from "pg";
import { hashClientSecret, insertClient, SeedableClient } from "../../test/support/identityServerClients";

export { hashClientSecret };
import { parseClientsJson } from "../../lib/identityClientSql";

async function withClient<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 10000 });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/**
 * The container's start-up seeding: inserts each client of `clientsJson` that has no `Clients` row,
 * in one transaction. Returns the ClientIds it inserted (sorted); existing clients are not touched.
 */
export async function seedMissingClients(url: string, clientsJson: string): Promise<string[]> {
  const clients = [...parseClientsJson(clientsJson, "Clients").values()] as SeedableClient[];
  return withClient(url, async (c) => {
    await c.query("BEGIN");
    try {
      const seeded: string[] = [];
      for (const entry of clients) {
        const existing = await c.query(`SELECT 1 FROM "Clients" WHERE "ClientId" = $1`, [entry.ClientId]);
        if (existing.rowCount) continue;
        await insertClient((sql, params) => c.query(sql, params).then((r) => r.rows), entry);
        seeded.push(entry.ClientId);
      }
      await c.query("COMMIT");
      return seeded.sort();
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  });
}

/** One client as the database has it: its `Clients."Id"` and the hashed secrets. */
export interface StoredClient {
  readonly id: number;
  readonly secretHashes: string[];
}

/** ClientId → the client's row id and secret hashes, for every client in the database. */
export async function storedClients(url: string): Promise<Map<string, StoredClient>> {
  return withClient(url, (c) => readStoredClients(c));
}

async function readStoredClients(c: Client): Promise<Map<string, StoredClient>> {
  const { rows } = await c.query(
    `SELECT c."ClientId" AS "clientId", c."Id" AS id, coalesce(array_agg(s."Value") FILTER (WHERE s."Value" IS NOT NULL), '{}') AS hashes
       FROM "Clients" c LEFT JOIN "ClientSecrets" s ON s."ClientId" = c."Id"
      WHERE c."Enabled"
      GROUP BY c."ClientId", c."Id"`,
  );
  return new Map(rows.map((r) => [r.clientId as string, { id: r.id as number, secretHashes: r.hashes as string[] }]));
}

export interface ClientSecretsWatcher {
  /** True when the database (as last read) has an enabled client `clientId` with this secret. */
  isValidClient(clientId: string, secret: string): boolean;
  /** Reads the rows now. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/** Polls `ClientSecrets` every `intervalMs` on one connection, until stop(). */
export async function watchClientSecrets(url: string, intervalMs = 100): Promise<ClientSecretsWatcher> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 10000 });
  c.on("error", () => undefined);
  await c.connect();
  let clients = new Map<string, StoredClient>();
  let stopped = false;
  let reading: Promise<void> = Promise.resolve();
  // Serialized on the one connection: a poll and a refresh never overlap.
  const refresh = () =>
    (reading = reading.then(async () => {
      if (!stopped) clients = await readStoredClients(c);
    }));
  await refresh();
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    timer = setTimeout(() => {
      refresh()
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) loop();
        });
    }, intervalMs);
  };
  loop();
  return {
    isValidClient: (clientId, secret) => clients.get(clientId)?.secretHashes.includes(hashClientSecret(secret)) ?? false,
    refresh,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await reading.catch(() => undefined);
      await c.end().catch(() => undefined);
    },
  };
}
