/**
 * The package's dynamic resources under the real Pulumi engine: PfxBundle, IdentityClientSync and
 * CreatioOAuthIntegration in an inline Automation API program, run by the Pulumi CLI that
 * scripts/install-pulumi-from-source.sh builds, with a file backend and passphrase secrets in temp
 * directories. What mocks cannot show is checked here: closure serialization into the
 * dynamic-provider process, secret outputs encrypted in state, preview, diff/update, refresh and
 * destroy.
 *
 * Around the engine: one real PostgreSQL (test/support/globalSetup.mjs) with a Creatio database
 * (test/fixtures/creatio.sql) and an Identity Service database (test/fixtures/identityserver4.sql),
 * the Creatio API stand-in and the Identity Service stand-in from the unit tests. The Identity
 * Service stand-in answers from the database's ClientSecrets, and the Identity Service CONTAINER is
 * stood in for by a step of the program (Docker images of the Identity Service cannot be pulled
 * here): like the real container, which takes `Clients` from IdentityClientSync's output and so
 * starts after it, the step runs on `sync.clientsJson` and seeds every configured client the
 * database lacks, which is what the Identity Service does when its container restarts.
 *
 * The steps depend on each other and run in order. Each prints its time.
 * Run: `npm run test:e2e` (skips, saying why, when the CLI has not been built).
 */
import { existsSync, readFileSync } from "node:fs";
import { randomBytes, X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PfxBundle } from "../components/pfxBundle";
import { IdentityClientSync } from "../components/identityClientSync";
import { CreatioOAuthIntegration } from "../components/creatioOAuthIntegration";
import { buildClientsJson } from "../lib/clientsJson";
import { CLIENT_CHILD_TABLES } from "../lib/identityClientSql";
import { ALL_EMPLOYEES_ID, SYSTEM_ADMINISTRATORS_ID, OAUTH_SETTING_CODES } from "../lib/creatio/constants";
import { connectCreatio } from "../lib/creatio/session";
import { postSysSettingsValues } from "../lib/creatio/services";
import { readPfx } from "../lib/pfx";
import { query } from "../test/support/pg";
import { CreatioStandIn, loadCreatioFixture, startCreatioStandIn } from "../test/support/creatioStandIn";
import { IdentityServiceStandIn, selfSignedCertificate, startIdentityServiceStandIn } from "../test/support/identityServiceStandIn";
import { ClientSecretsWatcher, hashClientSecret, seedMissingClients, storedClients, watchClientSecrets } from "./support/identityServiceDatabase";
import { createDatabaseOwner, DatabaseOwner } from "./support/databaseOwner";
import { describeWithPulumiTools } from "./support/pulumiTools";
import { isEncryptedSecret, labelsFoundIn, plaintextSecretsInFiles } from "./support/stateSecrets";
import { changesOf, createInlineStack, diagnosticsOf, exportWithoutSecrets, InlineStack, opsByName, recorder, resourcesNamed } from "./support/inlineStack";
import { stepTimer } from "./support/timings";

const REPO_ROOT = resolve(__dirname, "..");

const PROJECT = "creatio-identity-e2e";
const CLIENT_ID = "e2eCreatioClient"; // 16 characters, as in Creatio's guide
const FIRST_SECRET = randomBytes(16).toString("hex"); // 32 characters
const SECOND_SECRET = randomBytes(16).toString("hex");
const PFX_PASSWORD = randomBytes(16).toString("base64url");
const CREATIO_PASSWORD = `Cr3atio-${randomBytes(8).toString("hex")}`;
// The database login both databases belong to; ';' and '=' make the Npgsql string need quoting.
const DB_ROLE = `e2e_owner_${randomBytes(3).toString("hex")}`;
const DB_PASSWORD = `E2e;pw=${randomBytes(8).toString("hex")}`;
const URL_CODE = OAUTH_SETTING_CODES.url;
const ID_CODE = OAUTH_SETTING_CODES.clientId;
const SECRET_CODE = OAUTH_SETTING_CODES.clientSecret;
const FEATURE_ID = "f836e885-8e51-44dd-879c-37c901210874";
const SYSADMIN_ROW_ID = "5e1f0c3a-0d7b-4c55-9a8e-2f6b7c8d9e01";
const DRIFTED_URL = "http://drifted-identity.example:5000";

