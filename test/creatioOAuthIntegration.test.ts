/**
 * CreatioOAuthIntegration's provider against a real PostgreSQL holding a fixture of Creatio's tables
 * (test/fixtures/creatio.sql), a Creatio API stand-in that enforces the login cookies and BPMCSRF and
 * encrypts SecureText values, and an Identity Service stand-in (discovery + token).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  CREATIO_OAUTH_INTEGRATION_TYPE,
  CreatioOAuthIntegration,
  creatioOAuthIntegrationProvider as provider,
  CreatioOAuthIntegrationOutputs,
} from "../components/creatioOAuthIntegration";
import { ALL_EMPLOYEES_ID, SYSTEM_ADMINISTRATORS_ID } from "../lib/creatioFeatureSql";
import { UNKNOWN_VALUE } from "../lib/creatioIntegrationInputs";
import { CreatioStandIn, loadCreatioFixture, startCreatioStandIn } from "./support/creatioStandIn";
import { IdentityServiceStandIn, startIdentityServiceStandIn } from "./support/identityServiceStandIn";
import { installMocks, only, settle } from "./support/mocks";
import { createTestDatabase, query, TestDatabase } from "./support/pg";

const FEATURE_ID = "f836e885-8e51-44dd-879c-37c901210874";
const SYSADMIN_ROW_ID = "5e1f0c3a-0d7b-4c55-9a8e-2f6b7c8d9e01";
const CLIENT_ID = "creatioClient0001";
const CLIENT_SECRET = "Cl1entSecret-0123456789abcdefABCD";
const NEW_SECRET = "R0tatedSecret-9876543210zyxwvuZYXW";
const CREATIO_PASSWORD = "Cr3atio-Adm1n-Pa55!";
const URL_CODE = "OAuth20IdentityServerUrl";
const ID_CODE = "OAuth20IdentityServerClientId";
const SECRET_CODE = "OAuth20IdentityServerClientSecret";

let db: TestDatabase;
let creatio: CreatioStandIn;
let identity: IdentityServiceStandIn;
let infoLog: jest.SpyInstance;
let warnLog: jest.SpyInstance;

/** Every text that must never appear in an error or a log line. */
function forbidden(): string[] {
  return [CLIENT_SECRET, NEW_SECRET, CREATIO_PASSWORD, db.url, db.password, encodeURIComponent(CREATIO_PASSWORD)];
}

function expectNoSecrets(text: string): void {
  for (const s of forbidden()) expect(text).not.toContain(s);
}

function logged(spy: jest.SpyInstance): string[] {
  return spy.mock.calls.map((c) => String(c[0]));
}

/** Runs a provider call that must fail; returns its message after checking it leaks nothing. */
async function failure(p: Promise<unknown>): Promise<string> {
  let message: string | undefined;
  try {
    await p;
  } catch (e) {
    message = (e as Error).message;
  }
  if (message === undefined) throw new Error("expected the call to fail, it succeeded");
  expectNoSecrets(message);
  return message;
}

function inputs(overrides: Record<string, any> = {}, creatioOverrides: Record<string, any> = {}): Record<string, any> {
  return {
    identityServerUrl: identity.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    creatio: { url: creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, databaseConnectionString: db.url, ...creatioOverrides },
    readinessTimeoutSeconds: 20,
    ...overrides,
  };
}

/** Everything the provider may touch, as stored: compared before/after to prove "nothing changed" or "all restored". */
async function creatioRows(): Promise<{ states: any[]; values: any[]; features: any[] }> {
  return {
    states: await query(db.url, `SELECT "Id"::text, "SysAdminUnitId"::text, "FeatureId"::text, "FeatureState" FROM "AdminUnitFeatureState" ORDER BY "Id"`),
    values: await query(db.url, `SELECT "Id"::text, "SysSettingsId"::text, "SysAdminUnitId"::text, "TextValue" FROM "SysSettingsValue" ORDER BY "Id"`),
    features: await query(db.url, `SELECT "Id"::text, "Code" FROM "Feature" ORDER BY "Id"`),
  };
}

