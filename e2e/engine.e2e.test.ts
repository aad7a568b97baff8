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
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, symlinkSync, existsSync, readFileSync } from "node:fs";
import { randomBytes, X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "pg";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, OpMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { PfxBundle } from "../components/pfxBundle";
import { IdentityClientSync } from "../components/identityClientSync";
import { CreatioOAuthIntegration } from "../components/creatioOAuthIntegration";
import { buildClientsJson } from "../lib/clientsJson";
import { npgsqlConnectionString } from "../lib/connectionString";
import { CLIENT_CHILD_TABLES } from "../lib/identityClientSql";
import { ALL_EMPLOYEES_ID, SYSTEM_ADMINISTRATORS_ID, OAUTH_SETTING_CODES } from "../lib/creatio/constants";
import { connectCreatio } from "../lib/creatio/session";
import { postSysSettingsValues } from "../lib/creatio/services";
import { readPfx } from "../lib/pfx";
import { adminUrl, createTestDatabase, query, TestDatabase } from "../test/support/pg";
import { CreatioStandIn, loadCreatioFixture, startCreatioStandIn } from "../test/support/creatioStandIn";
import { IdentityServiceStandIn, selfSignedCertificate, startIdentityServiceStandIn } from "../test/support/identityServiceStandIn";
import { ClientSecretsWatcher, hashClientSecret, seedMissingClients, storedClients, watchClientSecrets } from "./support/identityServiceDatabase";
import { pulumiSdkVersion, pulumiToolsProblem, pulumiToolsRoot } from "./support/pulumiTools";
import { isEncryptedSecret, labelsFoundIn, plaintextSecretsInFiles } from "./support/stateSecrets";

const execFileAsync = promisify(execFile);
const REPO_ROOT = resolve(__dirname, "..");
const TOOLS_ROOT = pulumiToolsRoot();
const TOOLS_PROBLEM = pulumiToolsProblem(TOOLS_ROOT);

/** Upper bound of one engine operation (the whole run takes 1-2 minutes). */
const ENGINE_OPERATION_TIMEOUT_MS = 4 * 60 * 1000;

const PROJECT = "creatio-identity-e2e";
const STACK = `e2e-${randomBytes(3).toString("hex")}`;
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

// ---- shared state (set up in beforeAll) ----
let identityDb: TestDatabase;
let creatioDb: TestDatabase;
let identityDbUrl: string;
let creatioDbUrl: string;
let identityConnectionString: string;
let watcher: ClientSecretsWatcher;
let identity: IdentityServiceStandIn;
let creatio: CreatioStandIn;
let keyPem: string;
let certPem: string;
let workDir: string;
let backendDir: string;
let pulumiHome: string;
let stack: Stack;
/** The environment the CLI runs with (backend, passphrase, no update check). */
let engineEnv: Record<string, string>;
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
const timings: Array<[string, number]> = [];

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

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    const ms = Date.now() - started;
    timings.push([label, ms]);
    process.stdout.write(`[e2e] ${label}: ${(ms / 1000).toFixed(1)} s\n`);
  }
}

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

/** Engine output and events of one operation, and the options that record them (with a time limit). */
interface Recording {
  output: string;
  readonly events: EngineEvent[];
  readonly opts: { onOutput(s: string): void; onEvent(e: EngineEvent): void; signal: AbortSignal };
}

function recorder(): Recording {
  const r: Recording = {
    output: "",
    events: [],
    opts: {
      onOutput: (s) => {
        r.output += s;
      },
      onEvent: (e) => {
        r.events.push(e);
      },
      signal: AbortSignal.timeout(ENGINE_OPERATION_TIMEOUT_MS),
    },
  };
  return r;
}

/** Resource name → the step op the engine announced for it (the last one). */
function opsByName(events: EngineEvent[]): Record<string, string> {
  const ops: Record<string, string> = {};
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (m && (Object.values(NAMES) as string[]).includes(m.urn.split("::").pop() as string)) ops[m.urn.split("::").pop() as string] = m.op;
  }
  return ops;
}