const NAMES = { pfx: "e2e-pfx", sync: "e2e-client-sync", integration: "e2e-creatio-oauth" } as const;
const RESOURCES = Object.values(NAMES);

// ---- shared state (set up in beforeAll) ----
let dbOwner: DatabaseOwner;
let identityDbUrl: string;
let creatioDbUrl: string;
let identityConnectionString: string;
let watcher: ClientSecretsWatcher;
let identity: IdentityServiceStandIn;
let creatio: CreatioStandIn;
let keyPem: string;
let certPem: string;
let engine: InlineStack;
/** Creatio's rows as the fixture has them, before the first `up`. */
let creatioAsFound: CreatioRows;
/** `Clients."Id"` of the client as the Identity Service first seeded it. */
let firstSeededRowId: number;
/** Read from the first `up`'s outputs: the PFX as built (a value to look for in state). */
let pfxBase64 = "";

/** What the next program run uses: the client secret is rotated by changing it. */
const desired = { clientSecret: FIRST_SECRET, featureAdminUnitIds: [ALL_EMPLOYEES_ID] };
const SUPERVISOR_ID = "7f3b869f-34f3-4f20-ab4d-7480a5fdf647";
/** The default OAuth resource the first `up` made in Creatio. */
let createdDefaultResource = "";
/** How often the program's container stand-in seeded clients (what it inserted, per run). */
const containerStarts: string[][] = [];
const timed = stepTimer("e2e");

function clientsJsonFor(secret: string): string {
  return buildClientsJson([{ clientId: CLIENT_ID, clientName: "Creatio e2e", clientSecret: secret, creatioUrl: creatio.url }]);
}

/** The inline program: the three dynamic resources wired as stack.ts wires them. */
async function program(): Promise<Record<string, unknown>> {
  const pfx = new PfxBundle(NAMES.pfx, { privateKeyPem: pulumi.secret(keyPem), certificatePem: certPem, password: pulumi.secret(PFX_PASSWORD) });
  const sync = new IdentityClientSync(NAMES.sync, {
    dbProvider: "Postgres",
    connectionString: pulumi.secret(identityConnectionString),
    clientsJson: pulumi.secret(clientsJsonFor(desired.clientSecret)),
  });
  // The Identity Service container stand-in (see the header): starts once the sync has run, seeds
  // what its `Clients` holds and the database lacks, then serves. The URL it yields is public.
  const identityServerUrl = pulumi.unsecret(
    sync.clientsJson.apply(async (clientsJson) => {
      containerStarts.push(await seedMissingClients(identityDbUrl, clientsJson));
      await watcher.refresh();
      return identity.url;
    }),
  );
  const integration = new CreatioOAuthIntegration(NAMES.integration, {
    identityServerUrl,
    clientId: CLIENT_ID,
    clientSecret: pulumi.secret(desired.clientSecret),
    // Creatio's API only: the stack holds no credentials of Creatio's database.
    creatio: { url: creatio.url, username: "Supervisor", password: pulumi.secret(CREATIO_PASSWORD) },
    featureAdminUnitIds: desired.featureAdminUnitIds,
    readinessTimeoutSeconds: 60,
  });
  return {
    pfxBase64: pfx.pfxBase64,
    pfxPassword: pfx.password,
    notAfter: pfx.notAfter,
    clientsJson: sync.clientsJson,
    removedClientIds: sync.removedClientIds,
    featureStates: integration.featureStates,
    insertedFeatureStateIds: integration.insertedFeatureStateIds,
    createdDefaultResource: integration.createdDefaultResource,
  };
}

// ---- helpers ----

/** Every value that may only be in state encrypted, and never in the engine's output. */
function secretValues(): Record<string, string> {
  const keyBody = keyPem.split("\n").find((l) => l.length >= 60 && !l.startsWith("-----")) ?? "";
  return {
    "first client secret": FIRST_SECRET,
    "second client secret": SECOND_SECRET,
    "PFX password": PFX_PASSWORD,
    "PFX base64": pfxBase64,
    "Creatio password": CREATIO_PASSWORD,
    "database password": DB_PASSWORD,
    "database password (URL-encoded)": encodeURIComponent(DB_PASSWORD),
    "private key": keyBody,
  };
}

