/**
 * Upgrading the Identity Service under the real Pulumi engine: IdentityDatabaseSnapshot and
 * IdentityServiceHealthGate in an inline Automation API program, run by the CLI that
 * scripts/install-pulumi-from-source.sh builds (see docs/e2e.md for what the engine adds over the
 * unit tests, and docs/upgrade.md for the procedure this follows).
 *
 * Around the engine: a real PostgreSQL database (the Identity Service's, owned by a login of the
 * test's own) and the Docker Engine API stand-in (test/support/dockerEngineStandIn.ts, checked
 * against a real dockerd by test/dockerEngine.test.ts). The Identity Service CONTAINER is stood in
 * for by a step of the program, as in engine.e2e.test.ts: like the real container, which takes its
 * image from the snapshot resource's output, the step runs on `snapshot.image`; when the image
 * differs from the running container's, it replaces that container in the Docker stand-in and does
 * what the new version does on its first start: V1 creates the tables (test/fixtures/identityserver4.sql)
 * and seeds its clients, V2 adds a column, V3 drops rows and adds a table, and never becomes healthy.
 *
 * The story: V1, upgrade to V2 (snapshot first), upgrade to V3 (snapshot, health gate fails naming
 * the rollback), a restore of a snapshot that does not exist (preview fails listing the real ones),
 * the rollback (V2 + restoreDatabaseSnapshot), the key left set, the key removed, destroy.
 * Run: `npm run test:e2e` (skips, saying why, when the CLI has not been built).
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { Client } from "pg";
import * as pulumi from "@pulumi/pulumi";
import { IdentityDatabaseSnapshot } from "../components/identityDatabaseSnapshot";
import { keptServerDatabaseNotice } from "../components/identityDatabase";
import { IdentityServiceHealthGate } from "../components/identityServiceHealthGate";
import { query } from "../test/support/pg";
import { insertClient } from "../test/support/identityServerClients";
import { DockerEngineStandIn, startDockerEngineStandIn } from "../test/support/dockerEngineStandIn";
import { createDatabaseOwner, DatabaseOwner, OwnedDatabase } from "./support/databaseOwner";
import { describeWithPulumiTools } from "./support/pulumiTools";
import { isEncryptedSecret, labelsFoundIn, plaintextSecretsInFiles } from "./support/stateSecrets";
import { changesOf, createInlineStack, diagnosticsOf, exportWithoutSecrets, InlineStack, opsByName, recorder, resourcesNamed } from "./support/inlineStack";
import { stepTimer } from "./support/timings";

const FIXTURE = readFileSync(resolve(__dirname, "..", "test", "fixtures", "identityserver4.sql"), "utf8");
const V1 = "creatio-identity-service:src-111111111111";
const V2 = "creatio-identity-service:src-222222222222";
const V3 = "creatio-identity-service:src-333333333333";
const CONTAINER = `creatio-identity-e2e-${randomBytes(3).toString("hex")}`;
const DB_ROLE = `e2e_upgrade_${randomBytes(3).toString("hex")}`;
const DB_PASSWORD = `Up;gr=ade-${randomBytes(8).toString("hex")}`;
const NAMES = ["e2e-db-snapshot", "e2e-health"];

let dbOwner: DatabaseOwner;
let db: OwnedDatabase;
let docker: DockerEngineStandIn;
let engine: InlineStack;
const timed = stepTimer("e2e upgrade");
/** What the next program run uses. */
const desired: { image: string; restore?: string } = { image: V1 };
/** Each start of the container stand-in: the image, and the snapshots that existed when it started. */
const starts: Array<{ image: string; snapshotsSeen: string[]; clientsColumnsInNewestSnapshot: string[] }> = [];

