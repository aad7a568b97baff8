import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { IdentityClientSync, identityClientSyncProvider, IdentityClientSyncInputs, IdentityClientSyncOutputs, IDENTITY_CLIENT_SYNC_TYPE } from "../components/identityClientSync";
import { npgsqlConnectionString, pgClientConfig } from "../lib/connectionString";
import { CLIENT_CHILD_TABLES, CLIENT_TABLES, clientIdsToReseed, clientRowDeletionStatements, diffClients, parseClientsJson } from "../lib/identityClientSql";
import { insertClient } from "./support/identityServerClients";
import { createTestDatabase, TestDatabase } from "./support/pg";

const FIXTURE = readFileSync(join(__dirname, "fixtures", "identityserver4.sql"), "utf8");
const UNKNOWN = pulumi.runtime.unknownValue;

// The Identity Service's login role owns its tables (it creates them); its password needs ADO.NET quoting.
const OWNER = `ics_owner_${randomBytes(3).toString("hex")}`;
const OWNER_PASSWORD = `Ow;ner='pw"=${randomBytes(4).toString("hex")}`;
// A role that may delete from every client table but ClientIdPRestrictions (the last one deleted from).
const LIMITED = `ics_limited_${randomBytes(3).toString("hex")}`;
const LIMITED_PASSWORD = `Li;mited=${randomBytes(4).toString("hex")}`;

const SECRET_A1 = `SecretA1-${randomBytes(8).toString("hex")}`;
const SECRET_A2 = `SecretA2-${randomBytes(8).toString("hex")}`;
const SECRET_B = `SecretB-${randomBytes(8).toString("hex")}`;

/** A `Clients` entry in the shape Creatio's guide ships. */
function clientEntry(clientId: string, secret: string, creatio = "http://creatio.example:8080") {
  return {
    ClientId: clientId,
    ClientName: `Creatio ${clientId}`,
    Secrets: [secret],
    AllowedGrantTypes: ["implicit", "client_credentials"],
    RedirectUris: [creatio, `${creatio}/lib`, `${creatio}/lib/`],
    PostLogoutRedirectUris: [creatio],
    IdentityTokenLifetime: 300,
    AccessTokenLifetime: 3600,
    Properties: { AllowedQueryParameters: JSON.stringify(["invitationHash", "targetSubject"]) },
    AllowedScopes: ["register_own_resource", "get_resource_list", "IdentityServerApi"],
  };
}
type ClientEntry = ReturnType<typeof clientEntry>;

const A = "ClientA000000001";
const B = "ClientB000000002";
const A1 = clientEntry(A, SECRET_A1);
const A2 = clientEntry(A, SECRET_A2);
const B1 = clientEntry(B, SECRET_B);

let db: TestDatabase;
let ownerUrl: string;
/** One connection as the owner role for seeding and reading back (a connection per statement is slow). */
let owner: Client;
let ownerConnectionString: string;

