/**
 * IdentityClientSync and the Identity Service container under the real Pulumi engine: what a new
 * connection string, a rotation and a replaced sync do to the client Creatio uses. And PfxBundle's
 * move from Pulumi's generic dynamic type to its own, through its alias.
 *
 * The container is stood in for by a dynamic resource (e2e/support/containerStandIn.ts) that takes
 * what the stack's container takes from the sync (`Clients` and the reseed token) and that the
 * engine replaces whenever one of them changes, as it replaces a Docker container whose environment
 * changed; its create seeds the clients the database lacks, as the Identity Service does at start.
 * The Identity Service's token endpoint is the stand-in from the unit tests, answering from the
 * database's ClientSecrets: a client whose rows are gone gets `invalid_client`.
 *
 * The steps depend on each other and run in order. Run: `npm run test:e2e` (skips, saying why,
 * when the Pulumi CLI has not been built).
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PFX_BUNDLE_LEGACY_TYPE, PFX_BUNDLE_TYPE, PfxBundle, PfxBundleArgs, pfxBundleProvider } from "../components/pfxBundle";
import { IdentityClientSync } from "../components/identityClientSync";
import { buildClientsJson } from "../lib/clientsJson";
import { postgresDatabaseIdentity } from "../lib/connectionString";
import { query } from "../test/support/pg";
import { IdentityServiceStandIn, selfSignedCertificate, startIdentityServiceStandIn } from "../test/support/identityServiceStandIn";
import { ClientSecretsWatcher, hashClientSecret, seedMissingClients, storedClients, watchClientSecrets } from "./support/identityServiceDatabase";
import { ContainerStandIn } from "./support/containerStandIn";
import { createDatabaseOwner, DatabaseOwner } from "./support/databaseOwner";
import { describeWithPulumiTools } from "./support/pulumiTools";
import { labelsFoundIn } from "./support/stateSecrets";
import { allOpsByName, changesOf, createInlineStack, InlineStack, recorder, resourcesNamed } from "./support/inlineStack";
import { stepTimer } from "./support/timings";

const REPO_ROOT = resolve(__dirname, "..");

const PROJECT = "creatio-identity-e2e-sync";
const CLIENT_ID = "e2eSyncClient001"; // 16 characters
const FIRST_SECRET = randomBytes(16).toString("hex");
const SECOND_SECRET = randomBytes(16).toString("hex");
const PFX_PASSWORD = randomBytes(16).toString("base64url");
// The Identity Service's login; ';', '=' and a quote make every connection-string spelling quote it.
const DB_ROLE = `e2e_sync_${randomBytes(3).toString("hex")}`;
const DB_PASSWORD = `Sync;pw='${randomBytes(6).toString("hex")}`;
const NAMES = { pfx: "cs-pfx", sync: "cs-client-sync", container: "cs-container" } as const;
const RESOURCES = Object.values(NAMES);

/**
 * PfxBundle as earlier versions registered it: the same provider under Pulumi's generic dynamic
 * type (`pulumi-nodejs:dynamic:Resource`), which is what existing stacks hold.
 */
class LegacyPfxBundle extends pulumi.dynamic.Resource {
  declare public readonly pfxBase64: pulumi.Output<string>;
  constructor(name: string, args: PfxBundleArgs) {
    super(pfxBundleProvider, name, { ...args, pfxBase64: undefined, notAfter: undefined }, { additionalSecretOutputs: ["pfxBase64", "privateKeyPem", "password"] });
  }
}

let dbOwner: DatabaseOwner;
let identityDbUrl: string;
let watcher: ClientSecretsWatcher;
let identity: IdentityServiceStandIn;
let keyPem: string;
let certPem: string;
let engine: InlineStack;
/** The connection string as first given, and the same database written another way. */
let firstConnectionString: string;
let sameDatabaseConnectionString: string;

/** What the next program run uses. */
const desired = { connectionString: "", clientSecret: FIRST_SECRET, legacyPfxBundle: true };
const timed = stepTimer("e2e clientSync");

function clientsJsonFor(secret: string): string {
  return buildClientsJson([{ clientId: CLIENT_ID, clientName: "Creatio e2e sync", clientSecret: secret, creatioUrl: "http://creatio.e2e.test" }]);
}

/** The program: a PfxBundle, the sync, and the container stand-in wired as stack.ts wires the container. */
async function program(): Promise<Record<string, unknown>> {
  const pfxArgs: PfxBundleArgs = { privateKeyPem: pulumi.secret(keyPem), certificatePem: certPem, password: pulumi.secret(PFX_PASSWORD) };
  const pfx = desired.legacyPfxBundle ? new LegacyPfxBundle(NAMES.pfx, pfxArgs) : new PfxBundle(NAMES.pfx, pfxArgs);
  const sync = new IdentityClientSync(NAMES.sync, {
    dbProvider: "Postgres",
    connectionString: pulumi.secret(desired.connectionString),
    clientsJson: pulumi.secret(clientsJsonFor(desired.clientSecret)),
  });
  const container = new ContainerStandIn(NAMES.container, { databaseUrl: pulumi.secret(identityDbUrl), clientsJson: sync.clientsJson, reseedToken: sync.reseedToken });
  return {
    pfxBase64: pfx.pfxBase64,
    removedClientIds: sync.removedClientIds,
    reseedToken: sync.reseedToken,
    seeded: container.seeded,
    containerId: container.id,
  };
}