async function withDb<T>(work: (q: (sql: string, params?: unknown[]) => Promise<any[]>) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    return await work((sql, params) => c.query(sql, params as unknown[]).then((r) => r.rows));
  } finally {
    await c.end();
  }
}
const snapshotSchemas = async () => (await query(db.url, `SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'snapshot\\_%' ORDER BY 1`)).map((r) => r.n as string);
const columnsOf = async (schema: string, table: string) =>
  (await query(db.url, `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [schema, table])).map(
    (r) => r.c as string,
  );
const clientNames = async () => (await query(db.url, `SELECT "ClientId" || ':' || coalesce("ClientName", '') AS c FROM "Clients" ORDER BY 1`)).map((r) => r.c);
const grants = async () => (await query(db.url, `SELECT "Key" AS k FROM "PersistedGrants" ORDER BY 1`)).map((r) => r.k);
const migrations = async () => (await query(db.url, `SELECT "MigrationId" AS m FROM "__EFMigrationsHistory" ORDER BY 1`)).map((r) => r.m);

/** What each Identity Service version does to its database on its first start, and whether it then runs healthy. */
const VERSIONS: Record<string, { healthy: boolean; firstStart: (q: (sql: string, params?: unknown[]) => Promise<any[]>) => Promise<void> }> = {
  [V1]: {
    healthy: true,
    firstStart: async (q) => {
      if ((await q(`SELECT to_regclass('"Clients"') AS t`))[0].t) return;
      await q(FIXTURE);
      for (const id of ["creatioClient001", "otherClient00002"])
        await insertClient(q, { ClientId: id, ClientName: "v1", Secrets: ["s".repeat(32)], AllowedGrantTypes: ["client_credentials"] });
      await q(`INSERT INTO "PersistedGrants" ("Key","Type","ClientId","CreationTime","Data") VALUES ('grant-1','reference_token','creatioClient001',now(),'{}')`);
    },
  },
  [V2]: {
    healthy: true,
    firstStart: async (q) => {
      if ((await q(`SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20240101000000_V2'`)).length) return;
      await q(`ALTER TABLE "Clients" ADD COLUMN "CoordinateLifetimeWithUserSession" boolean NOT NULL DEFAULT false`);
      await q(`INSERT INTO "__EFMigrationsHistory" VALUES ('20240101000000_V2', '6.0.0')`);
      await q(`INSERT INTO "PersistedGrants" ("Key","Type","ClientId","CreationTime","Data") VALUES ('grant-2','reference_token','creatioClient001',now(),'{}')`);
    },
  },
  [V3]: {
    healthy: false,
    firstStart: async (q) => {
      if ((await q(`SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20250101000000_V3'`)).length) return;
      await q(`CREATE TABLE "ServerSideSessions" ("Id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "Key" varchar(100) NOT NULL)`);
      await q(`DELETE FROM "PersistedGrants"`);
      await q(`UPDATE "Clients" SET "ClientName" = 'v3'`);
      await q(`INSERT INTO "__EFMigrationsHistory" VALUES ('20250101000000_V3', '7.0.0')`);
    },
  },
};

/** The container stand-in: runs once the snapshot resource has passed the image on (see the header). */
async function containerRuns(image: string): Promise<string> {
  const current = docker.containers.get(CONTAINER);
  // A preview changes nothing; an unchanged image leaves the container alone, as the engine does.
  if (pulumi.runtime.isDryRun() || (current && current.image === image)) return current?.id ?? "not-created-yet";
  const snapshotsSeen = await snapshotSchemas();
  const newest = snapshotsSeen[snapshotsSeen.length - 1];
  starts.push({ image, snapshotsSeen, clientsColumnsInNewestSnapshot: newest ? await columnsOf(newest, "Clients") : [] });
  await withDb(VERSIONS[image].firstStart);
  return docker.add(CONTAINER, { image, healthCheckPasses: VERSIONS[image].healthy, checkAfterMs: 200 }).id;
}