async function oauthStates(): Promise<Record<string, number>> {
  const rows = await query(db.url, `SELECT "SysAdminUnitId"::text AS unit, "FeatureState" AS state FROM "AdminUnitFeatureState" WHERE "FeatureId" = $1`, [FEATURE_ID]);
  return Object.fromEntries(rows.map((r) => [r.unit, r.state]));
}

function postsOfSettings(): number {
  return creatio.requests.filter((r) => r.path.endsWith("/PostSysSettingsValues")).length;
}

beforeEach(async () => {
  db = await createTestDatabase("creatio_oauth");
  await loadCreatioFixture(db.url);
  creatio = await startCreatioStandIn({ databaseUrl: db.url, password: CREATIO_PASSWORD });
  identity = await startIdentityServiceStandIn({ clients: [{ clientId: CLIENT_ID, secret: CLIENT_SECRET }] });
  infoLog = jest.spyOn(pulumi.log, "info").mockImplementation(() => Promise.resolve());
  warnLog = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
});

afterEach(async () => {
  for (const line of [...logged(infoLog), ...logged(warnLog)]) expectNoSecrets(line);
  infoLog.mockRestore();
  warnLog.mockRestore();
  await identity.stop();
  await creatio.stop();
  await db.drop();
});

describe("check", () => {
  it("fills the defaults and normalizes URLs and unit ids", async () => {
    const result = await provider.check!({}, inputs({ identityServerUrl: `${identity.url}/`, featureAdminUnitIds: [SYSTEM_ADMINISTRATORS_ID.toUpperCase()], readinessTimeoutSeconds: undefined }));
    expect(result.failures).toEqual([]);
    expect(result.inputs.identityServerUrl).toBe(identity.url);
    expect(result.inputs.featureAdminUnitIds).toEqual([SYSTEM_ADMINISTRATORS_ID]);
    expect(result.inputs.readinessTimeoutSeconds).toBe(300);
    expect(result.inputs.creatio.netCore).toBe(false);
    const defaults = await provider.check!({}, inputs());
    expect(defaults.inputs.featureAdminUnitIds).toEqual([ALL_EMPLOYEES_ID]);
  });

  it("names each bad property and never echoes the connection string", async () => {
    const npgsql = `Host=db;Username=creatio;Password=${CREATIO_PASSWORD}`;
    const result = await provider.check!({}, {
      identityServerUrl: "ftp://identity",
      clientId: "",
      clientSecret: CLIENT_SECRET,
      creatio: { url: `${creatio.url}/0`, username: "Supervisor", password: "", netCore: "yes", databaseConnectionString: npgsql },
      featureAdminUnitIds: ["All employees"],
      readinessTimeoutSeconds: -1,
      identityServerCaPem: "not a pem",
    });
    const byProperty = Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
    expect(Object.keys(byProperty).sort()).toEqual([
      "clientId", "creatio.databaseConnectionString", "creatio.netCore", "creatio.password", "creatio.url",
      "featureAdminUnitIds", "identityServerCaPem", "identityServerUrl", "readinessTimeoutSeconds",
    ]);
    expect(byProperty["creatio.url"]).toContain("drop the trailing /0");
    expect(byProperty["creatio.databaseConnectionString"]).toContain("postgres://");
    for (const reason of Object.values(byProperty)) {
      expect(reason).not.toContain(npgsql);
      expectNoSecrets(reason);
    }
  });

  it("rejects identityServerCaPem for an http:// Identity Service", async () => {
    const result = await provider.check!({}, inputs({ identityServerCaPem: "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n" }));
    expect(result.failures?.map((f) => f.property)).toEqual(["identityServerCaPem"]);
  });

  it("lets unknown values (preview) through", async () => {
    const result = await provider.check!({}, { identityServerUrl: UNKNOWN_VALUE, clientId: UNKNOWN_VALUE, clientSecret: UNKNOWN_VALUE, creatio: UNKNOWN_VALUE });
    expect(result.failures).toEqual([]);
  });
});