function expectNoSecretsIn(text: string, what: string): void {
  expect({ [what]: labelsFoundIn(text, secretValues()) }).toEqual({ [what]: [] });
}

/** The checkpoint's resource by name, secrets decrypted (the Automation API's export). */
async function stateOf(name: string): Promise<{ inputs: Record<string, any>; outputs: Record<string, any>; type: string }> {
  const found = resourcesNamed(await engine.stack.exportStack(), name);
  expect(found).toHaveLength(1);
  return found[0];
}

/** Step 2's checks, repeated after every operation that writes state. */
async function expectStateHoldsNoPlaintextSecrets(): Promise<void> {
  const checkpoint = await exportWithoutSecrets(engine);
  expect(labelsFoundIn(JSON.stringify(checkpoint), secretValues())).toEqual([]);
  const { findings, filesSearched } = plaintextSecretsInFiles(engine.backendDir, secretValues());
  expect(filesSearched).toBeGreaterThan(0);
  expect(findings).toEqual([]);

  // And the secrets ARE there, encrypted: inputs given as secrets and the secret outputs.
  const resource = (name: string) => {
    const found = resourcesNamed(checkpoint, name);
    expect(found).toHaveLength(1);
    return found[0] as { inputs: Record<string, any>; outputs: Record<string, any> };
  };
  const pfx = resource(NAMES.pfx);
  const sync = resource(NAMES.sync);
  const integration = resource(NAMES.integration);
  const encrypted = (r: { inputs: Record<string, any>; outputs: Record<string, any> }, side: "inputs" | "outputs", keys: string[]) =>
    Object.fromEntries(keys.map((k) => [`${side}.${k}`, isEncryptedSecret(r[side][k])]));
  expect(encrypted(pfx, "outputs", ["pfxBase64", "password", "privateKeyPem"])).toEqual({ "outputs.pfxBase64": true, "outputs.password": true, "outputs.privateKeyPem": true });
  expect(encrypted(pfx, "inputs", ["password", "privateKeyPem"])).toEqual({ "inputs.password": true, "inputs.privateKeyPem": true });
  expect(encrypted(sync, "outputs", ["connectionString", "clientsJson"])).toEqual({ "outputs.connectionString": true, "outputs.clientsJson": true });
  expect(encrypted(sync, "inputs", ["connectionString", "clientsJson"])).toEqual({ "inputs.connectionString": true, "inputs.clientsJson": true });
  expect(encrypted(integration, "outputs", ["clientSecret", "creatio", "previousSettings"])).toEqual({
    "outputs.clientSecret": true,
    "outputs.creatio": true,
    "outputs.previousSettings": true,
  });
  expect(isEncryptedSecret(integration.inputs.clientSecret)).toBe(true);
  // Public values stay readable.
  expect(pfx.outputs.certificatePem).toBe(certPem);
  expect(integration.outputs.clientId).toBe(CLIENT_ID);
}

interface CreatioRows {
  states: any[];
  values: any[];
  features: any[];
}

/** Everything CreatioOAuthIntegration may touch in Creatio's database, as stored. */
async function creatioRows(): Promise<CreatioRows> {
  return {
    states: await query(creatioDbUrl, `SELECT "Id"::text, "SysAdminUnitId"::text, "FeatureId"::text, "FeatureState" FROM "AdminUnitFeatureState" ORDER BY "Id"`),
    // As Creatio means them: a setting put back to "" through its API is the same as one without a value row.
    values: await query(creatioDbUrl, `SELECT "SysSettingsId"::text, "SysAdminUnitId"::text, "TextValue" FROM "SysSettingsValue" WHERE "TextValue" <> '' ORDER BY "SysSettingsId"`),
    features: await query(creatioDbUrl, `SELECT "Id"::text, "Code" FROM "Feature" ORDER BY "Id"`),
  };
}