async function program(): Promise<Record<string, unknown>> {
  const snapshot = new IdentityDatabaseSnapshot("e2e-db-snapshot", {
    dbProvider: "Postgres",
    connectionString: pulumi.secret(db.connectionString),
    image: desired.image,
    keep: 2,
    restore: desired.restore,
    containerName: CONTAINER,
    // The stand-in container is created with the tag itself as its image reference.
    containerImage: desired.image,
    dockerHost: docker.host,
    healthTimeoutSeconds: 30,
    // As stack.ts passes IdentityDatabase's: what destroy keeps of the database (databaseRetainOnDelete).
    keptOnDelete: keptServerDatabaseNotice(db.host, db.port, db.name, DB_ROLE),
  });
  const containerId = snapshot.image.apply(containerRuns);
  const gate = new IdentityServiceHealthGate("e2e-health", {
    containerName: CONTAINER,
    containerId,
    image: desired.image,
    previousImage: snapshot.previousImage,
    snapshot: snapshot.snapshotBeforeImageChange,
    dockerHost: docker.host,
    timeoutSeconds: 4,
  });
  return {
    image: snapshot.image,
    previousImage: snapshot.previousImage.apply((p) => p ?? null),
    snapshots: snapshot.snapshots,
    snapshotBeforeImageChange: snapshot.snapshotBeforeImageChange.apply((s) => s ?? null),
    // null, not undefined: an undefined stack output draws a warning on every run.
    lastRestore: snapshot.lastRestore.apply((r) => r ?? null),
    healthyAt: gate.healthyAt,
  };
}

/** The snapshot resource's state as the checkpoint has it (decrypted), and whether its connection string is encrypted there. */
async function snapshotState(): Promise<Record<string, any>> {
  return resourcesNamed(await engine.stack.exportStack(), "e2e-db-snapshot")[0]?.outputs;
}

function expectNoPlaintextSecrets(...texts: string[]): void {
  const secrets = { "database password": DB_PASSWORD, "database password (URL-encoded)": encodeURIComponent(DB_PASSWORD) };
  for (const text of texts) expect(labelsFoundIn(text, secrets)).toEqual([]);
  expect(plaintextSecretsInFiles(engine.backendDir, secrets).findings).toEqual([]);
}