/** What the token endpoint answers for the client with this secret (200 or 400), from the database as it is now. */
async function tokenStatus(secret: string): Promise<number> {
  await watcher.refresh();
  const res = await fetch(`${identity.url}/connect/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: secret }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function clientRow(): Promise<{ id: number; secretHashes: string[] } | undefined> {
  return (await storedClients(identityDbUrl)).get(CLIENT_ID);
}

async function resourceState(name: string): Promise<Array<{ type: string; outputs: Record<string, any> }>> {
  return resourcesNamed(await engine.stack.exportStack(), name);
}

function expectNoSecretsIn(text: string): void {
  expect(labelsFoundIn(text, { "first secret": FIRST_SECRET, "second secret": SECOND_SECRET, "database password": DB_PASSWORD, "PFX password": PFX_PASSWORD })).toEqual([]);
}

describeWithPulumiTools("IdentityClientSync and the container under the Pulumi engine", () => {
  beforeAll(async () => {
    await timed("set-up (database, stand-in, workspace)", async () => {
      dbOwner = await createDatabaseOwner(DB_ROLE, DB_PASSWORD);
      const identityDb = await dbOwner.createDatabase("e2e_sync_identity");
      identityDbUrl = identityDb.url;
      firstConnectionString = identityDb.connectionString;
      // The same database as another tool would write it: other key names, double quotes doubled
      // inside, another key order, a timeout.
      sameDatabaseConnectionString = `Server=${identityDb.host};Database=${identityDb.name};User ID=${DB_ROLE};Password="${DB_PASSWORD.replace(/"/g, '""')}";Port=${identityDb.port};Timeout=30`;
      expect(sameDatabaseConnectionString).not.toBe(firstConnectionString);
      expect(postgresDatabaseIdentity(sameDatabaseConnectionString)).toBe(postgresDatabaseIdentity(firstConnectionString));
      desired.connectionString = firstConnectionString;

      // The database as the Identity Service leaves it after its first start: its tables and the client.
      await query(identityDbUrl, readFileSync(join(REPO_ROOT, "test", "fixtures", "identityserver4.sql"), "utf8"));
      expect(await seedMissingClients(identityDbUrl, clientsJsonFor(FIRST_SECRET))).toEqual([CLIENT_ID]);
      watcher = await watchClientSecrets(identityDbUrl);
      identity = await startIdentityServiceStandIn({ isValidClient: (id, secret) => watcher.isValidClient(id, secret) });
      ({ certPem, keyPem } = selfSignedCertificate("sync.e2e.test"));

      engine = await createInlineStack(PROJECT, program);
    });
  });

  afterAll(async () => {
    await Promise.allSettled([watcher?.stop(), identity?.stop()]);
    await dbOwner?.drop().catch(() => undefined);
    engine?.cleanUp();
    timed.printAll();
  });

  it("1. up: the sync adopts the database (deletes the client), so the container starts with a reseed token and seeds it; a token is issued", async () => {
    const rec = recorder();
    const result = await timed("1. up (create)", () => engine.stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(allOpsByName(rec.events, RESOURCES)).toEqual({ [NAMES.pfx]: ["create"], [NAMES.sync]: ["create"], [NAMES.container]: ["create"] });
    expect(result.outputs.removedClientIds.value).toEqual([CLIENT_ID]);
    expect(result.outputs.reseedToken.value).toMatch(/^[0-9a-f-]{36}\/1$/);
    expect(result.outputs.seeded.value).toEqual([CLIENT_ID]);
    expect(await tokenStatus(FIRST_SECRET)).toBe(200);
    // The PFX bundle made under the old type, as existing stacks hold it.
    expect((await resourceState(NAMES.pfx)).map((r) => r.type)).toEqual([PFX_BUNDLE_LEGACY_TYPE]);
    expectNoSecretsIn(rec.output);
  });

  it("2. a second preview plans no change", async () => {
    const rec = recorder();
    const result = await timed("2. preview (no change)", () => engine.stack.preview(rec.opts));
    expect(changesOf(result.changeSummary)).toEqual({});
    expect(allOpsByName(rec.events, RESOURCES)).toEqual({ [NAMES.pfx]: ["same"], [NAMES.sync]: ["same"], [NAMES.container]: ["same"] });
  });

  it("3. only the connection string changes (same database): an update that deletes nothing, the container stays, the client still gets a token", async () => {
    const before = await clientRow();
    desired.connectionString = sameDatabaseConnectionString;

    const preview = recorder();
    await timed("3a. preview (new connection string)", () => engine.stack.preview(preview.opts));
    // An update, not a replacement. (The preview also lists the container as replaced: a dynamic
    // resource's outputs, the reseed token among them, are not known before `up` runs its update.)
    expect(allOpsByName(preview.events, RESOURCES)[NAMES.sync]).toEqual(["update"]);

    const rec = recorder();
    const result = await timed("3b. up (new connection string)", () => engine.stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(allOpsByName(rec.events, RESOURCES)).toEqual({ [NAMES.pfx]: ["same"], [NAMES.sync]: ["update"], [NAMES.container]: ["same"] });
    expect(result.outputs.removedClientIds.value).toEqual([]);
    expect(result.outputs.reseedToken.value).toMatch(/\/1$/);
    // The very rows the container seeded: nothing was deleted, nothing re-seeded.
    expect(await clientRow()).toEqual(before);
    expect(await tokenStatus(FIRST_SECRET)).toBe(200);
    expectNoSecretsIn(rec.output + preview.output);
  });

  it("4. a real rotation deletes the client and restarts the container, which seeds the new secret", async () => {
    const before = await clientRow();
    desired.clientSecret = SECOND_SECRET;
    const rec = recorder();
    const result = await timed("4. up (rotation)", () => engine.stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    const ops = allOpsByName(rec.events, RESOURCES);
    expect(ops[NAMES.sync]).toEqual(["update"]);
    expect(ops[NAMES.container]).toEqual(expect.arrayContaining(["delete-replaced", "create-replacement"]));
    expect(result.outputs.removedClientIds.value).toEqual([CLIENT_ID]);
    expect(result.outputs.reseedToken.value).toMatch(/\/2$/);
    expect(result.outputs.seeded.value).toEqual([CLIENT_ID]);
    const after = await clientRow();
    expect(after!.id).not.toBe(before!.id);
    expect(after!.secretHashes).toEqual([hashClientSecret(SECOND_SECRET)]);
    expect(await tokenStatus(SECOND_SECRET)).toBe(200);
    expect(await tokenStatus(FIRST_SECRET)).toBe(400);
    expectNoSecretsIn(rec.output);
  });

  it("5. a replaced sync deletes the client again; the new reseed token alone restarts the container (Clients unchanged)", async () => {
    const before = await clientRow();
    const syncUrn = resourcesNamed(await engine.stack.exportStack(), NAMES.sync)[0].urn;
    const previousToken = (await engine.stack.outputs()).reseedToken.value as string;
    const rec = recorder();
    const result = await timed("5. up --replace <sync>", () => engine.stack.up({ ...rec.opts, replace: [syncUrn] }));
    expect(result.summary.result).toBe("succeeded");
    const ops = allOpsByName(rec.events, RESOURCES);
    expect(ops[NAMES.sync]).toEqual(expect.arrayContaining(["create-replacement"]));
    expect(ops[NAMES.container]).toEqual(expect.arrayContaining(["delete-replaced", "create-replacement"]));
    expect(result.outputs.removedClientIds.value).toEqual([CLIENT_ID]);
    expect(result.outputs.reseedToken.value).toMatch(/\/1$/);
    expect(result.outputs.reseedToken.value).not.toBe(previousToken);
    expect(result.outputs.seeded.value).toEqual([CLIENT_ID]);
    expect((await clientRow())!.id).not.toBe(before!.id);
    expect(await tokenStatus(SECOND_SECRET)).toBe(200);
  });

  it("6. PfxBundle moves from the generic dynamic type to its own through its alias: no replacement, the same PFX", async () => {
    const pfxBefore = (await engine.stack.outputs()).pfxBase64.value;
    desired.legacyPfxBundle = false;
    const preview = recorder();
    await timed("6a. preview (PfxBundle type)", () => engine.stack.preview(preview.opts));
    const rec = recorder();
    const result = await timed("6b. up (PfxBundle type)", () => engine.stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    for (const ops of [allOpsByName(preview.events, RESOURCES), allOpsByName(rec.events, RESOURCES)]) {
      expect(ops[NAMES.pfx]).toEqual(["same"]);
      expect(ops[NAMES.container]).toEqual(["same"]);
    }
    expect(result.outputs.pfxBase64.value).toBe(pfxBefore);
    expect((await resourceState(NAMES.pfx)).map((r) => r.type)).toEqual([PFX_BUNDLE_TYPE]);
  });

  it("7. destroy leaves the Identity Service's client in place; the stack is removed", async () => {
    const rec = recorder();
    const result = await timed("7. destroy", () => engine.stack.destroy(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect((await clientRow())?.secretHashes).toEqual([hashClientSecret(SECOND_SECRET)]);
    await engine.stack.workspace.removeStack(engine.stackName);
  });
});