/** The kinds of change in a summary that are not "same", with their counts. */
function changesOf(summary: OpMap | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0));
}

function expectNoSecretsIn(text: string, what: string): void {
  expect({ [what]: labelsFoundIn(text, secretValues()) }).toEqual({ [what]: [] });
}

/**
 * `pulumi stack export` as anyone with access to the backend gets it: without --show-secrets
 * (the Automation API's exportStack always passes --show-secrets, so it cannot be used for this).
 */
async function exportWithoutSecrets(): Promise<any> {
  const { stdout } = await execFileAsync(join(TOOLS_ROOT, "bin", "pulumi"), ["stack", "export", "--stack", STACK, "--non-interactive"], {
    cwd: workDir,
    env: { ...process.env, ...engineEnv, PULUMI_HOME: pulumiHome },
    timeout: 60000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

/** The checkpoint's resource by name, secrets decrypted (the Automation API's export). */
async function stateOf(name: string): Promise<{ inputs: Record<string, any>; outputs: Record<string, any>; type: string }> {
  const deployment = await stack.exportStack();
  const found = (deployment.deployment.resources ?? []).filter((r: any) => String(r.urn).endsWith(`::${name}`));
  expect(found).toHaveLength(1);
  return found[0];
}

/** Step 2's checks, repeated after every operation that writes state. */
async function expectStateHoldsNoPlaintextSecrets(): Promise<void> {
  const checkpoint = await exportWithoutSecrets();
  expect(labelsFoundIn(JSON.stringify(checkpoint), secretValues())).toEqual([]);
  const { findings, filesSearched } = plaintextSecretsInFiles(backendDir, secretValues());
  expect(filesSearched).toBeGreaterThan(0);
  expect(findings).toEqual([]);

  // And the secrets ARE there, encrypted: inputs given as secrets and the secret outputs.
  const resource = (name: string) => {
    const found = (checkpoint.deployment.resources ?? []).filter((r: any) => String(r.urn).endsWith(`::${name}`));
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

const suite = TOOLS_PROBLEM ? describe.skip : describe;
if (TOOLS_PROBLEM) {
  if (process.env.CREATIO_E2E_REQUIRE_ENGINE === "1") {
    // .ci/run sets this after building the CLI: a missing CLI then is a failure, not a skip.
    throw new Error(`e2e cannot run: ${TOOLS_PROBLEM}`);
  }
  process.stdout.write(`\ne2e skipped: ${TOOLS_PROBLEM}\n\n`);
}

suite(`the package's dynamic resources under the Pulumi engine${TOOLS_PROBLEM ? ` (e2e skipped: ${TOOLS_PROBLEM})` : ""}`, () => {
  beforeAll(async () => {
    await timed("set-up (databases, stand-ins, workspace)", async () => {
      // A login of its own, with a password worth looking for in state.
      const admin = new Client({ connectionString: adminUrl() });
      await admin.connect();
      try {
        await admin.query(`CREATE ROLE "${DB_ROLE}" LOGIN PASSWORD '${DB_PASSWORD.replace(/'/g, "''")}'`);
      } finally {
        await admin.end();
      }
      identityDb = await createTestDatabase("e2e_identity");
      creatioDb = await createTestDatabase("e2e_creatio");
      const urlOf = (db: TestDatabase) => `postgres://${encodeURIComponent(DB_ROLE)}:${encodeURIComponent(DB_PASSWORD)}@${db.host}:${db.port}/${db.name}`;
      for (const db of [identityDb, creatioDb]) await query(adminUrl(), `ALTER DATABASE "${db.name}" OWNER TO "${DB_ROLE}"`);
      identityDbUrl = urlOf(identityDb);
      creatioDbUrl = urlOf(creatioDb);
      identityConnectionString = npgsqlConnectionString({ host: identityDb.host, port: identityDb.port, database: identityDb.name, username: DB_ROLE, password: DB_PASSWORD });

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
      // code it loads) resolve @pulumi/pulumi and pg from there: hence node_modules beside it.
      workDir = mkdtempSync(join(tmpdir(), "creatio-identity-e2e-work-"));
      symlinkSync(join(REPO_ROOT, "node_modules"), join(workDir, "node_modules"), "dir");
      backendDir = mkdtempSync(join(tmpdir(), "creatio-identity-e2e-state-"));
      pulumiHome = mkdtempSync(join(tmpdir(), "creatio-identity-e2e-home-"));

      engineEnv = {
        PULUMI_CONFIG_PASSPHRASE: randomBytes(12).toString("hex"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_BACKEND_URL: `file://${backendDir}`,
      };
      const pulumiCommand = await PulumiCommand.get({ root: TOOLS_ROOT, skipVersionCheck: false });
      // The CLI the script built for this SDK, not some other pulumi.
      expect(pulumiCommand.version?.toString()).toBe(pulumiSdkVersion());
      stack = await LocalWorkspace.createOrSelectStack(
        { stackName: STACK, projectName: PROJECT, program },
        {
          workDir,
          pulumiHome,
          pulumiCommand,
          secretsProvider: "passphrase",
          projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: `file://${backendDir}` } },
          envVars: engineEnv,
        },
      );
    });
  });

  afterAll(async () => {
    await Promise.allSettled([watcher?.stop(), identity?.stop(), creatio?.stop()]);
    await Promise.allSettled([identityDb?.drop(), creatioDb?.drop()]);
    await query(adminUrl(), `DROP ROLE IF EXISTS "${DB_ROLE}"`).catch(() => undefined);
    for (const dir of [workDir, backendDir, pulumiHome]) if (dir) rmSync(dir, { recursive: true, force: true });
    if (timings.length > 0) {
      process.stdout.write(`[e2e] timings:\n${timings.map(([label, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${label}`).join("\n")}\n`);
    }
  });

  it("1. up creates the three resources, keeps the secret outputs secret, and switches Creatio over", async () => {
    const rec = recorder();
    const result = await timed("1. up (create)", () => stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(opsByName(rec.events)).toEqual({ [NAMES.pfx]: "create", [NAMES.sync]: "create", [NAMES.integration]: "create" });

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
    const result = await timed("3. preview (no change)", () => stack.preview(rec.opts));
    expect(changesOf(result.changeSummary)).toEqual({});
    expect(result.changeSummary.same).toBeGreaterThanOrEqual(3);
    expect(opsByName(rec.events)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "same", [NAMES.integration]: "same" });
    expectNoSecretsIn(rec.output, "engine output of preview");
  });

  it("4. refresh shows drift made behind the engine's back, and up repairs it", async () => {
    // Someone switches the feature off for System administrators and points Creatio elsewhere.
    await query(creatioDbUrl, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 0 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
    // ... the way an administrator in Creatio's UI would: through Creatio's API.
    const ui = await connectCreatio({ url: creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: false, timeoutMs: 10000 });
    expect((await postSysSettingsValues(ui, { [URL_CODE]: DRIFTED_URL })).saved[URL_CODE]).toBe(true);

    const refresh = recorder();
    const refreshed = await timed("4a. refresh (drift)", () => stack.refresh(refresh.opts));
    expect(refreshed.summary.result).toBe("succeeded");
    expect(changesOf(refreshed.summary.resourceChanges)).toEqual({ update: 1 });
    const drifted = await stateOf(NAMES.integration);
    expect(drifted.outputs.featureStates).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 0, [ALL_EMPLOYEES_ID]: 1 });
    expect(drifted.outputs.identityServerUrl).toBe(DRIFTED_URL);
    // The other two read back unchanged, and a refresh keeps secrets encrypted.
    await expectStateHoldsNoPlaintextSecrets();

    const preview = recorder();
    const planned = await timed("4b. preview (repair)", () => stack.preview(preview.opts));
    expect(changesOf(planned.changeSummary)).toEqual({ update: 1 });
    expect(opsByName(preview.events)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "same", [NAMES.integration]: "update" });

    const up = recorder();
    const repaired = await timed("4c. up (repair)", () => stack.up(up.opts));
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
    const planned = await timed("5a. preview (rotation)", () => stack.preview(preview.opts));
    expect(changesOf(planned.changeSummary)).toEqual({ update: 2 });
    expect(opsByName(preview.events)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "update", [NAMES.integration]: "update" });
    // A preview changes nothing: the Identity Service still has the old client.
    expect((await storedClients(identityDbUrl)).get(CLIENT_ID)).toEqual(before);
    expect(await creatio.settingValue(SECRET_CODE)).toBe(FIRST_SECRET);

    const up = recorder();
    const result = await timed("5b. up (rotation)", () => stack.up(up.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(changesOf(result.summary.resourceChanges)).toEqual({ update: 2 });
    expect(opsByName(up.events)).toEqual({ [NAMES.pfx]: "same", [NAMES.sync]: "update", [NAMES.integration]: "update" });
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
    // Enable the feature for Supervisor too; Creatio dies right after the new row is written, so
    // the cache clear fails and so does the undo (deleting the row again).
    desired.featureAdminUnitIds = [ALL_EMPLOYEES_ID, SUPERVISOR_ID];
    creatio.options.dieAfter = (r) => r.operation === "InsertQuery";
    const failing = recorder();
    await expect(timed("6a. up (Creatio dies halfway)", () => stack.up(failing.opts))).rejects.toThrow(/Putting Creatio back did not finish/);
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
    const finished = await timed("6b. up (finishes)", () => stack.up(finishing.opts));
    expect(changesOf(finished.summary.resourceChanges)).toEqual({ update: 1 });
    expect(await oauthFeatureStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1, [SUPERVISOR_ID]: 1 });
    expect((await stateOf(NAMES.integration)).outputs.complete).toBe(true);
    const again = recorder();
    expect(changesOf((await timed("6c. preview (no change)", () => stack.preview(again.opts))).changeSummary)).toEqual({});
    for (const r of [finishing, again]) expectNoSecretsIn(r.output, "engine output after the partial state");
  });

  it("7. destroy puts Creatio back as it was and the stack is removed", async () => {
    const rec = recorder();
    const result = await timed("7a. destroy", () => stack.destroy(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(opsByName(rec.events)).toEqual({ [NAMES.pfx]: "delete", [NAMES.sync]: "delete", [NAMES.integration]: "delete" });
    // Feature state rows and setting values exactly as the fixture had them (rows this stack inserted gone).
    expect(await creatioRows()).toEqual(creatioAsFound);
    expect(await creatio.settingValue(URL_CODE)).toBe("");
    expect(await creatio.settingValue(SECRET_CODE)).toBe("");
    // The default resource it created stays: Creatio forbids deleting OAuth resources.
    expect(await query(creatioDbUrl, `SELECT "Name" FROM "OAuthResource"`)).toEqual([{ Name: createdDefaultResource }]);
    // IdentityClientSync's delete leaves the Identity Service's client alone (Creatio must not be cut off).
    expect((await storedClients(identityDbUrl)).get(CLIENT_ID)?.secretHashes).toEqual([hashClientSecret(SECOND_SECRET)]);
    expectNoSecretsIn(rec.output, "engine output of destroy");

    await timed("7b. stack rm", () => stack.workspace.removeStack(STACK));
    const stacks = await stack.workspace.listStacks();
    expect(stacks.map((s) => s.name)).not.toContain(STACK);
    expect(existsSync(join(backendDir, ".pulumi", "stacks", PROJECT, `${STACK}.json`))).toBe(false);
  });
});
