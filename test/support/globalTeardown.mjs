import { rmSync } from "node:fs";

export default async function globalTeardown() {
  const started = globalThis.__EMBEDDED_PG__;
  if (!started) return;
  await started.server.stop();
  // persistent: false removes the data directory on stop; make sure of it, and of the copied binaries.
  for (const dir of [started.databaseDir, ...(started.cleanupDirs ?? [])]) rmSync(dir, { recursive: true, force: true });
}