describe("create", () => {
  it("waits for a slow-starting Identity Service, then enables the feature and writes the settings", async () => {
    identity.options.unavailableForRequests = 3;
    const before = await creatioRows();
    const checked = await provider.check!({}, inputs());
    const { id, outs } = await provider.create(checked.inputs);
    const o = outs as CreatioOAuthIntegrationOutputs;

    // It said what it was waiting for, with the URL and the last failure.
    const waits = logged(infoLog).filter((l) => l.startsWith("waiting for the Identity Service"));
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits[0]).toContain(identity.url);
    expect(waits[0]).toContain("attempt 1");
    expect(waits[0]).toContain("HTTP 503");
    expect(identity.tokensIssued()).toBeGreaterThanOrEqual(1);

    // The feature: the shipped System administrators row set to 1, a new All employees row with its own Id.
    expect(await oauthStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    expect(o.insertedFeatureStateIds).toHaveLength(1);
    const inserted = await query(db.url, `SELECT "SysAdminUnitId"::text AS unit, "CreatedOn" FROM "AdminUnitFeatureState" WHERE "Id" = $1`, [o.insertedFeatureStateIds[0]]);
    expect(inserted).toHaveLength(1);
    expect(inserted[0].unit).toBe(ALL_EMPLOYEES_ID);
    expect(inserted[0].CreatedOn).not.toBeNull();
    // The unrelated feature's row is untouched.
    const after = await creatioRows();
    expect(after.states.find((r) => r.Id === "5e1f0c3a-0d7b-4c55-9a8e-2f6b7c8d9e02")).toEqual(before.states.find((r) => r.Id === "5e1f0c3a-0d7b-4c55-9a8e-2f6b7c8d9e02"));

    // The settings went through Creatio's API: the secret is stored encrypted, not in plain text.
    expect(await creatio.settingValue(URL_CODE)).toBe(identity.url);
    expect(await creatio.settingValue(ID_CODE)).toBe(CLIENT_ID);
    expect(await creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);
    const raw = await query(db.url, `SELECT v."TextValue" AS text FROM "SysSettingsValue" v JOIN "SysSettings" s ON s."Id" = v."SysSettingsId" WHERE s."Code" = $1`, [SECRET_CODE]);
    expect(raw[0].text).not.toContain(CLIENT_SECRET);

    // What it found is recorded for delete; what it changed is visible in the outputs.
    expect(o.featureId).toBe(FEATURE_ID);
    expect(o.previousFeatureStates).toEqual([{ id: SYSADMIN_ROW_ID, sysAdminUnitId: SYSTEM_ADMINISTRATORS_ID, featureState: 0 }]);
    expect(o.featureStates).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    expect(o.settingsWritten).toEqual([URL_CODE, ID_CODE, SECRET_CODE]);
    expect(o.previousSettings.map((s) => [s.code, s.valueRowExisted, s.textValue])).toEqual([
      [URL_CODE, true, ""],
      [ID_CODE, false, null],
      [SECRET_CODE, false, null],
    ]);
    expect(id).toContain("OAuth20Integration@");
    expectNoSecrets(id);
  });

  it("reaches .NET 6/8 Creatio's API at the site root when netCore is true", async () => {
    await creatio.stop();
    creatio = await startCreatioStandIn({ databaseUrl: db.url, password: CREATIO_PASSWORD, netCore: true });
    await provider.create(inputs({}, { netCore: true }));
    expect(await creatio.settingValue(ID_CODE)).toBe(CLIENT_ID);
    expect(creatio.requests.some((r) => r.path === "/DataService/json/SyncReply/PostSysSettingsValues" && r.status === 200)).toBe(true);
  });

  it("fails on a wrong netCore with a hint, and changes nothing", async () => {
    const before = await creatioRows();
    const message = await failure(provider.create(inputs({}, { netCore: true })));
    expect(message).toContain("HTTP 404");
    expect(message).toContain("creatio.netCore");
    expect(await creatioRows()).toEqual(before);
  });

  it("stops at a refused login before contacting the Identity Service or touching anything", async () => {
    const before = await creatioRows();
    const message = await failure(provider.create(inputs({}, { password: "wrong-password" })));
    expect(message).toContain('Creatio refused the login of user "Supervisor"');
    expect(message).toContain("creatio.password");
    expect(message).not.toContain("wrong-password");
    expect(identity.requests).toHaveLength(0);
    expect(postsOfSettings()).toBe(0);
    expect(await creatioRows()).toEqual(before);
  });

  it("fails with a clear error when Creatio has no OAuth20Integration feature", async () => {
    await query(db.url, `DELETE FROM "Feature" WHERE "Code" = 'OAuth20Integration'`);
    const before = await creatioRows();
    const message = await failure(provider.create(inputs()));
    expect(message).toContain("no feature with Code 'OAuth20Integration'");
    expect(message).toContain("Nothing was changed");
    expect(postsOfSettings()).toBe(0);
    expect(await creatioRows()).toEqual(before);
  });

  it("names target units that do not exist, before touching anything", async () => {
    const before = await creatioRows();
    const ghost = "11111111-2222-3333-4444-555555555555";
    const message = await failure(provider.create(inputs({ featureAdminUnitIds: [ghost] })));
    expect(message).toContain("featureAdminUnitIds");
    expect(message).toContain(ghost);
    expect(await creatioRows()).toEqual(before);
  });

  it("rolls everything back when Creatio refuses one setting", async () => {
    creatio.options.saveResult = { [SECRET_CODE]: false };
    const before = await creatioRows();
    const message = await failure(provider.create(inputs()));
    expect(message).toContain(`Creatio refused to save the system setting ${SECRET_CODE}`);
    expect(message).toContain("Rolled back");
    expect(message).toContain(`${URL_CODE}, ${ID_CODE} put back`);
    // The two accepted settings were written, then put back: the stored rows are exactly as found.
    expect(postsOfSettings()).toBe(2);
    expect(await creatioRows()).toEqual(before);
  });

  it("puts back a previous encrypted secret exactly when a later setting is refused", async () => {
    // A Creatio that already had a secret (stored encrypted by Creatio's own key).
    await query(db.url, `INSERT INTO "SysSettingsValue" ("Id", "SysSettingsId", "SysAdminUnitId", "TextValue") VALUES ($1, '1d7a1c7e-0001-4e7a-9c1b-000000000003', $2, $3)`,
      ["3f9c3e90-0001-4e7a-9c1b-000000000003", ALL_EMPLOYEES_ID, creatio.encrypt("old-secret-value")]);
    creatio.options.saveResult = { [URL_CODE]: false };
    const before = await creatioRows();
    const message = await failure(provider.create(inputs()));
    expect(message).toContain(URL_CODE);
    expect(await creatioRows()).toEqual(before);
    expect(await creatio.settingValue(SECRET_CODE)).toBe("old-secret-value");
    // The API cannot take an encrypted value back, so it says Creatio's cache needs clearing.
    expect(logged(warnLog).some((l) => l.includes(SECRET_CODE) && l.includes("cache"))).toBe(true);
  });

  it("gives up on an Identity Service that never answers, naming the URL and the last failure", async () => {
    identity.options.neverAnswer = true;
    const before = await creatioRows();
    const message = await failure(provider.create(inputs({ readinessTimeoutSeconds: 2 })));
    expect(message).toContain(`The Identity Service at ${identity.url} was not ready after 2 s`);
    expect(message).toContain("Last failure: discovery document: no answer within");
    expect(message).toContain("Nothing was changed in Creatio");
    expect(postsOfSettings()).toBe(0);
    expect(await creatioRows()).toEqual(before);
  });

  it("keeps waiting while the Identity Service does not accept the client, and says why", async () => {
    identity.options.clients = [{ clientId: CLIENT_ID, secret: "another-secret" }];
    const before = await creatioRows();
    const message = await failure(provider.create(inputs({ readinessTimeoutSeconds: 1 })));
    expect(message).toContain("token endpoint answered HTTP 400 invalid_client");
    expect(message).toContain("delete the client's rows and restart it");
    expect(await creatioRows()).toEqual(before);
  });

  it("trusts identityServerCaPem for the Identity Service only, without turning TLS checks off", async () => {
    await identity.stop();
    identity = await startIdentityServiceStandIn({ https: true, clients: [{ clientId: CLIENT_ID, secret: CLIENT_SECRET }] });
    const untrusted = await failure(provider.create(inputs({ readinessTimeoutSeconds: 1 })));
    expect(untrusted).toMatch(/self[- ]signed/i);
    expect(untrusted).toContain("identityServerCaPem");

    await provider.create(inputs({ identityServerCaPem: identity.caPem }));
    expect(await creatio.settingValue(URL_CODE)).toBe(identity.url);
    // A request elsewhere in the process still refuses the self-signed certificate.
    const plain = await new Promise<string>((done) => {
      https.get(`${identity.url}/.well-known/openid-configuration`, (res) => { res.resume(); done(`status ${res.statusCode}`); }).on("error", (e) => done(e.message));
    });
    expect(plain).toMatch(/self[- ]signed/i);
  });
});

