/**
 * IdentityDatabaseSnapshot's provider, called as the engine calls it, against the real PostgreSQL
 * with IdentityServer4's schema and the Docker Engine API stand-in (the service container it stops
 * and starts; test/dockerEngine.test.ts keeps the stand-in faithful to a real engine).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Client } from "pg";
import { undefinedIn } from "./support/wire";
import { adminUrl, createTestDatabase, query, TestDatabase } from "./support/pg";
import { insertClient } from "./support/identityServerClients";
import { DockerEngineStandIn, startDockerEngineStandIn } from "./support/dockerEngineStandIn";
import {
  IdentityDatabaseSnapshot,
  identityDatabaseSnapshotProvider as provider,
  IdentityDatabaseSnapshotInputs,
  IdentityDatabaseSnapshotOutputs,
  IDENTITY_DATABASE_SNAPSHOT_TYPE,
} from "../components/identityDatabaseSnapshot";
import { npgsqlConnectionString } from "../lib/connectionString";

const FIXTURE = readFileSync(join(__dirname, "fixtures", "identityserver4.sql"), "utf8");
const V1 = "creatio-identity-service:src-111111111111";
const V2 = "creatio-identity-service:src-222222222222";
const CONTAINER = "creatio-identity-service-test";

let db: TestDatabase;
let docker: DockerEngineStandIn;
let lines: string[];
let stderr: jest.SpyInstance;

const inputs = (over: Partial<IdentityDatabaseSnapshotInputs> = {}): IdentityDatabaseSnapshotInputs => ({
  dbProvider: "Postgres",
  connectionString: npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username: db.user, password: db.password }),
  image: V1,
  keep: 3,
  containerName: CONTAINER,
  dockerHost: docker.host,
  healthTimeoutSeconds: 10,
  ...over,
});
const create = async (i: IdentityDatabaseSnapshotInputs) => (await provider.create(i)).outs as IdentityDatabaseSnapshotOutputs;
const update = async (olds: IdentityDatabaseSnapshotOutputs, news: IdentityDatabaseSnapshotInputs) =>
  (await provider.update!("id", olds, news)).outs as IdentityDatabaseSnapshotOutputs;
const clientIds = async () => (await query(db.url, `SELECT "ClientId" AS id FROM "Clients" ORDER BY 1`)).map((r) => r.id);
const columnsOfClients = async () =>
  (await query(db.url, `SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'Clients' AND table_schema = 'public'`)).map((r) => r.c);
const listSnapshotNames = async () => (await query(db.url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'snapshot%'`)).map((r) => r.nspname);
const dockerCalls = () => docker.calls.filter((c) => c.startsWith("POST"));

/** What the new Identity Service version does on its first start. */
async function migrate(): Promise<void> {
  await query(db.url, `ALTER TABLE "Clients" ADD COLUMN "CoordinateLifetimeWithUserSession" boolean NOT NULL DEFAULT false`);
  await query(db.url, `DELETE FROM "Clients" WHERE "ClientId" = 'clientB000000002'`);
  await query(db.url, `INSERT INTO "__EFMigrationsHistory" VALUES ('20230101000000_V2', '6.0.0')`);
}

beforeEach(async () => {
  db = await createTestDatabase("snapshot_provider", { fixture: "identityserver4" });
  const c = new Client({ connectionString: db.url });
  await c.connect();
  for (const id of ["clientA000000001", "clientB000000002"]) await insertClient((sql, p) => c.query(sql, p).then((r) => r.rows), { ClientId: id, Secrets: ["x".repeat(32)] });
  await c.end();
  docker = await startDockerEngineStandIn();
  docker.add(CONTAINER, { image: V1, healthCheckPasses: true, checkAfterMs: 50 });
  lines = [];
  stderr = jest.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
});

afterEach(async () => {
  stderr.mockRestore();
  await docker.stop();
  await db.drop();
});