async function oauthFeatureStates(): Promise<Record<string, number>> {
  const rows = await query(creatioDbUrl, `SELECT "SysAdminUnitId"::text AS unit, "FeatureState" AS state FROM "AdminUnitFeatureState" WHERE "FeatureId" = $1`, [FEATURE_ID]);
  return Object.fromEntries(rows.map((r) => [r.unit, r.state]));
}

/** Rows in the Identity Service's client child tables that belong to `Clients."Id"` = id. */
async function childRowsOf(id: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of CLIENT_CHILD_TABLES) {
    const [{ n }] = await query(identityDbUrl, `SELECT count(*)::int AS n FROM "${table}" WHERE "ClientId" = $1`, [id]);
    if (n > 0) counts[table] = n;
  }
  return counts;
}

// ---- the suite ----

describeWithPulumiTools("the package's dynamic resources under the Pulumi engine", () => {
  beforeAll(async () => {
    await timed("set-up (databases, stand-ins, workspace)", async () => {
      // A login of its own, with a password worth looking for in state, owning both databases.
      dbOwner = await createDatabaseOwner(DB_ROLE, DB_PASSWORD);
      const identityDb = await dbOwner.createDatabase("e2e_identity");
      const creatioDb = await dbOwner.createDatabase("e2e_creatio");
      identityDbUrl = identityDb.url;
      creatioDbUrl = creatioDb.url;
      identityConnectionString = identityDb.connectionString;

      // The Identity Service database, as the service leaves it after its first start: its tables and the client.
      await query(identityDbUrl, readFileSync(join(REPO_ROOT, "test", "fixtures", "identityserver4.sql"), "utf8"));
      await loadCreatioFixture(creatioDbUrl);
      creatioAsFound = await creatioRows();

      watcher = await watchClientSecrets(identityDbUrl);
      identity = await startIdentityServiceStandIn({ isValidClient: (id, secret) => watcher.isValidClient(id, secret) });
      creatio = await startCreatioStandIn({ databaseUrl: creatioDbUrl, password: CREATIO_PASSWORD });
      expect(await seedMissingClients(identityDbUrl, clientsJsonFor(FIRST_SECRET))).toEqual([CLIENT_ID]);
      firstSeededRowId = (await storedClients(identityDbUrl)).get(CLIENT_ID)!.id;
      expect(await childRowsOf(firstSeededRowId)).toMatchObject({ ClientSecrets: 1, ClientGrantTypes: 2, ClientScopes: 8 });

      ({ certPem, keyPem } = selfSignedCertificate("identity.e2e.test"));

      // The CLI runs the dynamic-provider shim from the work dir, and the shim (and the provider
      // code it loads) resolve @pulumi/pulumi and pg from there: hence node_modules beside it. And
      // it is the CLI the script built for this SDK, not some other pulumi (else this fails).
      engine = await createInlineStack(PROJECT, program);
    });
  });

  afterAll(async () => {
    await Promise.allSettled([watcher?.stop(), identity?.stop(), creatio?.stop()]);
    await dbOwner?.drop().catch(() => undefined);
    engine?.cleanUp();
    timed.printAll();
  });

  it("1. up creates the three resources, keeps the secret outputs secret, and switches Creatio over", async () => {
    const rec = recorder();
    const result = await timed("1. up (create)", () => engine.stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(opsByName(rec.events, RESOURCES)).toEqual({ [NAMES.pfx]: "create", [NAMES.sync]: "create", [NAMES.integration]: "create" });
    // What the providers say reaches the engine's output (their stderr; pulumi.log goes nowhere in their process).
    expect(diagnosticsOf(rec.events)).toMatch(/Creatio now uses the Identity Service at .* written, default OAuth resource ApplicationAccess_[0-9a-f]+ created\./);

    const outputs = result.outputs;
    const secretness = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret]));
    expect(secretness).toEqual({
      pfxBase64: true,
      pfxPassword: true,
      clientsJson: true,
      notAfter: false,
      removedClientIds: false,
      featureStates: false,
      insertedFeatureStateIds: false,
      createdDefaultResource: false,
    });
    pfxBase64 = outputs.pfxBase64.value;
    // The default OAuth resource: made in Creatio, which registered it at the Identity Service with the stack's client.
    createdDefaultResource = outputs.createdDefaultResource.value;
    expect(await query(creatioDbUrl, `SELECT "Name", "IsDefault" FROM "OAuthResource"`)).toEqual([{ Name: createdDefaultResource, IsDefault: true }]);
    expect(identity.resources).toEqual([expect.objectContaining({ Name: createdDefaultResource, registeredBy: CLIENT_ID })]);
    // The PFX is real: it opens with the password and holds the certificate.
    const opened = readPfx(Buffer.from(pfxBase64, "base64"), PFX_PASSWORD);
    expect(new X509Certificate(opened.certificatePem).fingerprint256).toBe(new X509Certificate(certPem).fingerprint256);
    expect(outputs.notAfter.value).toBe(new Date(new X509Certificate(certPem).validTo).toISOString());
    expect(outputs.pfxPassword.value).toBe(PFX_PASSWORD);

    // IdentityClientSync adopted the database: it deleted the client the service had seeded, the
    // container stand-in seeded it again from this configuration.
    expect(outputs.removedClientIds.value).toEqual([CLIENT_ID]);
    expect(containerStarts).toContainEqual([CLIENT_ID]);
    const client = (await storedClients(identityDbUrl)).get(CLIENT_ID)!;
    expect(client.id).not.toBe(firstSeededRowId);
    expect(client.secretHashes).toEqual([hashClientSecret(FIRST_SECRET)]);
    expect(await childRowsOf(firstSeededRowId)).toEqual({});

    // Creatio: the feature on for the shipped row and a new All employees row, the settings written
    // through the API (the secret encrypted by the stand-in, decrypted here as Creatio would).
    expect(await oauthFeatureStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    expect(outputs.featureStates.value).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    expect(await creatio.settingValue(URL_CODE)).toBe(identity.url);
    expect(await creatio.settingValue(ID_CODE)).toBe(CLIENT_ID);
    expect(await creatio.settingValue(SECRET_CODE)).toBe(FIRST_SECRET);
    // It waited for the Identity Service to issue a token for the client before touching Creatio.
    expect(identity.tokensIssued()).toBeGreaterThanOrEqual(1);

    expectNoSecretsIn(rec.output, "engine output of up");
  });

  it("2. the state holds every secret encrypted and none in plain text", async () => {
    await timed("2. state check (export + files)", () => expectStateHoldsNoPlaintextSecrets());
  });

  it("3. a second preview plans no change", async () => {
    const rec = recorder();
    const result = await timed("3. preview (no change)", () => engine.stack.preview(rec.opts));
    expect(changesOf(result.changeSummary)).toEqual({});
    expect(result.changeSummary.same).toBeGreaterThanOrEqual(3);
    expect(opsByName(rec.events, RESOURCES)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "same", [NAMES.integration]: "same" });
    expectNoSecretsIn(rec.output, "engine output of preview");
  });

  it("4. refresh shows drift made behind the engine's back, and up repairs it", async () => {
    // Someone switches the feature off for System administrators and points Creatio elsewhere.
    await query(creatioDbUrl, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 0 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
    // ... the way an administrator in Creatio's UI would: through Creatio's API.
    const ui = await connectCreatio({ url: creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: false, timeoutMs: 10000 });
    expect((await postSysSettingsValues(ui, { [URL_CODE]: DRIFTED_URL })).saved[URL_CODE]).toBe(true);

    const refresh = recorder();
    const refreshed = await timed("4a. refresh (drift)", () => engine.stack.refresh(refresh.opts));
    expect(refreshed.summary.result).toBe("succeeded");
    expect(changesOf(refreshed.summary.resourceChanges)).toEqual({ update: 1 });
    const drifted = await stateOf(NAMES.integration);
    expect(drifted.outputs.featureStates).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 0, [ALL_EMPLOYEES_ID]: 1 });
    expect(drifted.outputs.identityServerUrl).toBe(DRIFTED_URL);
    // The other two read back unchanged, and a refresh keeps secrets encrypted.
    await expectStateHoldsNoPlaintextSecrets();

    const preview = recorder();
    const planned = await timed("4b. preview (repair)", () => engine.stack.preview(preview.opts));
    expect(changesOf(planned.changeSummary)).toEqual({ update: 1 });
    expect(opsByName(preview.events, RESOURCES)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "same", [NAMES.integration]: "update" });

    const up = recorder();
    const repaired = await timed("4c. up (repair)", () => engine.stack.up(up.opts));
    expect(changesOf(repaired.summary.resourceChanges)).toEqual({ update: 1 });
    expect(await oauthFeatureStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    expect(await creatio.settingValue(URL_CODE)).toBe(identity.url);
    const state = await stateOf(NAMES.integration);
    expect(state.outputs.featureStates).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    // Still remembers what it found first, so destroy goes all the way back.
    expect(state.outputs.previousFeatureStates).toEqual([{ id: SYSADMIN_ROW_ID, sysAdminUnitId: SYSTEM_ADMINISTRATORS_ID, featureState: 0 }]);
    await expectStateHoldsNoPlaintextSecrets();
    for (const r of [refresh, preview, up]) expectNoSecretsIn(r.output, "engine output of refresh/preview/up");
  });

  it("5. a new client secret updates in place and reaches the Identity Service tables and Creatio", async () => {
    const before = (await storedClients(identityDbUrl)).get(CLIENT_ID)!;
    expect(await childRowsOf(before.id)).toMatchObject({ ClientSecrets: 1, ClientGrantTypes: 2, ClientScopes: 8 });
    desired.clientSecret = SECOND_SECRET;

    const preview = recorder();
    const planned = await timed("5a. preview (rotation)", () => engine.stack.preview(preview.opts));
    expect(changesOf(planned.changeSummary)).toEqual({ update: 2 });
    expect(opsByName(preview.events, RESOURCES)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "update", [NAMES.integration]: "update" });
    // A preview changes nothing: the Identity Service still has the old client.
    expect((await storedClients(identityDbUrl)).get(CLIENT_ID)).toEqual(before);
    expect(await creatio.settingValue(SECRET_CODE)).toBe(FIRST_SECRET);

    const up = recorder();
    const result = await timed("5b. up (rotation)", () => engine.stack.up(up.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(changesOf(result.summary.resourceChanges)).toEqual({ update: 2 });
    expect(opsByName(up.events, RESOURCES)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "update", [NAMES.integration]: "update" });
    expect(result.outputs.removedClientIds.value).toEqual([CLIENT_ID]);
    expect(result.outputs.pfxBase64.value).toBe(pfxBase64); // the PFX was not rebuilt

    // Identity Service tables: the old client's rows are gone, the re-seeded client has the new secret only.
    const after = (await storedClients(identityDbUrl)).get(CLIENT_ID)!;
    expect(after.id).not.toBe(before.id);
    expect(await childRowsOf(before.id)).toEqual({});
    expect(after.secretHashes).toEqual([hashClientSecret(SECOND_SECRET)]);
    await watcher.refresh();
    expect(watcher.isValidClient(CLIENT_ID, SECOND_SECRET)).toBe(true);
    expect(watcher.isValidClient(CLIENT_ID, FIRST_SECRET)).toBe(false);

    // Creatio holds the new secret (stored encrypted, decrypted by the stand-in's key).
    expect(await creatio.settingValue(SECRET_CODE)).toBe(SECOND_SECRET);
    const raw = await query(creatioDbUrl, `SELECT v."TextValue" AS text FROM "SysSettingsValue" v JOIN "SysSettings" s ON s."Id" = v."SysSettingsId" WHERE s."Code" = $1`, [
      SECRET_CODE,
    ]);
    expect(raw[0].text).not.toContain(SECOND_SECRET);

    await expectStateHoldsNoPlaintextSecrets();
    for (const r of [preview, up]) expectNoSecretsIn(r.output, "engine output of rotation preview/up");
  });

  it("6. Creatio going away halfway through an update leaves a partial state that the next up finishes", async () => {
    // Enable the feature for Supervisor too; Creatio dies right after the batch that writes the new row, so
    // the cache clear fails and so does the undo (deleting the row again).
    desired.featureAdminUnitIds = [ALL_EMPLOYEES_ID, SUPERVISOR_ID];
    creatio.options.dieAfter = (r) => !!r.items?.includes("InsertQuery AppFeatureState");
    const failing = recorder();
    await expect(timed("6a. up (Creatio dies halfway)", () => engine.stack.up(failing.opts))).rejects.toThrow(/Putting Creatio back did not finish/);
    creatio.options.dieAfter = undefined;
    await creatio.revive();
    expectNoSecretsIn(failing.output, "engine output of the failed up");

    // The engine kept the provider's partial state: marked incomplete, the row it added recorded,
    // what create found first kept, and the secrets still encrypted.
    const partial = await stateOf(NAMES.integration);
    expect(partial.outputs.complete).toBe(false);
    const added = (await query(creatioDbUrl, `SELECT "Id"::text AS id FROM "AdminUnitFeatureState" WHERE "SysAdminUnitId" = $1`, [SUPERVISOR_ID])).map((r) => r.id);
    expect(added).toHaveLength(1);
    expect(partial.outputs.insertedFeatureStateIds).toEqual(expect.arrayContaining(added));
    expect(partial.outputs.previousFeatureStates).toEqual([{ id: SYSADMIN_ROW_ID, sysAdminUnitId: SYSTEM_ADMINISTRATORS_ID, featureState: 0 }]);
    await expectStateHoldsNoPlaintextSecrets();

    const finishing = recorder();
    const finished = await timed("6b. up (finishes)", () => engine.stack.up(finishing.opts));
    expect(changesOf(finished.summary.resourceChanges)).toEqual({ update: 1 });
    expect(await oauthFeatureStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1, [SUPERVISOR_ID]: 1 });
    expect((await stateOf(NAMES.integration)).outputs.complete).toBe(true);
    const again = recorder();
    expect(changesOf((await timed("6c. preview (no change)", () => engine.stack.preview(again.opts))).changeSummary)).toEqual({});
    for (const r of [finishing, again]) expectNoSecretsIn(r.output, "engine output after the partial state");
  });

  it("7. destroy puts Creatio back as it was and the stack is removed", async () => {
    const rec = recorder();
    const result = await timed("7a. destroy", () => engine.stack.destroy(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(opsByName(rec.events, RESOURCES)).toEqual({ [NAMES.pfx]: "delete", [NAMES.sync]: "delete", [NAMES.integration]: "delete" });
    // Feature state rows and setting values exactly as the fixture had them (rows this stack inserted gone).
    expect(await creatioRows()).toEqual(creatioAsFound);
    expect(await creatio.settingValue(URL_CODE)).toBe("");
    expect(await creatio.settingValue(SECRET_CODE)).toBe("");
    // The default resource it created stays: Creatio forbids deleting OAuth resources.
    expect(await query(creatioDbUrl, `SELECT "Name" FROM "OAuthResource"`)).toEqual([{ Name: createdDefaultResource }]);
    // ... and destroy says so, and what it put back, in the engine's output.
    const said = diagnosticsOf(rec.events);
    expect(said).toContain(`Creatio's default OAuth resource ${createdDefaultResource}, created by this stack, stays`);
    expect(said).toContain("Creatio put back as found:");
    // IdentityClientSync's delete leaves the Identity Service's client alone (Creatio must not be cut off).
    expect((await storedClients(identityDbUrl)).get(CLIENT_ID)?.secretHashes).toEqual([hashClientSecret(SECOND_SECRET)]);
    expectNoSecretsIn(rec.output, "engine output of destroy");

    await timed("7b. stack rm", () => engine.stack.workspace.removeStack(engine.stackName));
    const stacks = await engine.stack.workspace.listStacks();
    expect(stacks.map((s) => s.name)).not.toContain(engine.stackName);
    expect(existsSync(join(engine.backendDir, ".pulumi", "stacks", PROJECT, `${engine.stackName}.json`))).toBe(false);
  });
});
