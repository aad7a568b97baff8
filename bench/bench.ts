/**
 * `npm run bench`: prints figures, asserts nothing.
 *  1. Time and memory to evaluate the dev stack program under Pulumi's mocks, and its resource count.
 *  2. The Creatio integration provider's create/read/delete round trip against a real PostgreSQL,
 *     next to the seed's raw SQL run with `pg` as the baseline (when that benchmark module exists).
 *  3. Upgrades: the content tag of an IdentityService folder, snapshot and restore times (bench/upgrade.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as url from "node:url";
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";

async function evaluateDevStack(): Promise<{ ms: number; resources: number }> {
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-project-"));
  fs.mkdirSync(path.join(projectDir, "IdentityService"));
  fs.writeFileSync(path.join(projectDir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");
  const registered: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        registered.push(`${a.type}::${a.name}`);
        return {
          id: `${a.name}-id`,
          state: {
            ...a.inputs,
            result: "x".repeat(a.inputs.length ?? 8),
            certPem: "c",
            privateKeyPem: "k",
            pfxBase64: "AA==",
            notAfter: "2027-01-01T00:00:00Z",
            validityEndTime: "2027-01-01T00:00:00Z",
            repoDigest: "img@sha256:0",
            imageId: "sha256:0",
            name: a.inputs.name ?? a.name,
          },
        };
      },
      call: (a) => a.inputs,
    },
    "creatio-identity",
    "dev",
    false,
  );
  pulumi.runtime.setAllConfig({}, []);
  const started = performance.now();
  const { parseStackConfig } = await import("../config");
  const { createIdentityStack } = await import("../stack");
  try {
    const outputs = createIdentityStack(parseStackConfig({ values: {}, secretKeys: new Set(), projectDir }));
    await new Promise<void>((resolve) => pulumi.all(Object.values(outputs)).apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    return { ms: performance.now() - started, resources: registered.length };
  } finally {
    fs.rmSync(projectDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const heapBefore = process.memoryUsage().heapUsed;
  const dev = await evaluateDevStack();
  const heapAfter = process.memoryUsage().heapUsed;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push((await evaluateDevStack()).ms);
  warm.sort((a, b) => a - b);
  console.log("dev stack program under mocks");
  console.log(`  evaluation time (first run, includes module load): ${dev.ms.toFixed(1)} ms`);
  console.log(`  evaluation time (warm, median of ${warm.length}): ${warm[Math.floor(warm.length / 2)].toFixed(1)} ms`);
  console.log(`  resources registered: ${dev.resources}`);
  console.log(`  heap growth: ${((heapAfter - heapBefore) / 1024 / 1024).toFixed(1)} MiB, rss: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`);

  const integrationBench = path.join(__dirname, "creatioIntegration.ts");
  if (!fs.existsSync(integrationBench)) {
    console.log("Creatio integration round trip: skipped (bench/creatioIntegration.ts not present)");
    return;
  }
  // The tests' starter: it also works as root from a clone other users cannot enter.
  const starter = path.join(__dirname, "..", "test", "support", "embeddedPostgres.mjs");
  const { startEmbeddedPostgres } = await (new Function("m", "return import(m)") as (m: string) => Promise<any>)(url.pathToFileURL(starter).href);
  const databaseDir = path.join(os.tmpdir(), `bench-pg-${process.pid}-${Date.now()}`);
  const port = 40000 + Math.floor(Math.random() * 20000);
  const { server, cleanupDirs } = await startEmbeddedPostgres({ databaseDir, port, password: "bench" });
  try {
    const { benchCreatioIntegration } = await import("./creatioIntegration");
    const figures = await benchCreatioIntegration(`postgres://postgres:bench@127.0.0.1:${port}/postgres`);
    console.log("Creatio integration (real PostgreSQL, Creatio and Identity Service stand-ins)");
    for (const [k, v] of Object.entries(figures)) console.log(`  ${k}: ${typeof v === "number" ? v.toFixed(2) : v}`);

    // Upgrades (bench/upgrade.ts): content tag at program time, snapshot and restore of the database.
    const { benchUpgrade } = await import("./upgrade");
    console.log("Upgrades (real PostgreSQL, IdentityServer4 schema)");
    for (const [k, v] of Object.entries(await benchUpgrade(`postgres://postgres:bench@127.0.0.1:${port}/postgres`)))
      console.log(`  ${k}: ${typeof v === "number" ? v.toFixed(1) : v}`);
  } finally {
    await server.stop();
    for (const dir of [databaseDir, ...cleanupDirs]) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