describe("IdentityDatabaseSnapshot: snapshots around image changes", () => {
  it("takes none on the first deployment, before the Identity Service has created its tables", async () => {
    await query(db.url, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`);
    const outs = await create(inputs());
    expect(outs).toMatchObject({ image: V1, snapshots: [] });
    expect(outs.previousImage).toBeUndefined();
    expect(outs.snapshotBeforeImageChange).toBeUndefined();
    expect(dockerCalls()).toEqual([]);
    // The engine's wire format (protobuf Struct) refuses undefined values: the state must have none.
    expect(undefinedIn(outs)).toEqual([]);
  });

  it("copies the database before the image changes, names it after the image being left, and prints the rollback", async () => {
    await query(db.url, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`);
    const first = await create(inputs());
    await query(db.url, FIXTURE);
    expect(await provider.diff!("id", first, inputs())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await update(first, inputs())).toMatchObject({ snapshots: [] }); // same image: nothing to copy

    const outs = await update(first, inputs({ image: V2 }));
    expect(outs.previousImage).toBe(V1);
    expect(outs.snapshotBeforeImageChange).toMatch(/^snapshot_\d{14}_src_111111111111$/);
    expect(outs.snapshots).toEqual([expect.objectContaining({ name: outs.snapshotBeforeImageChange, image: V1, tables: 24 })]);
    expect(lines.join("\n")).toContain(
      `Snapshot ${outs.snapshotBeforeImageChange} of the Identity Service database was taken before the image changes from ${V1} to ${V2}. ` +
        `If the new container does not become healthy, roll back with: pulumi config set image ${V1} && pulumi config set restoreDatabaseSnapshot ${outs.snapshotBeforeImageChange} && pulumi up`,
    );
    expect(dockerCalls()).toEqual([]); // a snapshot does not stop the service
    // The next run with the same image changes nothing and remembers both.
    expect(await provider.diff!("id", outs, inputs({ image: V2 }))).toMatchObject({ changes: false });
  });

  it("takes snapshots whatever the Docker host; only a restore needs to reach the engine, and one that cannot fails before changing anything", async () => {
    // Snapshots never call the engine: an ssh:// host nobody could reach from here does not matter to them.
    const ssh = { dockerHost: "ssh://deploy@docker-host.invalid" };
    const first = await create(inputs(ssh));
    const v2 = await update(first, inputs({ ...ssh, image: V2 }));
    expect(v2.snapshotBeforeImageChange).toMatch(/^snapshot_/);
    const gone = { dockerHost: "unix:///nonexistent/docker.sock" };
    await expect(update(v2, inputs({ ...gone, image: V1, restore: v2.snapshotBeforeImageChange }))).rejects.toThrow(
      `cannot reach the Docker engine at unix:///nonexistent/docker.sock (stop container ${CONTAINER}): connect ENOENT /nonexistent/docker.sock`,
    );
    expect((await listSnapshotNames()).length).toBe(2); // no snapshot taken by the failed restore
  });

  it("copies a database it finds already populated when it is first created (adopting an existing stack)", async () => {
    const outs = await create(inputs());
    expect(outs.snapshots).toEqual([expect.objectContaining({ name: expect.stringMatching(/^snapshot_\d{14}_adopted$/), image: "unknown (not recorded before)" })]);
  });

  it("keeps the newest databaseSnapshotsToKeep, and takes none with 0", async () => {
    let outs = await create(inputs({ keep: 2 }));
    for (const image of ["is:v2", "is:v3", "is:v4"]) outs = await update(outs, inputs({ keep: 2, image }));
    expect(outs.snapshots.map((s) => s.image)).toEqual(["is:v3", "is:v2"]);
    const none = await update(outs, inputs({ keep: 0, image: "is:v5" }));
    expect(none.snapshots).toEqual([]);
    expect(none.snapshotBeforeImageChange).toBeUndefined();
    expect(lines.join("\n")).toContain("databaseSnapshotsToKeep is 0: no snapshot of the Identity Service database before the image changes from is:v4 to is:v5.");
  });
});