describeWithPulumiTools("upgrading the Identity Service under the Pulumi engine", () => {
  beforeAll(async () => {
    await timed("set-up (database, Docker stand-in, workspace)", async () => {
      // The database belongs to the login, and so does its public schema (PostgreSQL 15+: pg_database_owner).
      dbOwner = await createDatabaseOwner(DB_ROLE, DB_PASSWORD);
      db = await dbOwner.createDatabase("e2e_upgrade");
      docker = await startDockerEngineStandIn();
      engine = await createInlineStack("creatio-identity-e2e-upgrade", program);
    });
  });

  afterAll(async () => {
    await docker?.stop();
    await dbOwner?.drop();
    engine?.cleanUp();
    timed.printAll();
  });

  it("1. the first deployment takes no snapshot: the Identity Service has not created its tables yet", async () => {
    const rec = recorder();
    const result = await timed("1. up (V1, first deployment)", () => engine.stack.up(rec.opts));
    expect(opsByName(rec.events, NAMES)).toEqual({ "e2e-db-snapshot": "create", "e2e-health": "create" });
    expect(result.outputs.snapshots.value).toEqual([]);
    expect(result.outputs.previousImage.value).toBeNull();
    expect(await snapshotSchemas()).toEqual([]);
    expect(starts).toEqual([{ image: V1, snapshotsSeen: [], clientsColumnsInNewestSnapshot: [] }]);
    expect(await clientNames()).toEqual(["creatioClient001:v1", "otherClient00002:v1"]);
    expect(result.outputs.healthyAt.value).toEqual(expect.any(String));
    // The connection string (with the database password) is encrypted in state, in and out.
    const [exported] = resourcesNamed(await exportWithoutSecrets(engine), "e2e-db-snapshot");
    expect([isEncryptedSecret(exported.inputs.connectionString), isEncryptedSecret(exported.outputs.connectionString)]).toEqual([true, true]);
    expectNoPlaintextSecrets(rec.output);
  });

  it("2. an image change copies the database before the new container starts and migrates it", async () => {
    desired.image = V2;
    const preview = recorder();
    const planned = await timed("2a. preview (V2)", () => engine.stack.preview(preview.opts));
    expect(changesOf(planned.changeSummary)).toEqual({ update: 2 });
    expect(await snapshotSchemas()).toEqual([]); // a preview copies nothing

    const rec = recorder();
    const result = await timed("2b. up (V2)", () => engine.stack.up(rec.opts));
    const snapshot = result.outputs.snapshotBeforeImageChange.value as string;
    expect(snapshot).toMatch(/^snapshot_\d{14}_src_111111111111$/);
    // The container stand-in started after the snapshot existed, and the copy has V1's columns.
    expect(starts[1]).toMatchObject({ image: V2, snapshotsSeen: [snapshot] });
    expect(starts[1].clientsColumnsInNewestSnapshot).toContain("ClientId");
    expect(starts[1].clientsColumnsInNewestSnapshot).not.toContain("CoordinateLifetimeWithUserSession");
    expect(await columnsOf("public", "Clients")).toContain("CoordinateLifetimeWithUserSession");
    expect(result.outputs.previousImage.value).toBe(V1);
    expect(result.outputs.snapshots.value).toEqual([expect.objectContaining({ name: snapshot, image: V1, tables: 24 })]);
    expect(diagnosticsOf(rec.events)).toContain(`roll back with: pulumi config set image ${V1} && pulumi config set restoreDatabaseSnapshot ${snapshot} && pulumi up`);
    expectNoPlaintextSecrets(rec.output, diagnosticsOf(rec.events));
  });

  it("3. a new image that does not become healthy fails `up`, naming the snapshot taken before it and the commands that roll back", async () => {
    desired.image = V3;
    const rec = recorder();
    const error = await timed("3. up (V3, unhealthy)", () =>
      engine.stack.up(rec.opts).then(
        () => undefined,
        (e: Error) => e,
      ),
    );
    expect(error).toBeInstanceOf(Error);
    const state = await snapshotState();
    const snapshot = state.snapshotBeforeImageChange as string;
    expect(snapshot).toMatch(/^snapshot_\d{14}_src_222222222222$/);
    expect(state.snapshots.map((s: { image: string }) => s.image)).toEqual([V2, V1]);
    expect(await grants()).toEqual([]); // V3's migration ran
    const failure = diagnosticsOf(rec.events);
    expect(failure).toContain(`The Identity Service container "${CONTAINER}" did not become healthy within 4 s: running, health unhealthy`);
    expect(failure).toContain(
      `snapshot ${snapshot} of its database was taken before the change. To roll back: pulumi config set image ${V2} && pulumi config set restoreDatabaseSnapshot ${snapshot} && pulumi up`,
    );
    expectNoPlaintextSecrets(rec.output, failure);
  });

  it("4. a restore of a snapshot that does not exist fails the preview, listing the ones that do, and changes nothing", async () => {
    desired.image = V2;
    desired.restore = "snapshot_20990101000000_src_222222222222";
    const before = { clients: await clientNames(), schemas: await snapshotSchemas(), calls: docker.calls.length };
    const rec = recorder();
    const error = await timed("4. preview (missing snapshot)", () =>
      engine.stack.preview(rec.opts).then(
        () => undefined,
        (e: Error) => e,
      ),
    );
    expect(error).toBeInstanceOf(Error);
    const message = diagnosticsOf(rec.events);
    expect(message).toMatch(
      /creatio-identity:restoreDatabaseSnapshot: no snapshot named "snapshot_20990101000000_src_222222222222" in the Identity Service database\. Snapshots there, newest first: snapshot_\d{14}_src_222222222222 \(taken [^)]*image creatio-identity-service:src-222222222222[^)]*\); snapshot_\d{14}_src_111111111111 /,
    );
    expect({ clients: await clientNames(), schemas: await snapshotSchemas(), calls: docker.calls.length }).toEqual(before);
  });

  it("5. the rollback: the previous image and restoreDatabaseSnapshot stop the service, bring the rows back, and the old image runs healthy", async () => {
    const snapshot = (await snapshotState()).snapshotBeforeImageChange as string;
    desired.restore = snapshot;
    const rec = recorder();
    const result = await timed("5. up (rollback to V2 with restore)", () => engine.stack.up(rec.opts));
    expect(result.outputs.lastRestore.value).toMatchObject({ snapshot, image: V2 });
    // V3's migration is undone: the grants and names are back, its table and history row are gone, V2's column stays.
    expect(await grants()).toEqual(["grant-1", "grant-2"]);
    expect(await clientNames()).toEqual(["creatioClient001:v1", "otherClient00002:v1"]);
    expect(await migrations()).toEqual(["20200522172538_Grants", "20200522172542_Config", "20240101000000_V2"]);
    expect(await query(db.url, `SELECT to_regclass('"ServerSideSessions"') AS t`)).toEqual([{ t: null }]);
    expect(await columnsOf("public", "Clients")).toContain("CoordinateLifetimeWithUserSession");
    // The service was stopped before the restore and replaced with V2 after it (not started on V3 again).
    expect(docker.calls.filter((c) => c.startsWith("POST"))).toEqual([`POST /containers/${CONTAINER}/stop`]);
    expect(starts.map((s) => s.image)).toEqual([V1, V2, V3, V2]);
    expect(docker.containers.get(CONTAINER)!.image).toBe(V2);
    expect(result.outputs.healthyAt.value).toEqual(expect.any(String));
    // The broken state was copied too, the restored snapshot is kept, the oldest went (keep 2).
    expect(result.outputs.snapshots.value.map((s: { image: string }) => s.image)).toEqual([V3, V2]);
    expectNoPlaintextSecrets(rec.output, diagnosticsOf(rec.events));
  });

  it("6. a second `up` with the key still set does not restore again; removing the key changes nothing in the database", async () => {
    await query(
      db.url,
      `INSERT INTO "PersistedGrants" ("Key","Type","ClientId","CreationTime","Data") VALUES ('grant-after-rollback','reference_token','creatioClient001',now(),'{}')`,
    );
    const callsBefore = docker.calls.length;
    const again = recorder();
    const result = await timed("6a. up (key still set)", () => engine.stack.up(again.opts));
    expect(changesOf(result.summary.resourceChanges)).toEqual({});
    expect(await grants()).toEqual(["grant-1", "grant-2", "grant-after-rollback"]);
    expect(docker.calls.slice(callsBefore).filter((c) => c.startsWith("POST"))).toEqual([]);

    desired.restore = undefined;
    const removed = recorder();
    const after = await timed("6b. up (key removed)", () => engine.stack.up(removed.opts));
    expect(opsByName(removed.events, NAMES)).toEqual({ "e2e-db-snapshot": "update", "e2e-health": "same" });
    expect(after.outputs.lastRestore.value).toMatchObject({ snapshot: expect.stringMatching(/_src_222222222222$/) });
    expect(await grants()).toEqual(["grant-1", "grant-2", "grant-after-rollback"]);
  });

  it("7. destroy removes the stack and leaves the snapshots in the database (they are the user's backups)", async () => {
    const schemas = await snapshotSchemas();
    const rec = recorder();
    await timed("7. destroy + stack rm", async () => {
      await engine.stack.destroy(rec.opts);
      await engine.stack.workspace.removeStack(engine.stackName);
    });
    expect(await snapshotSchemas()).toEqual(schemas);
    expect(schemas).toHaveLength(2);
    // destroy says what it kept and how to remove it (the engine runs no program on destroy: the provider says it).
    expect(diagnosticsOf(rec.events)).toContain(`warning: pulumi destroy kept the Identity Service database "${db.name}" and its role "${DB_ROLE}"`);
    expect(diagnosticsOf(rec.events)).toContain(`DROP DATABASE "${db.name}"; DROP ROLE "${DB_ROLE}";`);
  });
});
