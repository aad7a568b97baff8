/**
 * CreatioOAuthIntegration's provider against the Creatio stand-in (test/support/creatioStandIn.ts:
 * Creatio's API over a real PostgreSQL holding the fixture) and the Identity Service stand-in. The
 * provider reaches Creatio through its HTTP API only; what it did is read back from the database.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  CREATIO_OAUTH_INTEGRATION_SECRET_OUTPUTS,
  CREATIO_OAUTH_INTEGRATION_TYPE,
  CreatioOAuthIntegration,
  creatioOAuthIntegrationProvider as provider,
  CreatioOAuthIntegrationOutputs,
} from "../components/creatioOAuthIntegration";
import { ALL_EMPLOYEES_ID, SYSTEM_ADMINISTRATORS_ID, UNKNOWN_VALUE } from "../lib/creatio/constants";
import { startIdentityServiceStandIn } from "./support/identityServiceStandIn";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  creatioCalls,
  creatioRows,
  CREATIO_PASSWORD,
  expectNoSecrets,
  failureOf,
  FEATURE_ID,
  ID_CODE,
  integrationInputs,
  logged,
  oauthStates,
  SECRET_CODE,
  SYSADMIN_ROW_ID,
  URL_CODE,
  useCreatioWorld,
} from "./support/creatioHarness";
import { installMocks, only, settle } from "./support/mocks";
import { query } from "./support/pg";
import { withSkippedWaits } from "./support/skippedWaits";

const h = useCreatioWorld();
const inputs = (o: Record<string, any> = {}, c: Record<string, any> = {}) => integrationInputs(h, o, c);
const check = async (o: Record<string, any> = {}, c: Record<string, any> = {}) => (await provider.check!({} as any, inputs(o, c) as any)).inputs!;
const create = async (o: Record<string, any> = {}) => {
  const r = await provider.create(await check(o));
  return { id: r.id, outs: r.outs as CreatioOAuthIntegrationOutputs };
};

/** Non-secret outputs must hold no secret (the secret ones are encrypted by the engine). */
function expectSecretsOnlyInSecretOutputs(outs: object): void {
  const open = Object.fromEntries(Object.entries(outs).filter(([k]) => !CREATIO_OAUTH_INTEGRATION_SECRET_OUTPUTS.includes(k)));
  expectNoSecrets(h, JSON.stringify(open));
}

describe("check", () => {
  it("fills the defaults and normalizes URLs and unit ids", async () => {
    const result = await provider.check!(
      {} as any,
      inputs({ identityServerUrl: `${h.identity.url}/`, featureAdminUnitIds: [SYSTEM_ADMINISTRATORS_ID.toUpperCase()], readinessTimeoutSeconds: undefined }) as any,
    );
    expect(result.failures).toEqual([]);
    expect(result.inputs).toMatchObject({
      identityServerUrl: h.identity.url,
      featureAdminUnitIds: [SYSTEM_ADMINISTRATORS_ID],
      readinessTimeoutSeconds: 300,
      createDefaultResource: true,
    });
    expect(result.inputs!.creatio.netCore).toBe(false);
    expect((await check()).featureAdminUnitIds).toEqual([ALL_EMPLOYEES_ID]);
  });

  it("names each bad property, refuses a Creatio database URL, and never echoes a value", async () => {
    const dbUrl = `postgres://creatio:${CREATIO_PASSWORD}@db/creatio`;
    const result = await provider.check!(
      {} as any,
      {
        identityServerUrl: "ftp://identity",
        clientId: "",
        clientSecret: CLIENT_SECRET,
        creatio: { url: `${h.creatio.url}/0`, username: "Supervisor", password: "", netCore: "yes", databaseConnectionString: dbUrl },
        featureAdminUnitIds: ["All employees"],
        createDefaultResource: "yes",
        readinessTimeoutSeconds: -1,
        identityServerCaPem: "not a pem",
      } as any,
    );
    const byProperty = Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
    expect(Object.keys(byProperty).sort()).toEqual([
      "clientId",
      "createDefaultResource",
      "creatio.databaseConnectionString",
      "creatio.netCore",
      "creatio.password",
      "creatio.url",
      "featureAdminUnitIds",
      "identityServerCaPem",
      "identityServerUrl",
      "readinessTimeoutSeconds",
    ]);
    expect(byProperty.readinessTimeoutSeconds).toBe("readinessTimeoutSeconds must be a number of seconds between 1 and 86400 (default 300)");
    expect(byProperty["creatio.url"]).toContain("drop the trailing /0");
    expect(byProperty["creatio.databaseConnectionString"]).toContain("no longer used");
    for (const reason of Object.values(byProperty)) {
      expect(reason).not.toContain(dbUrl);
      expectNoSecrets(h, reason);
    }
  });

  it("lets unknown values (preview) through", async () => {
    const result = await provider.check!({} as any, { identityServerUrl: UNKNOWN_VALUE, clientId: UNKNOWN_VALUE, clientSecret: UNKNOWN_VALUE, creatio: UNKNOWN_VALUE } as any);
    expect(result.failures).toEqual([]);
  });
});