describe("IdentityDatabaseSnapshot: the declared restore", () => {
  async function upgraded() {
    const first = await create(inputs({ keep: 5 }));
    const v2 = await update(first, inputs({ keep: 5, image: V2 }));
    await migrate();
    await query(db.url, `INSERT INTO "PersistedGrants" ("Key","Type","ClientId","CreationTime","Data") VALUES ('after-upgrade','reference_token','clientA000000001',now(),'{}')`);
    return v2;
  }

  it("rolls back with the previous image: stops the service, puts the rows and columns back, leaves the start to the container's replacement", async () => {
    const v2 = await upgraded();
    const snapshot = v2.snapshotBeforeImageChange!;
    expect(await clientIds()).toEqual(["clientA000000001"]);
    const rollback = inputs({ keep: 5, image: V1, restore: snapshot });
    expect((await provider.check!(v2, rollback)).failures).toBeUndefined();
    const outs = await update(v2, rollback);
    expect(await clientIds()).toEqual(["clientA000000001", "clientB000000002"]);
    expect(await columnsOfClients()).not.toContain("CoordinateLifetimeWithUserSession");
    expect(await query(db.url, `SELECT "MigrationId" AS m FROM "__EFMigrationsHistory" ORDER BY 1`)).toEqual([{ m: "20200522172538_Grants" }, { m: "20200522172542_Config" }]);
    expect(dockerCalls()).toEqual([`POST /containers/${CONTAINER}/stop`]);
    expect(docker.containers.get(CONTAINER)!.running).toBe(false);
    expect(outs.lastRestore).toMatchObject({ snapshot, image: V1 });
    // The migrated state was copied first, in case the restore was a mistake; the restored one is kept.
    expect(outs.snapshotBeforeImageChange).not.toBe(snapshot);
    expect(outs.snapshots.map((s) => s.image)).toEqual([V2, V1, "unknown (not recorded before)"]);
    expect(outs.previousImage).toBe(V2);

    // The user forgets to remove the key: the next `up` must not restore again.
    await query(db.url, `DELETE FROM "Clients" WHERE "ClientId" = 'clientA000000001'`);
    docker.calls.length = 0;
    expect(await provider.diff!("id", outs, rollback)).toMatchObject({ changes: false });
    expect((await provider.check!(rollback, rollback)).failures).toBeUndefined();
    await update(outs, rollback);
    expect(await clientIds()).toEqual(["clientB000000002"]);
    expect(dockerCalls()).toEqual([]);
    // Removing the key is a no-op update.
    expect(await update(outs, inputs({ keep: 5, image: V1 }))).toMatchObject({ lastRestore: outs.lastRestore });
    expect(await clientIds()).toEqual(["clientB000000002"]);
  });

  it("with the same image, stops the service, restores, starts it again and waits until it is healthy", async () => {
    const v2 = await upgraded();
    const outs = await update(v2, inputs({ keep: 5, image: V2, restore: v2.snapshotBeforeImageChange }));
    expect(dockerCalls()).toEqual([`POST /containers/${CONTAINER}/stop`, `POST /containers/${CONTAINER}/start`]);
    expect(docker.containers.get(CONTAINER)!.health?.Status).toBe("healthy");
    expect(outs.snapshotBeforeImageChange).toBe(v2.snapshotBeforeImageChange); // no image change: no new snapshot
    expect(await clientIds()).toEqual(["clientA000000001", "clientB000000002"]);
  });

  it("starts the service again itself when the container keeps its image reference (a new tag for the same image is not a replacement)", async () => {
    const v2 = await upgraded();
    const running = docker.containers.get(CONTAINER)!.image; // Config.Image: the reference the container was created with
    const sameReference = await update(v2, inputs({ keep: 5, image: "creatio-identity-service:src-999999999999", containerImage: running, restore: v2.snapshotBeforeImageChange }));
    expect(dockerCalls()).toEqual([`POST /containers/${CONTAINER}/stop`, `POST /containers/${CONTAINER}/start`]);
    expect(docker.containers.get(CONTAINER)!.health?.Status).toBe("healthy");
    expect(sameReference.lastRestore).toMatchObject({ snapshot: v2.snapshotBeforeImageChange });

    // Another reference: the engine replaces the container next, so it stays stopped.
    docker.calls.length = 0;
    await update(sameReference, inputs({ keep: 5, image: V1, containerImage: "sha256:0123456789ab", restore: sameReference.snapshotBeforeImageChange }));
    expect(dockerCalls()).toEqual([`POST /containers/${CONTAINER}/stop`]);
  });

  it("refuses a snapshot that does not exist in check (preview) and in update, listing the ones there, before stopping anything", async () => {
    const v2 = await upgraded();
    const wrong = inputs({ keep: 5, image: V1, restore: "snapshot_20990101000000_nope" });
    const { failures } = await provider.check!(v2, wrong);
    expect(failures).toEqual([
      {
        property: "restore",
        reason: expect.stringMatching(
          /^creatio-identity:restoreDatabaseSnapshot: no snapshot named "snapshot_20990101000000_nope" in the Identity Service database\. Snapshots there, newest first: snapshot_\d{14}_src_111111111111 \(taken .*, image creatio-identity-service:src-111111111111, \d+ rows\); snapshot_\d{14}_adopted/,
        ),
      },
    ]);
    const error = await update(v2, wrong).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "SnapshotNotFoundError", message: failures![0].reason });
    expect(dockerCalls()).toEqual([]);
    expect(await clientIds()).toEqual(["clientA000000001"]);
  });

  it("starts the service again and records the new snapshot when the restore itself fails", async () => {
    const v2 = await upgraded();
    await query(db.url, `CREATE VIEW "ClientNames" AS SELECT "ClientId" FROM "Clients"`);
    const error = await update(v2, inputs({ keep: 5, image: V1, restore: v2.snapshotBeforeImageChange })).catch((e) => e);
    expect(error.message).toMatch(
      /^restoring snapshot snapshot_\d{14}_src_111111111111 failed, nothing was changed \(the transaction was rolled back\): cannot drop .*view "?ClientNames"? depends on table "?Clients"?/,
    );
    // Partial state: the snapshot taken before the restore is recorded, with the connection string
    // (a secret output: the engine encrypts it in a partial state too), which `read` and the next
    // `up` need to reach the database.
    expect(error.id).toBe("id");
    expect(error.properties.snapshots).toHaveLength(3);
    expect(error.properties.connectionString).toBe(inputs().connectionString);
    expect(dockerCalls()).toEqual([`POST /containers/${CONTAINER}/stop`, `POST /containers/${CONTAINER}/start`]);
    expect(await clientIds()).toEqual(["clientA000000001"]);
    // ... and the restore is not recorded as done: the next `up` (the view dropped) tries it again.
    expect(error.properties.restore).toBeUndefined();
    expect(error.properties.image).toBe(V1);
    await query(db.url, `DROP VIEW "ClientNames"`);
    const retried = await update({ ...v2, ...error.properties }, inputs({ keep: 5, image: V1, restore: v2.snapshotBeforeImageChange }));
    expect(retried.lastRestore).toMatchObject({ snapshot: v2.snapshotBeforeImageChange });
    expect(await clientIds()).toEqual(["clientA000000001", "clientB000000002"]);
  });

  it("fails with the restore recorded when the restarted service does not become healthy", async () => {
    const v2 = await upgraded();
    docker.containers.get(CONTAINER)!.healthCheckPasses = false;
    // As the dynamic-provider host hands them over: with the serialized provider.
    const news = { ...inputs({ keep: 5, image: V2, restore: v2.snapshotBeforeImageChange, healthTimeoutSeconds: 1 }), __provider: "exports.handler = serialized;" };
    const error = await update(v2, news).catch((e) => e);
    expect(error.message).toMatch(
      new RegExp(`snapshot ${v2.snapshotBeforeImageChange} was restored, but container ${CONTAINER} is not healthy after starting it again: running, health unhealthy`),
    );
    expect(error.properties.lastRestore).toMatchObject({ snapshot: v2.snapshotBeforeImageChange });
    expect(error.properties.restore).toBe(v2.snapshotBeforeImageChange);
    // The partial state keeps what refresh and destroy need: the provider, and the database (the
    // connection string is a secret output, which the engine encrypts in a partial state too).
    expect(error.properties.__provider).toBe("exports.handler = serialized;");
    expect(error.properties.connectionString).toBe(news.connectionString);
  });
});

