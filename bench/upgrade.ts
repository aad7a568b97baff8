/**
 * Upgrade figures (docs/upgrade.md): how long the content tag of an unpacked IdentityService.zip
 * takes at program time, and how long a snapshot and a restore of the Identity Service database take
 * against a real PostgreSQL, for IdentityServer4's schema with few rows and with many grants.
 * Called by bench/bench.ts, which starts PostgreSQL; prints nothing itself.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { sourceContentTag } from "../lib/imageTag";
import { Query, restoreSnapshot, takeSnapshot } from "../lib/databaseSnapshots";
import { insertClient } from "../test/support/identityServerClients";

const FIXTURE = fs.readFileSync(path.join(__dirname, "..", "test", "fixtures", "identityserver4.sql"), "utf8");

async function ms<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const started = performance.now();
  const value = await f();
  return [performance.now() - started, value];
}

/** A folder the size of an unpacked IdentityService.zip (about 60 MB in 300 files). */
function fakeIdentityService(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-is-"));
  for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, `lib${i}.dll`), randomBytes(200 * 1024));
  fs.writeFileSync(path.join(dir, "Dockerfile-OAuth"), "FROM mcr.microsoft.com/dotnet/aspnet:6.0\n");
  return dir;
}

async function snapshotRoundTrip(adminUrl: string, grants: number): Promise<Record<string, number>> {
  const name = `bench_upgrade_${randomBytes(4).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const c = new Client({ connectionString: url.toString() });
  await c.connect();
  const q: Query = (sql, params) => c.query(sql, params as unknown[]).then((r) => r.rows);
  try {
    await q(FIXTURE);
    for (let i = 0; i < 20; i++) await insertClient(q, { ClientId: `client${String(i).padStart(10, "0")}`, Secrets: ["s".repeat(32)], AllowedScopes: ["a", "b", "c"] });
    if (grants > 0) {
      await q(
        `INSERT INTO "PersistedGrants" ("Key","Type","ClientId","CreationTime","Data") SELECT 'k' || g, 'reference_token', 'client0000000000', now(), repeat('x', 1000) FROM generate_series(1, $1) g`,
        [grants],
      );
    }
    const [snapshotMs, taken] = await ms(() => takeSnapshot(q, "bench:v1", "v1"));
    await q(`DELETE FROM "PersistedGrants" WHERE "Key" LIKE 'k1%'`);
    await q(`ALTER TABLE "Clients" ADD COLUMN "Extra" boolean NOT NULL DEFAULT false`);
    const [restoreMs] = await ms(() => restoreSnapshot(q, taken.snapshot!.name));
    return { rows: taken.snapshot!.rows, "snapshot ms": snapshotMs, "restore ms": restoreMs, "snapshot size MiB": taken.snapshot!.sizeBytes / 1024 / 1024 };
  } finally {
    await c.end();
    await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

export async function benchUpgrade(adminUrl: string): Promise<Record<string, number | string>> {
  const dir = fakeIdentityService();
  try {
    const [tagMs] = await ms(() => sourceContentTag(dir));
    const small = await snapshotRoundTrip(adminUrl, 0);
    const large = await snapshotRoundTrip(adminUrl, 100_000);
    return {
      "content tag of a 60 MB IdentityService folder (ms)": tagMs,
      ...Object.fromEntries(Object.entries(small).map(([k, v]) => [`fixture + 20 clients: ${k}`, v])),
      ...Object.fromEntries(Object.entries(large).map(([k, v]) => [`+ 100,000 grants of 1 kB: ${k}`, v])),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