describe("read, diff and update", () => {
  it("sees drift in the settings and the feature states, and an update repairs it", async () => {
    const { id, outs } = await provider.create(inputs());
    // Someone switches the feature off for administrators and points Creatio elsewhere.
    await query(db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 0 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
    await query(db.url, `UPDATE "SysSettingsValue" SET "TextValue" = 'http://elsewhere:5000' WHERE "SysSettingsId" = '1d7a1c7e-0001-4e7a-9c1b-000000000001'`);

    const read = await provider.read!(id, outs);
    expect(read.props.identityServerUrl).toBe("http://elsewhere:5000");
    expect(read.props.clientId).toBe(CLIENT_ID);
    expect(read.props.featureStates).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 0, [ALL_EMPLOYEES_ID]: 1 });
    // The secret is not read back, and stays what it was.
    expect(read.props.clientSecret).toBe(CLIENT_SECRET);

    const checked = await provider.check!({}, inputs());
    const diff = await provider.diff!(id, read.props, checked.inputs);
    expect(diff.changes).toBe(true);
    expect(diff.replaces).toEqual([]);

    const updated = await provider.update!(id, read.props, checked.inputs);
    expect(await creatio.settingValue(URL_CODE)).toBe(identity.url);
    expect(await oauthStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    // Still remembers what create found, so delete goes all the way back.
    expect(updated.outs.previousFeatureStates).toEqual((outs as CreatioOAuthIntegrationOutputs).previousFeatureStates);
    expect(updated.outs.insertedFeatureStateIds).toEqual((outs as CreatioOAuthIntegrationOutputs).insertedFeatureStateIds);
    const noDrift = await provider.diff!(id, (await provider.read!(id, updated.outs)).props, checked.inputs);
    expect(noDrift.changes).toBe(false);
  });

  it("updates in place for a new URL, client or secret and replaces for another Creatio", async () => {
    const olds = (await provider.check!({}, inputs())).inputs;
    const diff = (n: Record<string, any>) => provider.diff!("id", olds, n);
    for (const change of [{ identityServerUrl: "http://identity:5000" }, { clientId: "otherClient00001" }, { clientSecret: NEW_SECRET }]) {
      const d = await diff({ ...olds, ...change });
      expect(d).toMatchObject({ changes: true, replaces: [] });
    }
    expect(await diff(olds)).toMatchObject({ changes: false, replaces: [] });
    const otherUrl = await diff({ ...olds, creatio: { ...olds.creatio, url: "http://other-creatio" } });
    expect(otherUrl).toMatchObject({ changes: true, replaces: ["creatio"], deleteBeforeReplace: true });
    const otherDb = new URL(db.url);
    otherDb.pathname = "/another_creatio";
    expect(await diff({ ...olds, creatio: { ...olds.creatio, databaseConnectionString: otherDb.toString() } })).toMatchObject({ replaces: ["creatio"] });
    // New credentials for the same database are the same Creatio.
    const rotatedDbPassword = new URL(db.url);
    rotatedDbPassword.password = "new-db-password";
    expect(await diff({ ...olds, creatio: { ...olds.creatio, databaseConnectionString: rotatedDbPassword.toString() } })).toMatchObject({ changes: true, replaces: [] });
  });

  it("rotates the client secret through update once the Identity Service accepts it", async () => {
    const { id, outs } = await provider.create(inputs());
    const news = (await provider.check!({}, inputs({ clientSecret: NEW_SECRET, readinessTimeoutSeconds: 1 }))).inputs;

    // The Identity Service does not know the new secret yet: update waits, fails, and changes nothing.
    const before = await creatioRows();
    const message = await failure(provider.update!(id, outs, news));
    expect(message).toContain("invalid_client");
    expect(await creatioRows()).toEqual(before);
    expect(await creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);

    identity.options.clients = [{ clientId: CLIENT_ID, secret: NEW_SECRET }];
    const updated = await provider.update!(id, outs, news);
    expect(await creatio.settingValue(SECRET_CODE)).toBe(NEW_SECRET);
    expect(updated.outs.clientSecret).toBe(NEW_SECRET);
    // What create found is still what delete restores.
    expect(updated.outs.previousSettings).toEqual((outs as CreatioOAuthIntegrationOutputs).previousSettings);
  });

  it("puts the previous values back when Creatio refuses a setting during update", async () => {
    const { id, outs } = await provider.create(inputs());
    identity.options.clients = [{ clientId: CLIENT_ID, secret: NEW_SECRET }];
    creatio.options.saveResult = { [URL_CODE]: false };
    const news = (await provider.check!({}, inputs({ clientSecret: NEW_SECRET }))).inputs;
    const message = await failure(provider.update!(id, outs, news));
    expect(message).toContain(`Creatio refused to save the system setting ${URL_CODE}`);
    expect(await creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);
    expect(await creatio.settingValue(URL_CODE)).toBe(identity.url);
  });

  it("adds and removes its own rows when featureAdminUnitIds changes", async () => {
    const { id, outs } = await provider.create(inputs());
    const supervisor = "7f3b869f-34f3-4f20-ab4d-7480a5fdf647";
    const news = (await provider.check!({}, inputs({ featureAdminUnitIds: [supervisor] }))).inputs;
    const updated = await provider.update!(id, outs, news);
    expect(await oauthStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [supervisor]: 1 });
    await provider.delete!(id, updated.outs);
    expect(await oauthStates()).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 0 });
  });
});