describe("IdentityDatabaseSnapshot: MS SQL, bad input, refresh, serialization", () => {
  const msSql = () => inputs({ dbProvider: "MsSqlServer", connectionString: "Server=sql,1433;Database=is;User Id=u;Password=secret-pw" });

  it("sees no change in a snapshot resource recorded before dockerConnection existed, and one when the Docker settings change", async () => {
    const recorded = await create(inputs());
    delete (recorded as { dockerConnection?: unknown }).dockerConnection;
    expect(await provider.diff!("id", recorded, inputs({ dockerConnection: undefined }))).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await provider.diff!("id", recorded, inputs({ dockerConnection: { certPath: "/certs" } }))).toMatchObject({ changes: true, replaces: [] });
  });

  it("takes no snapshot of an MS SQL database and warns on an image change, in preview (diff) and up", async () => {
    const first = await create(msSql());
    expect(first.snapshots).toEqual([]);
    const next = { ...msSql(), image: V2 };
    await provider.diff!("id", first, next);
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^warning: the Identity Service image changes from ${V1} to ${V2}, and its MS SQL database is NOT backed up.*BACKUP DATABASE.*RESTORE DATABASE`),
      ),
    ]);
    const outs = await update(first, next);
    expect(outs).toMatchObject({ previousImage: V1, snapshots: [] });
    expect(lines).toHaveLength(1); // once per operation: the engine calls diff before update, in preview and in up
    expect(lines.join("\n")).not.toContain("secret-pw");
  });

  it("reports bad input as check failures that name the key", async () => {
    const { failures } = await provider.check!(inputs(), inputs({ keep: -1, restore: "public", image: "has space" }));
    expect(failures?.map((f) => f.property)).toEqual(["image", "keep", "restore"]);
    expect((await provider.check!(msSql(), { ...msSql(), restore: "snapshot_20261202064216_x" })).failures).toEqual([
      { property: "restore", reason: expect.stringMatching(/snapshots are PostgreSQL only/) },
    ]);
  });

  it("refuses the image change when it cannot take the snapshot, saying how to go on", async () => {
    const first = await create(inputs());
    // A login that may read the tables but not create schemas (no CREATE on the database).
    const limited = `lim_${db.name}`.slice(0, 60);
    await query(adminUrl(), `CREATE ROLE "${limited}" LOGIN PASSWORD 'lim-pw'`);
    await query(
      db.url,
      `GRANT USAGE ON SCHEMA public TO "${limited}"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${limited}"; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "${limited}"`,
    );
    try {
      const asLimited = npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username: limited, password: "lim-pw" });
      const error = await update({ ...first, connectionString: asLimited }, inputs({ connectionString: asLimited, image: V2 })).catch((e) => e);
      expect(error.message).toMatch(
        /^IdentityDatabaseSnapshot could not copy the Identity Service database before the image changes to creatio-identity-service:src-222222222222, so the service was left as it is: permission denied for database .*\[SQLSTATE 42501\]\. Fix the cause .*databaseSnapshotsToKeep 0/,
      );
    } finally {
      await query(db.url, `DROP OWNED BY "${limited}"`);
      await query(adminUrl(), `DROP ROLE "${limited}"`);
    }
  });

  it("names the database, never the password, when it cannot connect", async () => {
    const unreachable = inputs({ connectionString: npgsqlConnectionString({ host: "127.0.0.1", port: 1, database: "is", username: "u", password: "hunter2-secret" }), image: V2 });
    const error = await update(await create(msSql()).then((o) => ({ ...o, ...inputs() })), unreachable).catch((e) => e);
    expect(error.message).toMatch(/could not connect to the Identity Service database 127\.0\.0\.1:1\/is/);
    expect(error.message).not.toContain("hunter2-secret");
  });

  it("refresh shows snapshots dropped by hand", async () => {
    let outs = await create(inputs());
    outs = await update(outs, inputs({ image: V2 }));
    await query(db.url, `DROP SCHEMA "${outs.snapshotBeforeImageChange}" CASCADE`);
    const read = await provider.read!("id", outs);
    expect(read.props!.snapshots.map((s: { name: string }) => s.name)).toEqual([outs.snapshots[1].name]);
  });

  it("delete leaves the snapshots, and says what pulumi destroy kept of the database when it keeps it", async () => {
    const outs = await update(await create(inputs()), inputs({ image: V2, keptOnDelete: 'pulumi destroy kept the Identity Service database "is" ...' }));
    lines.length = 0;
    await provider.delete!("id", outs);
    expect(lines).toEqual(['warning: pulumi destroy kept the Identity Service database "is" ...']);
    expect(await listSnapshotNames()).toHaveLength(2);
    lines.length = 0;
    await provider.delete!("id", { ...outs, keptOnDelete: undefined });
    expect(lines).toEqual([]);
  });

  it("refresh with the database out of reach keeps the recorded snapshots and says why, without the password", async () => {
    const outs = await update(await create(inputs()), inputs({ image: V2 }));
    const unreachable = npgsqlConnectionString({ host: "127.0.0.1", port: 1, database: db.name, username: db.user, password: db.password });
    lines.length = 0;
    const read = await provider.read!("id", { ...outs, connectionString: unreachable });
    expect(read.props!.snapshots).toEqual(outs.snapshots);
    expect(lines).toEqual([
      expect.stringMatching(/^warning: IdentityDatabaseSnapshot could not read the snapshots for refresh, so the recorded list stays as it was: .*127\.0\.0\.1:1\//),
    ]);
    expect(lines.join("\n")).not.toContain(db.password);
  });

  it("serializes, and the serialized copy restores on its own", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(serialized.containsSecrets).toBe(false);
    const mod: { exports: Record<string, any> } = { exports: {} };
    new Function("module", "exports", "require", serialized.text)(mod, mod.exports, require);
    const copy: pulumi.dynamic.ResourceProvider = mod.exports[serialized.exportName]();
    const first = (await copy.create(inputs())).outs;
    const v2 = (await copy.update!("id", first, inputs({ image: V2 }))).outs;
    await migrate();
    // Errors keep their message through serialization (the engine shows `message`).
    await expect(copy.update!("id", v2, inputs({ image: V1, restore: "snapshot_20990101000000_nope" }))).rejects.toThrow(/no snapshot named "snapshot_20990101000000_nope"/);
    await copy.update!("id", v2, inputs({ image: V1, restore: v2.snapshotBeforeImageChange }));
    expect(await clientIds()).toEqual(["clientA000000001", "clientB000000002"]);
  });

  it("registers under its own type with the connection string as a secret output", async () => {
    const { installMocks, settle, only } = await import("./support/mocks");
    const resources = installMocks();
    let registered: pulumi.CustomResourceOptions | undefined;
    new IdentityDatabaseSnapshot(
      "snap",
      { dbProvider: "Postgres", connectionString: pulumi.secret("Host=h;Database=d;Username=u;Password=p"), image: V1, containerName: CONTAINER },
      {
        transformations: [
          (t) => {
            registered = t.opts;
            return undefined;
          },
        ],
      },
    );
    await settle();
    const recorded = only(resources, IDENTITY_DATABASE_SNAPSHOT_TYPE, "snap");
    expect(recorded.inputs).toMatchObject({ dbProvider: "Postgres", image: V1, keep: 3, containerName: CONTAINER, healthTimeoutSeconds: 180 });
    expect(recorded.secretInputs.has("connectionString")).toBe(true);
    expect(registered?.additionalSecretOutputs).toEqual(["connectionString", "kubernetes"]);
  });
});
