import { rmSync } from "node:fs";
import pg from "pg";

export default async function globalTeardown() {
  if (globalThis.__TEST_KEYS_DIR__) rmSync(globalThis.__TEST_KEYS_DIR__, { recursive: true, force: true });
  // The fixture templates (globalSetup.mjs), which matter on a server of the developer's own (TEST_PG_URL).
  const templates = globalThis.__PG_TEMPLATES__;
  if (templates) {
    const client = new pg.Client({ connectionString: templates.adminUrl });
    await client.connect();
    try {
      for (const name of templates.names) await client.query(`DROP DATABASE IF EXISTS "${name}"`);
    } finally {
      await client.end();
    }
  }
  const started = globalThis.__EMBEDDED_PG__;
  if (!started) return;
  await started.server.stop();
  // persistent: false removes the data directory on stop; make sure of it, and of the copied binaries.
  for (const dir of [started.databaseDir, ...(started.cleanupDirs ?? [])]) rmSync(dir, { recursive: true, force: true });
}