function urlFor(user: string, password: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${db.host}:${db.port}/${db.name}`;
}

async function run(url: string, sql: string, params: unknown[] = []): Promise<any[]> {
  if (url === ownerUrl) return (await owner.query(sql, params)).rows;
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

function inputs(clients: ClientEntry[], connectionString = ownerConnectionString): IdentityClientSyncInputs {
  return { dbProvider: "Postgres", connectionString, clientsJson: JSON.stringify(clients) };
}

/** Inserts a client the way IdentityServer4 seeds one, with a row in every client table. Returns its "Id". */
function seedClient(c: ClientEntry): Promise<number> {
  return insertClient((sql, params) => run(ownerUrl, sql, params), c, { created: "2024-01-01T00:00:00", fillEveryTable: true });
}

/** Rows of the tables that are not client tables, which IdentityClientSync must never touch. */
async function seedOtherTables(): Promise<void> {
  await run(ownerUrl, `INSERT INTO "ApiResources" ("Enabled","Name","ShowInDiscoveryDocument","Created","NonEditable") VALUES (true,'IdentityServerApi',true,'2024-01-01',false)`);
  await run(ownerUrl, `INSERT INTO "ApiResourceScopes" ("Scope","ApiResourceId") SELECT 'IdentityServerApi', "Id" FROM "ApiResources"`);
  await run(ownerUrl, `INSERT INTO "ApiScopes" ("Enabled","Name","Required","Emphasize","ShowInDiscoveryDocument") VALUES (true,'register_own_resource',false,false,true)`);
  await run(
    ownerUrl,
    `INSERT INTO "IdentityResources" ("Enabled","Name","Required","Emphasize","ShowInDiscoveryDocument","Created","NonEditable") VALUES (true,'openid',true,false,true,'2024-01-01',false)`,
  );
  // Grants name their client by the ClientId string: the rotated client's grants stay (the Identity Service expires them).
  for (const clientId of [A, B]) {
    await run(ownerUrl, `INSERT INTO "PersistedGrants" ("Key","Type","ClientId","CreationTime","Data") VALUES ($1,'reference_token',$2,'2024-01-01','{}')`, [
      `grant-${clientId}`,
      clientId,
    ]);
  }
}

/** Every table of the fixture: name → its rows ordered by primary key. */
async function snapshot(): Promise<Record<string, any[]>> {
  const tables = (await run(ownerUrl, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).map((r) => r.tablename as string);
  const result: Record<string, any[]> = {};
  for (const t of tables) result[t] = await run(ownerUrl, `SELECT * FROM "${t}" ORDER BY 1`);
  return result;
}

/** `before` with the rows of the clients whose "Id" is in `ids` taken out of the client tables. */
function without(before: Record<string, any[]>, ids: number[]): Record<string, any[]> {
  const expected: Record<string, any[]> = {};
  for (const [t, rows] of Object.entries(before)) {
    if (t === "Clients") expected[t] = rows.filter((r) => !ids.includes(r.Id));
    else if (CLIENT_CHILD_TABLES.includes(t)) expected[t] = rows.filter((r) => !ids.includes(r.ClientId));
    else expected[t] = rows;
  }
  return expected;
}

async function resetSchema(withTables: boolean): Promise<void> {
  await run(db.url, `DROP SCHEMA IF EXISTS public CASCADE`);
  await run(db.url, `CREATE SCHEMA public AUTHORIZATION "${OWNER}"`);
  if (withTables) await run(ownerUrl, FIXTURE);
}

/** The fixture with clients A (first secret) and B, and rows in the other tables; returns their "Id"s. */
async function seedTwoClients(): Promise<{ a: number; b: number }> {
  await resetSchema(true);
  const a = await seedClient(A1);
  const b = await seedClient(B1);
  await seedOtherTables();
  return { a, b };
}

beforeAll(async () => {
  db = await createTestDatabase("identity_client_sync");
  await run(db.url, `CREATE ROLE "${OWNER}" LOGIN PASSWORD '${OWNER_PASSWORD.replace(/'/g, "''")}'`);
  await run(db.url, `CREATE ROLE "${LIMITED}" LOGIN PASSWORD '${LIMITED_PASSWORD.replace(/'/g, "''")}'`);
  ownerUrl = urlFor(OWNER, OWNER_PASSWORD);
  ownerConnectionString = npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username: OWNER, password: OWNER_PASSWORD });
  owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
});

afterAll(async () => {
  await owner.end();
  await db.drop();
  await run(db.url.replace(`/${db.name}`, "/postgres"), `DROP ROLE IF EXISTS "${OWNER}"`);
  await run(db.url.replace(`/${db.name}`, "/postgres"), `DROP ROLE IF EXISTS "${LIMITED}"`);
});

