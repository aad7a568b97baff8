import { rmSync } from "node:fs";

export default async function globalTeardown() {
  const started = globalThis.__EMBEDDED_PG__;
  if (!started) return;
  await started.server.stop();
  // persistent: false removes the data directory on stop; make sure of it.
  rmSync(started.databaseDir, { recursive: true, force: true });
}