describe("delete", () => {
  it("puts back exactly what create found", async () => {
    const before = await creatioRows();
    const { id, outs } = await provider.create(inputs());
    expect(await creatioRows()).not.toEqual(before);
    await provider.delete!(id, outs);
    expect(await creatioRows()).toEqual(before);
    expect(logged(warnLog)).toEqual([]);
  });

  it("restores earlier values, including an encrypted secret it cannot decrypt", async () => {
    await query(db.url, `UPDATE "SysSettingsValue" SET "TextValue" = 'http://old-identity:5000' WHERE "SysSettingsId" = '1d7a1c7e-0001-4e7a-9c1b-000000000001'`);
    await query(db.url, `INSERT INTO "SysSettingsValue" ("Id", "SysSettingsId", "SysAdminUnitId", "TextValue") VALUES ($1, '1d7a1c7e-0001-4e7a-9c1b-000000000003', $2, $3)`,
      ["3f9c3e90-0001-4e7a-9c1b-000000000003", ALL_EMPLOYEES_ID, creatio.encrypt("old-secret-value")]);
    await query(db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
    const before = await creatioRows();
    const { id, outs } = await provider.create(inputs());
    expect(await creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);
    await provider.delete!(id, outs);
    expect(await creatioRows()).toEqual(before);
    expect(await creatio.settingValue(URL_CODE)).toBe("http://old-identity:5000");
    expect(await creatio.settingValue(SECRET_CODE)).toBe("old-secret-value");
    expect(logged(warnLog).some((l) => l.includes(SECRET_CODE) && l.includes("restart Creatio"))).toBe(true);
  });

  it("fails without touching the database when it cannot log in to Creatio", async () => {
    const { id, outs } = await provider.create(inputs());
    const changed = await creatioRows();
    creatio.options.password = "rotated-elsewhere";
    const message = await failure(provider.delete!(id, outs));
    expect(message).toContain("Creatio refused the login");
    expect(await creatioRows()).toEqual(changed);
  });
});

describe("serialization", () => {
  it("serializes, and the serialized provider works in a separate Node process", async () => {
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(sf.text).toContain("exports.handler");
    expectNoSecrets(sf.text);
    const dir = mkdtempSync(join(tmpdir(), "creatio-oauth-provider-"));
    try {
      writeFileSync(join(dir, "provider.js"), sf.text);
      writeFileSync(
        join(dir, "run.js"),
        `const provider = require("./provider.js").handler();
         (async () => {
           const checked = await provider.check({}, JSON.parse(process.env.INPUTS));
           const created = await provider.create(checked.inputs);
           const read = await provider.read(created.id, created.outs);
           await provider.delete(created.id, read.props);
           process.stdout.write(JSON.stringify({ failures: checked.failures, states: read.props.featureStates }));
         })().catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1); });`,
      );
      const before = await creatioRows();
      const out = await new Promise<string>((done, fail) => {
        execFile(process.execPath, [join(dir, "run.js")], {
          env: { ...process.env, NODE_PATH: resolve(__dirname, "..", "node_modules"), INPUTS: JSON.stringify(inputs()) },
          timeout: 60000,
        }, (error, stdout, stderr) => (error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout)));
      });
      const lastLine = out.trim().split("\n").pop() as string;
      expect(JSON.parse(lastLine.slice(lastLine.indexOf("{")))).toEqual({ failures: [], states: { [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 } });
      expect(await creatioRows()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CreatioOAuthIntegration resource", () => {
  it("registers its own type with the inputs, the serialized provider and its secret outputs", async () => {
    const resources = installMocks();
    // The mock engine ignores additionalSecretOutputs, so look at what the resource asks Pulumi for.
    const runtimeResource = require("@pulumi/pulumi/runtime/resource");
    const register = jest.spyOn(runtimeResource, "registerResource");
    const integration = new CreatioOAuthIntegration("creatio-oauth", {
      identityServerUrl: "https://identity.example.com",
      clientId: CLIENT_ID,
      clientSecret: pulumi.secret(CLIENT_SECRET),
      creatio: { url: "https://creatio.example.com", username: "Supervisor", password: pulumi.secret(CREATIO_PASSWORD), databaseConnectionString: pulumi.secret("postgres://u:p@db/creatio") },
    });
    await settle();
    await new Promise<void>((done) => integration.urn.apply(() => done()));
    const r = only(resources, CREATIO_OAUTH_INTEGRATION_TYPE, "creatio-oauth");
    expect(r.inputs.identityServerUrl).toBe("https://identity.example.com");
    expect(r.inputs.creatio.username).toBe("Supervisor");
    expect(typeof r.inputs.__provider).toBe("string");
    expect(r.inputs.__provider).toContain("exports.handler");
    expectNoSecrets(r.inputs.__provider);
    const call = register.mock.calls.find((c) => c[3] === "creatio-oauth");
    expect((call?.[8] as pulumi.CustomResourceOptions).additionalSecretOutputs).toEqual(["clientSecret", "creatio", "previousSettings"]);
    register.mockRestore();
  });
});