describe("clients comparison (pure)", () => {
  it("finds changed, removed and added clients by ClientId, ignoring key order", () => {
    const reordered = Object.fromEntries(Object.entries(B1).reverse());
    const changes = diffClients(JSON.stringify([A1, B1]), JSON.stringify([reordered, A2, clientEntry("ClientC", "s")]));
    expect(changes).toEqual({ changed: [A], removed: [], added: ["ClientC"], unchanged: [B] });
    expect(diffClients(JSON.stringify([A1, B1]), JSON.stringify([B1])).removed).toEqual([A]);
    expect(clientIdsToReseed(JSON.stringify([A1, B1]), JSON.stringify([B1, A2]))).toEqual([A]);
    expect(clientIdsToReseed(JSON.stringify([A1, B1]), JSON.stringify([reordered, A1]))).toEqual([]);
  });

  it("plans deletes only for tables that exist, children before Clients, nothing without Clients", () => {
    expect(clientRowDeletionStatements([])).toEqual([]);
    expect(clientRowDeletionStatements(["ClientScopes", "ClientSecrets"])).toEqual([]);
    const all = clientRowDeletionStatements(CLIENT_TABLES);
    expect(all).toHaveLength(10);
    expect(all[9]).toMatch(/^DELETE FROM "Clients" WHERE "ClientId" = ANY\(\$1::text\[\]\) RETURNING "ClientId"$/);
    expect(clientRowDeletionStatements(["Clients", "ClientSecrets"])).toEqual([expect.stringMatching(/^DELETE FROM "ClientSecrets" /), all[9]]);
  });

  it("rejects a malformed Clients value naming the property and never its content", () => {
    const truncated = JSON.stringify([A1]).slice(0, -3);
    for (const [text, message] of [
      [truncated, /clientsJson is not valid JSON/],
      [JSON.stringify(A1), /clientsJson must be a JSON array/],
      [JSON.stringify([{ Secrets: [SECRET_A1] }]), /clientsJson: entry 1 has no ClientId/],
      [JSON.stringify([A1, B1, A2]), /clientsJson: entries 1 and 3 have the same ClientId/],
    ] as const) {
      let error: Error | undefined;
      try {
        parseClientsJson(text);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toContain(SECRET_A1);
      expect(error?.message).not.toContain("Secret");
    }
  });
});

describe("identityClientSyncProvider.update against a real IdentityServer4 schema", () => {
  it("rotating one client's secret deletes only that client's rows, in every client table, and nothing else", async () => {
    const { a } = await seedTwoClients();
    const before = await snapshot();
    for (const t of CLIENT_TABLES) expect(before[t].filter((r) => (t === "Clients" ? r.Id : r.ClientId) === a).length).toBeGreaterThan(0);

    const olds: IdentityClientSyncOutputs = { ...inputs([A1, B1]), removedClientIds: [] };
    const result = await identityClientSyncProvider.update!("id", olds, inputs([A2, B1]));

    expect(await snapshot()).toEqual(without(before, [a]));
    // The first deletion of this resource's life: the token the container restarts on appears.
    expect(result.outs).toEqual({ ...inputs([A2, B1]), removedClientIds: [A], reseedToken: "id/1" });
  });

  it("a new connection string to the same database (Timeout=, other quoting) deletes nothing and keeps the reseed token", async () => {
    await seedTwoClients();
    const before = await snapshot();
    // The same login and database, written as another tool would: other key names, single quotes, a timeout.
    const rewritten = `Server=${db.host};Database=${db.name};User ID=${OWNER};Password='${OWNER_PASSWORD.replace(/'/g, "''")}';Port=${db.port};Timeout=30`;
    expect(rewritten).not.toBe(ownerConnectionString);
    expect(pgClientConfig(rewritten)).toEqual(pgClientConfig(ownerConnectionString));
    const olds: IdentityClientSyncOutputs = { ...inputs([A1, B1]), removedClientIds: [A], reseedToken: "id/3" };
    const diff = await identityClientSyncProvider.diff!("id", olds, inputs([A1, B1], rewritten));
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });

    const result = await identityClientSyncProvider.update!("id", olds, inputs([A1, B1], rewritten));
    expect(await snapshot()).toEqual(before);
    expect(result.outs).toEqual({ ...inputs([A1, B1], rewritten), removedClientIds: [], reseedToken: "id/3" });
  });

  it("the reseed token counts deletions: up by one when rows were deleted, unchanged when none were", async () => {
    await seedTwoClients();
    const rotated = await identityClientSyncProvider.update!("id", { ...inputs([A1, B1]), removedClientIds: [], reseedToken: "id/3" }, inputs([A2, B1]));
    expect(rotated.outs).toMatchObject({ removedClientIds: [A], reseedToken: "id/4" });
    // Added client with no rows: nothing deleted, so no restart is asked for.
    const added = await identityClientSyncProvider.update!("id", rotated.outs!, inputs([A2, B1, clientEntry("ClientC00000003", "c")]));
    expect(added.outs).toMatchObject({ removedClientIds: [], reseedToken: "id/4" });
  });

  it("a removed client's rows go; the remaining client is untouched", async () => {
    const { b } = await seedTwoClients();
    const before = await snapshot();
    const result = await identityClientSyncProvider.update!("id", { ...inputs([A1, B1]), removedClientIds: [] }, inputs([A1]));
    expect(await snapshot()).toEqual(without(before, [b]));
    expect(result.outs?.removedClientIds).toEqual([B]);
  });

  it("the same clients (keys reordered) delete nothing", async () => {
    await seedTwoClients();
    const before = await snapshot();
    const reordered = [Object.fromEntries(Object.entries(B1).reverse()) as ClientEntry, A1];
    const result = await identityClientSyncProvider.update!("id", { ...inputs([A1, B1]), removedClientIds: [A] }, inputs(reordered));
    expect(await snapshot()).toEqual(before);
    expect(result.outs?.removedClientIds).toEqual([]);
  });

  it("deletes from every child table itself, also where the foreign keys do not cascade", async () => {
    const { a } = await seedTwoClients();
    for (const t of CLIENT_CHILD_TABLES) {
      await run(ownerUrl, `ALTER TABLE "${t}" DROP CONSTRAINT "FK_${t}_Clients_ClientId"`);
      await run(ownerUrl, `ALTER TABLE "${t}" ADD CONSTRAINT "FK_${t}_Clients_ClientId" FOREIGN KEY ("ClientId") REFERENCES "Clients" ("Id")`);
    }
    const before = await snapshot();
    const result = await identityClientSyncProvider.update!("id", { ...inputs([A1, B1]), removedClientIds: [] }, inputs([A2, B1]));
    expect(await snapshot()).toEqual(without(before, [a]));
    expect(result.outs?.removedClientIds).toEqual([A]);
  });

  it("works on a schema without one of the child tables (older IdentityServer4)", async () => {
    const { a } = await seedTwoClients();
    await run(ownerUrl, `DROP TABLE "ClientIdPRestrictions"`);
    const before = await snapshot();
    const result = await identityClientSyncProvider.update!("id", { ...inputs([A1, B1]), removedClientIds: [] }, inputs([A2, B1]));
    expect(await snapshot()).toEqual(without(before, [a]));
    expect(result.outs?.removedClientIds).toEqual([A]);
  });

  it("a failure part-way rolls every delete back, and the error holds no password, secret or connection string", async () => {
    await seedTwoClients();
    // Every right needed except DELETE on ClientIdPRestrictions, the last child table deleted from:
    // the other child tables' deletes succeed first, then this one fails.
    await run(ownerUrl, `GRANT USAGE ON SCHEMA public TO "${LIMITED}"`);
    await run(ownerUrl, `GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA public TO "${LIMITED}"`);
    await run(ownerUrl, `REVOKE DELETE ON "ClientIdPRestrictions" FROM "${LIMITED}"`);
    const limited = npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username: LIMITED, password: LIMITED_PASSWORD });
    const before = await snapshot();

    const attempt = identityClientSyncProvider.update!("id", { ...inputs([A1, B1], limited), removedClientIds: [] }, inputs([A2, B1], limited));
    const error: Error = await attempt.then(
      () => new Error("update succeeded"),
      (e) => e,
    );

    expect(error.message).toMatch(/IdentityClientSync could not delete .*rolled back.*permission denied for table ClientIdPRestrictions/);
    expect(error.message).toContain(`${db.host}:${db.port}/${db.name}`);
    for (const s of [LIMITED_PASSWORD, limited, SECRET_A1, SECRET_A2, SECRET_B]) expect(error.message).not.toContain(s);
    expect(await snapshot()).toEqual(before);
  });

  it("a wrong password fails with an error naming the database, not the password or the connection string", async () => {
    await resetSchema(true);
    const wrong = npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username: OWNER, password: "Wrong;Pass=word" });
    const error: Error = await identityClientSyncProvider.update!("id", { ...inputs([A1], wrong), removedClientIds: [] }, inputs([A2], wrong)).then(
      () => new Error("update succeeded"),
      (e) => e,
    );
    expect(error.message).toMatch(new RegExp(`could not connect on the Identity Service database ${db.host}:${db.port}/${db.name}: password authentication failed`));
    // The likely cause on a new stack, and its fix: a database an earlier destroy kept, with the old stack's password.
    expect(error.message).toContain("(SQLSTATE 28P01). If an earlier `pulumi destroy` kept this database (databaseRetainOnDelete)");
    for (const s of ["Wrong;Pass=word", wrong, SECRET_A1, SECRET_A2]) expect(error.message).not.toContain(s);
  });
});