describe("create", () => {
  it("waits for the Identity Service, then enables the feature, clears the cache, writes the settings and creates the default resource", async () => {
    h.identity.options.unavailableForRequests = 2;
    const { result: created, skippedMs } = await withSkippedWaits(() => create());
    const { id, outs } = created;
    expect(skippedMs).toBe(250 + 500); // two retries, backing off

    const waits = logged(h, "info").filter((l) => l.startsWith("waiting for the Identity Service"));
    expect(waits[0]).toContain(h.identity.url);
    expect(waits[0]).toContain("HTTP 503");
    // The feature: the shipped System administrators row on, a new All employees row with its own Id.
    expect(await oauthStates(h)).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    expect(outs.insertedFeatureStateIds).toHaveLength(1);
    const inserted = await query(h.db.url, `SELECT "SysAdminUnitId"::text AS unit, "CreatedOn" FROM "AdminUnitFeatureState" WHERE "Id" = $1`, [outs.insertedFeatureStateIds[0]]);
    expect(inserted).toEqual([{ unit: ALL_EMPLOYEES_ID, CreatedOn: expect.any(Date) }]);
    // The settings went through Creatio's API: the secret is stored encrypted.
    expect(await h.creatio.settingValue(URL_CODE)).toBe(h.identity.url);
    expect(await h.creatio.settingValue(ID_CODE)).toBe(CLIENT_ID);
    expect(await h.creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);
    const raw = await query(h.db.url, `SELECT v."TextValue" AS text FROM "SysSettingsValue" v JOIN "SysSettings" s ON s."Id" = v."SysSettingsId" WHERE s."Code" = $1`, [
      SECRET_CODE,
    ]);
    expect(raw[0].text).not.toContain(CLIENT_SECRET);
    // The default resource exists in Creatio and was registered at the Identity Service by Creatio's client.
    const resources = await query(h.db.url, `SELECT "Name", "IsDefault" FROM "OAuthResource"`);
    expect(resources).toEqual([{ Name: outs.createdDefaultResource, IsDefault: true }]);
    expect(h.identity.resources).toEqual([expect.objectContaining({ Name: outs.createdDefaultResource, registeredBy: CLIENT_ID })]);
    // The cache was cleared after the rows were written and before the default resource (which needs it).
    const ops = h.creatio.requests.map((r) => r.operation ?? r.path);
    expect(ops.indexOf("ClearFeaturesCacheForAllUsers")).toBeGreaterThan(ops.lastIndexOf("InsertQuery"));
    expect(ops.indexOf("AddDefaultResource")).toBeGreaterThan(ops.indexOf("ClearFeaturesCacheForAllUsers"));

    expect(outs).toMatchObject({
      featureId: FEATURE_ID,
      previousFeatureStates: [{ id: SYSADMIN_ROW_ID, sysAdminUnitId: SYSTEM_ADMINISTRATORS_ID, featureState: 0 }],
      featureStates: { [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 },
      settingsWritten: [URL_CODE, ID_CODE, SECRET_CODE],
      previousSettings: [
        { code: URL_CODE, value: "", hadValue: false },
        { code: ID_CODE, value: null, hadValue: false },
        { code: SECRET_CODE, value: null, hadValue: false },
      ],
      defaultResource: outs.createdDefaultResource,
      complete: true,
    });
    expect(outs.createdDefaultResource).toMatch(/^ApplicationAccess_[0-9a-f]{32}$/);
    expect(id).toBe(`OAuth20Integration@${h.creatio.url}`);
    expectSecretsOnlyInSecretOutputs(outs);
    expect(logged(h, "info").some((l) => l.includes("Each CreatioOAuthApplication checks that Creatio accepts its tokens (creatioAcceptsTokens)"))).toBe(true);
  });

  it("makes only the requests its steps need: the reads in one BatchQuery, the feature rows in another", async () => {
    await create();
    const made = h.creatio.requests.map((r) => (r.items ? r.items : `${r.operation ?? r.path}${r.entity ? ` ${r.entity}` : ""}`));
    expect(made).toEqual([
      "/ServiceModel/AuthService.svc/Login",
      [
        "SelectQuery Feature",
        "SelectQuery AdminUnitFeatureState",
        "SelectQuery SysSettings",
        "SelectQuery SysSettingsValue",
        "SelectQuery OAuthResource",
        "SelectQuery SysAdminUnit",
      ],
      ["UpdateQuery AppFeatureState", "InsertQuery AppFeatureState"],
      "ClearFeaturesCacheForAllUsers",
      "PostSysSettingsValues",
      "AddDefaultResource",
    ]);
    // Ours: the discovery document and a token; Creatio's own: a token and the resource's registration.
    expect(h.identity.requests.map((r) => r.path)).toEqual(["/.well-known/openid-configuration", "/connect/token", "/connect/token", "/api/OwnedResources/register"]);
    // At most 10 requests in all (issue 21): 6 to Creatio, 4 at the Identity Service.
    expect(h.creatio.requests.length + h.identity.requests.length).toBeLessThanOrEqual(10);
  });

  it("reaches .NET 6/8 Creatio's API at the site root when netCore is true", async () => {
    await h.creatio.stop();
    h.creatio = await (await import("./support/creatioStandIn")).startCreatioStandIn({ databaseUrl: h.db.url, password: CREATIO_PASSWORD, netCore: true });
    await provider.create(await check({}, { netCore: true }));
    expect(await h.creatio.settingValue(ID_CODE)).toBe(CLIENT_ID);
    expect(h.creatio.requests.some((r) => r.path === "/DataService/json/SyncReply/PostSysSettingsValues" && r.status === 200)).toBe(true);
  });

  it("fails on a wrong netCore with a hint, and changes nothing", async () => {
    const before = await creatioRows(h);
    const e = await failureOf(h, provider.create(await check({}, { netCore: true })));
    expect(e.message).toContain("HTTP 404");
    expect(e.message).toContain("creatio.netCore");
    expect(await creatioRows(h)).toEqual(before);
  });

  it("stops at a refused login, once, before contacting the Identity Service or touching anything", async () => {
    const before = await creatioRows(h);
    const e = await failureOf(h, provider.create(await check({}, { password: "wrong-password" })));
    expect(e.message).toContain('Creatio refused the login of user "Supervisor"');
    expect(e.message).toContain("creatio.password");
    expect(e.message).not.toContain("wrong-password");
    expect(h.creatio.requests).toHaveLength(1);
    expect(h.identity.requests).toHaveLength(0);
    expect(await creatioRows(h)).toEqual(before);
  });

  it("fails with a clear error when Creatio has no OAuth20Integration feature", async () => {
    await query(h.db.url, `DELETE FROM "Feature" WHERE "Code" = 'OAuth20Integration'`);
    const before = await creatioRows(h);
    const e = await failureOf(h, provider.create(await check()));
    expect(e.message).toContain("no feature with Code 'OAuth20Integration'");
    expect(e.message).toContain("Nothing was changed");
    expect(creatioCalls(h, "PostSysSettingsValues")).toBe(0);
    expect(await creatioRows(h)).toEqual(before);
  });

  it("names target units and settings Creatio does not have, before touching anything", async () => {
    const ghost = "11111111-2222-3333-4444-555555555555";
    const before = await creatioRows(h);
    const units = await failureOf(h, provider.create(await check({ featureAdminUnitIds: [ghost] })));
    expect(units.message).toContain(`featureAdminUnitIds: Creatio has no role or user (SysAdminUnit) with Id ${ghost}`);
    await query(h.db.url, `DELETE FROM "SysSettings" WHERE "Code" = $1`, [ID_CODE]);
    const settings = await failureOf(h, provider.create(await check()));
    expect(settings.message).toContain(`Creatio has no system setting ${ID_CODE}`);
    expect(creatioCalls(h, "UpdateQuery") + creatioCalls(h, "InsertQuery")).toBe(0);
    expect((await creatioRows(h)).states).toEqual(before.states);
  });

  it("undoes everything, last step first, when Creatio refuses one setting", async () => {
    h.creatio.options.saveResult = { [SECRET_CODE]: false };
    const before = await creatioRows(h);
    const e = await failureOf(h, provider.create(await check()));
    expect(e.message).toContain(`Creatio refused to save the system setting ${SECRET_CODE}`);
    expect(e.message).toContain("Everything this create had changed in Creatio was put back");
    expect(e.id).toBeUndefined();
    expect(await creatioRows(h)).toEqual(before);
    // The feature cache was cleared again after the rows went back, and no default resource was made.
    expect(creatioCalls(h, "ClearFeaturesCacheForAllUsers")).toBe(2);
    expect(creatioCalls(h, "AddDefaultResource")).toBe(0);
  });

  it("undoes the feature rows Creatio did write when it refuses one query of their batch", async () => {
    const before = await creatioRows(h);
    let inserts = 0;
    // The batch: the shipped row switched on, then one insert per target; Creatio refuses the second insert.
    h.creatio.options.refuse = (r) => (r.operation === "InsertQuery" && r.entity === "AppFeatureState" && ++inserts === 2 ? "Access denied" : undefined);
    const e = await failureOf(h, provider.create(await check({ featureAdminUnitIds: [ALL_EMPLOYEES_ID, "7f3b869f-34f3-4f20-ab4d-7480a5fdf647"] })));
    expect(e.message).toContain("Enabling OAuth20Integration failed: Creatio's DataService refused adding a AppFeatureState row: Access denied");
    expect(e.message).toContain("Everything this create had changed in Creatio was put back");
    expect(e.message).toMatch(/added state row [0-9a-f-]{36} deleted; state row 5e1f0c3a-0d7b-4c55-9a8e-2f6b7c8d9e01 back to 0/);
    expect(await creatioRows(h)).toEqual(before);
    expect(creatioCalls(h, "PostSysSettingsValues")).toBe(0);
  });

  it("undoes everything when OAuth 2.0 is off in Creatio's config file, naming the file and the setting", async () => {
    h.creatio.options.enableOAuth20Integration = false;
    const before = await creatioRows(h);
    const e = await failureOf(h, provider.create(await check()));
    expect(e.message).toContain("Creating Creatio's default OAuth resource failed");
    expect(e.message).toContain(`set <add key="Feature-EnableOAuth20Integration" value="true" /> in the appSettings section of Web.config (.NET Framework Creatio)`);
    expect(e.message).toContain("The OAuth20Integration feature in Creatio's database does not turn it on");
    expect(e.message).not.toMatch(/feature cache was not cleared|enabled role/);
    expect(e.message).toContain("Everything this create had changed in Creatio was put back");
    expect(await creatioRows(h)).toEqual(before);
  });

  it("undoes everything when the default resource cannot be created", async () => {
    h.creatio.options.refuse = (r) => (r.operation === "AddDefaultResource" ? "Unable to register resource." : undefined);
    const before = await creatioRows(h);
    const e = await failureOf(h, provider.create(await check()));
    expect(e.message).toContain("Creating Creatio's default OAuth resource failed");
    expect(e.message).toContain("Unable to register resource.");
    expect(await creatioRows(h)).toEqual(before);
  });

  it("leaves a default resource that is already there alone, and does not remove it on delete", async () => {
    await query(
      h.db.url,
      `INSERT INTO "OAuthResource" ("Id", "Name", "DisplayName", "IsDefault") VALUES (gen_random_uuid(), 'ApplicationAccess_existing', 'Application access', true)`,
    );
    const { id, outs } = await create();
    expect(creatioCalls(h, "AddDefaultResource")).toBe(0);
    expect(outs).toMatchObject({ defaultResource: "ApplicationAccess_existing", createdDefaultResource: null });
    await provider.delete!(id, outs);
    expect((await creatioRows(h)).resources).toEqual([{ Name: "ApplicationAccess_existing", IsDefault: true }]);
  });

  it("does not create a default resource when createDefaultResource is false", async () => {
    const { outs } = await create({ createDefaultResource: false });
    expect(outs).toMatchObject({ defaultResource: null, createdDefaultResource: null });
    expect(creatioCalls(h, "AddDefaultResource")).toBe(0);
  });

  it("gives up on an Identity Service that never answers, naming the URL and the last failure", async () => {
    h.identity.options.neverAnswer = true;
    const before = await creatioRows(h);
    const e = await failureOf(h, provider.create(await check({ readinessTimeoutSeconds: 1 })));
    expect(e.message).toContain(`The Identity Service at ${h.identity.url} was not ready after 1 s`);
    expect(e.message).toContain("Last failure: discovery document: no answer within");
    expect(e.message).toContain("Nothing was changed in Creatio");
    expect(await creatioRows(h)).toEqual(before);
  });

  it("trusts identityServerCaPem for the Identity Service only, without turning TLS checks off", async () => {
    await h.identity.stop();
    h.identity = await startIdentityServiceStandIn({ https: true, clients: [{ clientId: CLIENT_ID, secret: CLIENT_SECRET }] });
    const untrustedInputs = await check({ readinessTimeoutSeconds: 1 });
    const { result: untrusted } = await withSkippedWaits(() => failureOf(h, provider.create(untrustedInputs)));
    expect(untrusted.message).toMatch(/self[- ]signed/i);
    expect(untrusted.message).toContain("identityServerCaPem");
    await provider.create(await check({ identityServerCaPem: h.identity.caPem, createDefaultResource: false }));
    expect(await h.creatio.settingValue(URL_CODE)).toBe(h.identity.url);
    const plain = await new Promise<string>((done) => {
      https
        .get(`${h.identity.url}/.well-known/openid-configuration`, (res) => {
          res.resume();
          done(`status ${res.statusCode}`);
        })
        .on("error", (e) => done(e.message));
    });
    expect(plain).toMatch(/self[- ]signed/i);
  });
});

describe("the integration opens no database connection", () => {
  it("no module of the integration requires a database driver", () => {
    const files = [
      "components/creatioOAuthIntegration/index.ts",
      "components/creatioOAuthIntegration/provider.ts",
      "components/creatioOAuthIntegration/steps.ts",
      "components/creatioOAuthIntegration/compensation.ts",
      "components/creatioOAuthIntegration/state.ts",
      "components/creatioOAuthIntegration/inputs.ts",
      "lib/creatio/session.ts",
      "lib/creatio/dataService.ts",
      "lib/creatio/services.ts",
      "lib/creatio/entities.ts",
      "lib/http.ts",
      "lib/identityServiceProbe.ts",
    ];
    for (const f of files)
      expect({ f, pg: /require\(["'](pg|mssql|tedious|oracledb)["']\)|from ["'](pg|mssql|tedious|oracledb)["']/.test(readFileSync(resolve(__dirname, "..", f), "utf8")) }).toEqual({
        f,
        pg: false,
      });
  });
});

describe("delete", () => {
  it("puts back exactly what create found", async () => {
    const before = await creatioRows(h);
    const { id, outs } = await create({ createDefaultResource: false });
    expect(await creatioRows(h)).not.toEqual(before);
    await provider.delete!(id, outs);
    expect(await creatioRows(h)).toEqual(before);
    expect(logged(h, "warn")).toEqual([]);
    expect(creatioCalls(h, "ClearFeaturesCacheForAllUsers")).toBe(2);
  });

  it("restores earlier values; a secret Creatio never returns is emptied, with a warning", async () => {
    await query(h.db.url, `UPDATE "SysSettingsValue" SET "TextValue" = 'http://old-identity:5000' WHERE "SysSettingsId" = '1d7a1c7e-0001-4e7a-9c1b-000000000001'`);
    await query(
      h.db.url,
      `INSERT INTO "SysSettingsValue" ("Id", "SysSettingsId", "SysAdminUnitId", "TextValue") VALUES (gen_random_uuid(), '1d7a1c7e-0001-4e7a-9c1b-000000000003', $1, $2)`,
      [ALL_EMPLOYEES_ID, h.creatio.encrypt("old-secret-value")],
    );
    await query(h.db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
    const before = await creatioRows(h);
    const { id, outs } = await create({ createDefaultResource: false });
    expect(outs.previousSettings.find((s) => s.code === SECRET_CODE)).toEqual({ code: SECRET_CODE, value: null, hadValue: true });
    expect(JSON.stringify(outs)).not.toContain("old-secret-value");
    await provider.delete!(id, outs);
    const after = await creatioRows(h);
    expect(after.states).toEqual(before.states);
    expect(await h.creatio.settingValue(URL_CODE)).toBe("http://old-identity:5000");
    expect(await h.creatio.settingValue(SECRET_CODE)).toBe("");
    expect(logged(h, "warn").some((l) => l.includes(SECRET_CODE) && l.includes("enter the earlier secret again"))).toBe(true);
  });

  it("leaves the default resource it created (Creatio forbids deleting it) and says so", async () => {
    const { id, outs } = await create();
    await provider.delete!(id, outs);
    expect((await creatioRows(h)).resources).toEqual([{ Name: outs.createdDefaultResource, IsDefault: true }]);
    expect(logged(h, "info").some((l) => l.includes(`${outs.createdDefaultResource}, created by this stack, stays`))).toBe(true);
  });

  it("fails without changing anything when it cannot log in, and a later delete finishes", async () => {
    const before = await creatioRows(h);
    const { id, outs } = await create({ createDefaultResource: false });
    const changed = await creatioRows(h);
    (h.creatio.options as { password?: string }).password = "rotated-elsewhere";
    const e = await failureOf(h, provider.delete!(id, outs));
    expect(e.message).toContain("Creatio refused the login");
    expect(await creatioRows(h)).toEqual(changed);
    (h.creatio.options as { password?: string }).password = CREATIO_PASSWORD;
    await provider.delete!(id, outs);
    expect(await creatioRows(h)).toEqual(before);
  });
});

describe("serialization", () => {
  it("serializes, and the serialized provider works in a separate Node process", async () => {
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(sf.text).toContain("exports.handler");
    expect(sf.text).not.toMatch(/require\("pg"\)/);
    expectNoSecrets(h, sf.text);
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
      const before = await creatioRows(h);
      const out = await new Promise<string>((done, fail) => {
        execFile(
          process.execPath,
          [join(dir, "run.js")],
          {
            env: { ...process.env, NODE_PATH: resolve(__dirname, "..", "node_modules"), INPUTS: JSON.stringify(inputs({ createDefaultResource: false })) },
            timeout: 60000,
          },
          (error, stdout, stderr) => (error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout)),
        );
      });
      const lastLine = out.trim().split("\n").pop() as string;
      expect(JSON.parse(lastLine.slice(lastLine.indexOf("{")))).toEqual({ failures: [], states: { [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 } });
      expect(await creatioRows(h)).toEqual(before);
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
      creatio: { url: "https://creatio.example.com", username: "Supervisor", password: pulumi.secret(CREATIO_PASSWORD) },
    });
    await settle();
    await new Promise<void>((done) => integration.urn.apply(() => done()));
    const r = only(resources, CREATIO_OAUTH_INTEGRATION_TYPE, "creatio-oauth");
    expect(r.inputs.identityServerUrl).toBe("https://identity.example.com");
    expect(r.inputs.creatio).toEqual({ url: "https://creatio.example.com", username: "Supervisor", password: CREATIO_PASSWORD });
    expect(r.secretInputs.has("creatio")).toBe(true);
    expect(r.inputs.__provider).toContain("exports.handler");
    expectNoSecrets(h, r.inputs.__provider);
    const call = register.mock.calls.find((c) => c[3] === "creatio-oauth");
    expect((call?.[8] as pulumi.CustomResourceOptions).additionalSecretOutputs).toEqual(["clientSecret", "creatio", "previousSettings"]);
    register.mockRestore();
  });
});