describe("identityClientSyncProvider.create, read and delete", () => {
  it("first deployment, before the Identity Service created its tables: does nothing, without error", async () => {
    await resetSchema(false);
    const created = await identityClientSyncProvider.create(inputs([A1, B1]));
    // No token yet, as null: an output missing from the state would be unknown in every preview.
    expect(created.outs).toEqual({ ...inputs([A1, B1]), removedClientIds: [], reseedToken: null });
    const updated = await identityClientSyncProvider.update!(created.id, created.outs!, inputs([A2, B1]));
    expect(updated.outs?.removedClientIds).toEqual([]);
    expect(await run(ownerUrl, `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).toEqual([{ n: 0 }]);
  });

  it("adopting an existing database: deletes the configured clients' rows so they are seeded fresh, and only those", async () => {
    const { a } = await seedTwoClients();
    const before = await snapshot();
    const created = await identityClientSyncProvider.create(inputs([A2, clientEntry("ClientNotThere01", "x")]));
    expect(await snapshot()).toEqual(without(before, [a]));
    expect(created.outs?.removedClientIds).toEqual([A]);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    // A new resource that deleted rows: a token no earlier resource had, so the container restarts.
    expect(created.outs?.reseedToken).toBe(`${created.id}/1`);
  });

  it("read echoes the state (no drift from the Identity Service's own rows); delete leaves the database alone", async () => {
    await seedTwoClients();
    const before = await snapshot();
    const state: IdentityClientSyncOutputs = { ...inputs([A1, B1]), removedClientIds: [] };
    expect(await identityClientSyncProvider.read!("id", state)).toEqual({ id: "id", props: state });
    await identityClientSyncProvider.delete!("id", state);
    expect(await snapshot()).toEqual(before);
  });

  it("MS SQL fails with a clear 'not supported yet' in check, create and update, before connecting anywhere", async () => {
    const msSql: IdentityClientSyncInputs = {
      dbProvider: "MsSqlServer",
      connectionString: "Server=db,1433;Database=is;User Id=sa;Password=Sa;Pw=1",
      clientsJson: JSON.stringify([A1]),
    };
    const checked = await identityClientSyncProvider.check!(msSql, msSql);
    expect(checked.failures).toEqual([
      { property: "dbProvider", reason: expect.stringMatching(/^IdentityClientSync: changing the client .* is not supported yet with an MS SQL Identity Service database/) },
    ]);
    await expect(identityClientSyncProvider.create(msSql)).rejects.toThrow(/^IdentityClientSync: changing the client .* is not supported yet with an MS SQL/);
    await expect(identityClientSyncProvider.update!("id", { ...msSql, removedClientIds: [] }, { ...msSql, clientsJson: JSON.stringify([A2]) })).rejects.toThrow(
      /^IdentityClientSync: changing the client .* is not supported yet with an MS SQL/,
    );
  });
});

describe("identityClientSyncProvider.check and diff", () => {
  it("accepts valid inputs and values not known yet (preview)", async () => {
    expect(await identityClientSyncProvider.check!(inputs([A1]), inputs([A1]))).toEqual({ inputs: inputs([A1]) });
    const unknown = { dbProvider: UNKNOWN, connectionString: UNKNOWN, clientsJson: UNKNOWN } as unknown as IdentityClientSyncInputs;
    expect((await identityClientSyncProvider.check!(unknown, unknown)).failures).toBeUndefined();
  });

  it("names the property at fault and echoes neither the secret nor the connection string", async () => {
    const news = {
      dbProvider: "Postgres",
      connectionString: `Database=x;Username=u;Password=${OWNER_PASSWORD.replace(/[;'"=]/g, "")}`,
      clientsJson: JSON.stringify([A1]).slice(0, 40),
    } as IdentityClientSyncInputs;
    const { failures } = await identityClientSyncProvider.check!(news, news);
    expect(failures?.map((f) => f.property)).toEqual(["connectionString", "clientsJson"]);
    expect(failures?.[0].reason).toMatch(/connectionString is not a usable Npgsql connection string \(PostgreSQL connection string has no Host\)/);
    expect(failures?.[1].reason).toMatch(/^clientsJson is not valid JSON/);
    const all = JSON.stringify(failures);
    for (const s of [news.connectionString, OWNER_PASSWORD.replace(/[;'"=]/g, ""), SECRET_A1, news.clientsJson]) expect(all).not.toContain(s);

    const bad = { dbProvider: "Oracle", connectionString: "", clientsJson: "" } as unknown as IdentityClientSyncInputs;
    expect((await identityClientSyncProvider.check!(bad, bad)).failures).toEqual([
      { property: "dbProvider", reason: expect.stringMatching(/dbProvider must be Postgres or MsSqlServer/) },
      { property: "clientsJson", reason: expect.stringMatching(/clientsJson is missing or empty/) },
    ]);
  });

  it("diff: a new Clients value is an in-place update; a different database or engine is a replacement; same inputs plan nothing", async () => {
    const olds: IdentityClientSyncOutputs = { ...inputs([A1, B1]), removedClientIds: [A] };
    const diff = (news: IdentityClientSyncInputs) => identityClientSyncProvider.diff!("id", olds, news);
    expect(await diff(inputs([A1, B1]))).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await diff(inputs([A2, B1]))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await diff({ ...inputs([A1, B1]), clientsJson: UNKNOWN })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const moved = npgsqlConnectionString({ host: "db2.example", port: 5432, database: "identity", username: "is", password: "p" });
    expect(await diff(inputs([A2, B1], moved))).toEqual({ changes: true, replaces: ["connectionString"], deleteBeforeReplace: false });
    expect(await diff({ ...inputs([A1, B1]), dbProvider: "MsSqlServer" })).toEqual({ changes: true, replaces: ["dbProvider"], deleteBeforeReplace: false });
  });

  it("diff: the same database is host:port/name of the connection string, whatever else changes", async () => {
    const at = (extra: Partial<Parameters<typeof npgsqlConnectionString>[0]> = {}) =>
      npgsqlConnectionString({ host: "pg.example.com", port: 5432, database: "identity", username: "is", password: "p", ...extra });
    const olds: IdentityClientSyncOutputs = { ...inputs([A1], at()), removedClientIds: [] };
    const diff = (connectionString: string) => identityClientSyncProvider.diff!("id", olds, inputs([A1], connectionString));
    const update = { changes: true, replaces: [], deleteBeforeReplace: false };
    const replace = { changes: true, replaces: ["connectionString"], deleteBeforeReplace: false };
    expect(await diff(`${at()};Timeout=30`)).toEqual(update);
    expect(await diff(at({ password: "new password" }))).toEqual(update);
    expect(await diff(at({ username: "another_login", sslMode: "Require" }))).toEqual(update);
    expect(await diff("Host=PG.Example.com;Database=identity;Username=is;Password=p")).toEqual(update); // host case, default port
    expect(await diff(at({ port: 5433 }))).toEqual(replace);
    expect(await diff(at({ database: "identity2" }))).toEqual(replace);
    expect(await diff(at({ host: "pg2.example.com" }))).toEqual(replace);
  });

  it("diff: with `database`, Pulumi's way in (127.0.0.1 and a published port) may change; only another database replaces", async () => {
    const fromHost = (port: number, password = "p") => npgsqlConnectionString({ host: "127.0.0.1", port, database: "identity_service", username: "is", password });
    const inContainer = "creatio-identity-service-db:5432/identity_service";
    const olds: IdentityClientSyncOutputs = { ...inputs([A1], fromHost(55432)), database: inContainer, removedClientIds: [] };
    const diff = (news: Partial<IdentityClientSyncInputs>) => identityClientSyncProvider.diff!("id", olds, { ...inputs([A1], fromHost(55432)), database: inContainer, ...news });
    expect(await diff({})).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await diff({ connectionString: fromHost(55433, "other") })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await diff({ database: "other-db:5432/identity_service" })).toEqual({ changes: true, replaces: ["database"], deleteBeforeReplace: false });
    // Not known yet (preview): planned as an update; `up` diffs again with the value.
    expect(await diff({ database: UNKNOWN, connectionString: UNKNOWN })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    // State written before `database` existed: the connection strings decide, and the update records `database`.
    const { database: _omitted, ...oldState } = olds;
    expect(await identityClientSyncProvider.diff!("id", oldState, { ...inputs([A1], fromHost(55432)), database: inContainer })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await identityClientSyncProvider.diff!("id", oldState, { ...inputs([A1], fromHost(55433)), database: inContainer })).toEqual({
      changes: true,
      replaces: ["connectionString"],
      deleteBeforeReplace: false,
    });
  });
});

describe("serialization and the resource", () => {
  it("the provider serializes with pulumi.runtime.serializeFunction and the serialized copy works on its own", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => identityClientSyncProvider, { allowSecrets: true });
    expect(serialized.containsSecrets).toBe(false);
    // Load it as the dynamic provider host does: a fresh module whose export returns the provider.
    const mod: { exports: Record<string, any> } = { exports: {} };
    new Function("module", "exports", "require", serialized.text)(mod, mod.exports, require);
    const copy: pulumi.dynamic.ResourceProvider = mod.exports[serialized.exportName]();
    expect(copy).not.toBe(identityClientSyncProvider);

    expect((await copy.check!(inputs([A1]), { ...inputs([A1]), dbProvider: "MsSqlServer" })).failures?.[0].reason).toMatch(
      /not supported yet with an MS SQL Identity Service database/,
    );
    const { a } = await seedTwoClients();
    const before = await snapshot();
    const result = await copy.update!("id", { ...inputs([A1, B1]), removedClientIds: [] }, inputs([A2, B1]));
    expect(result.outs.removedClientIds).toEqual([A]);
    expect(await snapshot()).toEqual(without(before, [a]));
  });

  it("IdentityClientSync registers its inputs under its own type, asks for connectionString and clientsJson as secret outputs, and leaves args alone", async () => {
    const { installMocks, settle, only, valueOf } = await import("./support/mocks");
    const resources = installMocks();
    const args = Object.freeze({ dbProvider: "Postgres" as const, connectionString: pulumi.secret(ownerConnectionString), clientsJson: JSON.stringify([A1]) });
    // The mock engine does not apply additionalSecretOutputs (the real engine does), so read the options as registered.
    let registeredOptions: pulumi.ResourceOptions | undefined;
    const sync = new IdentityClientSync("sync", args, {
      additionalSecretOutputs: ["removedClientIds"],
      transformations: [
        (t) => {
          registeredOptions = t.opts;
          return undefined;
        },
      ],
    });
    await settle();
    const recorded = only(resources, IDENTITY_CLIENT_SYNC_TYPE, "sync");
    expect(recorded.inputs).toMatchObject({ dbProvider: "Postgres", connectionString: ownerConnectionString, clientsJson: JSON.stringify([A1]) });
    expect(typeof recorded.inputs.__provider).toBe("string");
    expect(Object.keys(args)).toEqual(["dbProvider", "connectionString", "clientsJson"]);
    expect((registeredOptions as pulumi.CustomResourceOptions).additionalSecretOutputs).toEqual(["removedClientIds", "connectionString", "clientsJson"]);
    expect(await valueOf(sync.clientsJson)).toBe(JSON.stringify([A1]));
    expect(await valueOf(sync.dbProvider)).toBe("Postgres");
  });
});
