/**
 * One OAuth 2.0 integrated application under the real Pulumi engine: CreatioOAuthIntegration and a
 * CreatioOAuthApplication in an inline Automation API program of their own stack, the application
 * declared in the stack's config exactly as a user declares it (`pulumi config set --path
 * 'creatioOAuthApplications[0].name' ...`) and read with the package's own config parser. What mocks
 * cannot show is checked here: the provider closure in the dynamic-provider process, the client
 * secret and Creatio login encrypted in state, a second preview with nothing to do, rotation as a
 * create-before-delete replacement, and destroy.
 *
 * Around the engine: a real PostgreSQL database holding test/fixtures/creatio.sql behind the Creatio
 * API stand-in (and a second one, for the step where Creatio moves to another URL), and the Identity
 * Service stand-in, which registers the clients Creatio adds and issues them tokens. Run: `npm run test:e2e` (skips, saying why, when the CLI has not been built).
 */
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CreatioOAuthIntegration } from "../components/creatioOAuthIntegration";
import { CreatioOAuthApplication, warnUnlessCreatioAcceptsTokens } from "../components/creatioOAuthApplication";
import { parseCreatioApplications } from "../lib/creatioApplicationsConfig";
import { createTestDatabase, query, TestDatabase } from "../test/support/pg";
import { CreatioStandIn, loadCreatioFixture, startCreatioStandIn } from "../test/support/creatioStandIn";
import { IdentityServiceStandIn, startIdentityServiceStandIn } from "../test/support/identityServiceStandIn";
import { describeWithPulumiTools } from "./support/pulumiTools";
import { isEncryptedSecret, labelsFoundIn, plaintextSecretsInFiles } from "./support/stateSecrets";
import { allOpsByName, changesOf, createInlineStack, exportWithoutSecrets, InlineStack, recorder, resourcesNamed } from "./support/inlineStack";
import { stepTimer } from "./support/timings";

const PROJECT = "creatio-identity-apps-e2e";
const APPS_KEY = `${PROJECT}:creatioOAuthApplications`;
const CREATIO_CLIENT_ID = "e2eCreatioClient";
const CREATIO_CLIENT_SECRET = randomBytes(16).toString("hex");
const CREATIO_PASSWORD = `Cr3atio-${randomBytes(8).toString("hex")}`;
const INTEGRATION = "apps-e2e-creatio-oauth";
const APP = "apps-e2e-app-Billing";
const RESOURCES = [INTEGRATION, APP];

let creatioDb: TestDatabase;
let identity: IdentityServiceStandIn;
let creatio: CreatioStandIn;
/** Where Creatio moves in step 5: another instance on its own database. */
let movedDb: TestDatabase;
let moved: CreatioStandIn;
let movedAsFound: unknown;
/** The Creatio the program points at. */
let current: () => CreatioStandIn = () => creatio;
let engine: InlineStack;
/** Creatio's rows as the fixture has them, before the first `up`. */
let creatioAsFound: unknown;
/** The raw config values the program was given, one per run. */
const configSeen: string[] = [];
/** Every client secret the application had (known after each up): looked for in state and output. */
const appSecrets: string[] = [];
const timed = stepTimer("e2e applications");

/** The inline program: the integration, then each configured application, wired as stack.ts wires them. */
async function program(): Promise<Record<string, unknown>> {
  const raw = pulumi.runtime.allConfig()[APPS_KEY] ?? "[]";
  configSeen.push(raw);
  const { applications, problems } = parseCreatioApplications(JSON.parse(raw), APPS_KEY);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  // .NET 6/8 Creatio, started before the switch-over: it takes the applications' tokens only after a restart.
  const login = { url: current().url, username: "Supervisor", password: pulumi.secret(CREATIO_PASSWORD), netCore: true };
  const integration = new CreatioOAuthIntegration(INTEGRATION, {
    identityServerUrl: identity.url,
    clientId: CREATIO_CLIENT_ID,
    clientSecret: pulumi.secret(CREATIO_CLIENT_SECRET),
    creatio: login,
    readinessTimeoutSeconds: 60,
  });
  // As stack.ts: named by key, Creatio's connection taken from the integration (a property dependency).
  const apps = applications.map(
    ({ key, ...app }) =>
      [
        key,
        new CreatioOAuthApplication(
          `apps-e2e-app-${key}`,
          { ...app, creatio: integration.creatio, identityServerUrl: identity.url, readinessTimeoutSeconds: 30 },
          { dependsOn: [integration] },
        ),
      ] as const,
  );
  for (const [name, a] of apps) warnUnlessCreatioAcceptsTokens(a, name);
  return {
    creatioOAuthApplications: pulumi.secret(
      pulumi
        .all(apps.map(([name, a]) => pulumi.all([name, a.clientId, a.clientSecret])))
        .apply((rows) => Object.fromEntries(rows.map(([name, clientId, clientSecret]) => [name, { clientId, clientSecret, tokenUrl: `${identity.url}/connect/token` }]))),
    ),
    applicationRecords: pulumi.all(apps.map(([, a]) => pulumi.all([a.recordId, a.clientId, a.systemUser, a.systemUserIsAdministrator, a.creatioAcceptsTokens]))),
  };
}

function secretValues(): Record<string, string> {
  return {
    "Creatio password": CREATIO_PASSWORD,
    "Creatio's client secret": CREATIO_CLIENT_SECRET,
    ...Object.fromEntries(appSecrets.map((s, i) => [`application client secret #${i + 1}`, s])),
  };
}

function expectNoSecretsIn(text: string, what: string): void {
  expect({ [what]: labelsFoundIn(text, secretValues()) }).toEqual({ [what]: [] });
}

async function tokenStatus(clientId: string, clientSecret: string): Promise<number> {
  const r = await fetch(`${identity.url}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }).toString(),
  });
  return r.status;
}

async function storedApps(db = creatioDb): Promise<any[]> {
  return query(db.url, `SELECT "Id"::text AS id, "Name", "ClientId", "ClientSecret", "IsActive" FROM "OAuthClientApp" ORDER BY "CreatedOn"`);
}

async function creatioRows(db = creatioDb): Promise<unknown> {
  return {
    states: await query(db.url, `SELECT "Id"::text, "SysAdminUnitId"::text, "FeatureState" FROM "AdminUnitFeatureState" ORDER BY "Id"`),
    values: await query(db.url, `SELECT "Id"::text, "SysSettingsId"::text, "TextValue" FROM "SysSettingsValue" WHERE "TextValue" <> '' ORDER BY "Id"`),
    apps: await query(db.url, `SELECT "Id" FROM "OAuthClientApp"`),
  };
}

/** The state without --show-secrets (as anyone with backend access reads it) holds no secret; the application's secrets are encrypted. */
async function expectStateHoldsNoPlaintextSecrets(): Promise<void> {
  const checkpoint = await exportWithoutSecrets(engine);
  expect(labelsFoundIn(JSON.stringify(checkpoint), secretValues())).toEqual([]);
  const { findings, filesSearched } = plaintextSecretsInFiles(engine.backendDir, secretValues());
  expect(filesSearched).toBeGreaterThan(0);
  expect(findings).toEqual([]);
  const [app] = resourcesNamed(checkpoint, APP);
  // Outputs: whole properties (additionalSecretOutputs); the input `creatio` is the integration's
  // secret output, so it is encrypted as a whole.
  expect({
    clientSecret: isEncryptedSecret(app.outputs.clientSecret),
    creatio: isEncryptedSecret(app.outputs.creatio),
    inputCreatio: isEncryptedSecret(app.inputs.creatio),
  }).toEqual({
    clientSecret: true,
    creatio: true,
    inputCreatio: true,
  });
  expect(typeof app.outputs.clientId).toBe("string");
}

describeWithPulumiTools("an OAuth 2.0 integrated application under the Pulumi engine", () => {
  beforeAll(async () => {
    await timed("set-up (database, stand-ins, workspace, config)", async () => {
      creatioDb = await createTestDatabase("e2e_apps_creatio");
      await loadCreatioFixture(creatioDb.url);
      creatioAsFound = await creatioRows();
      identity = await startIdentityServiceStandIn({ clients: [{ clientId: CREATIO_CLIENT_ID, secret: CREATIO_CLIENT_SECRET }] });
      creatio = await startCreatioStandIn({ databaseUrl: creatioDb.url, password: CREATIO_PASSWORD, netCore: true });
      movedDb = await createTestDatabase("e2e_apps_creatio_moved");
      await loadCreatioFixture(movedDb.url);
      moved = await startCreatioStandIn({ databaseUrl: movedDb.url, password: CREATIO_PASSWORD, netCore: true });
      engine = await createInlineStack(PROJECT, program);
      // As the README tells users to: `pulumi config set --path 'creatioOAuthApplications[0].<field>' <value>`.
      for (const [field, value] of [
        ["name", "Billing"],
        ["applicationUrl", "https://billing.example.com"],
        ["systemUser", "IntegrationUser"],
        ["active", "true"],
        ["rotation", "2026"],
      ]) {
        await engine.stack.setConfig(`creatioOAuthApplications[0].${field}`, { value }, true);
      }
    });
  });

  afterAll(async () => {
    await Promise.allSettled([identity?.stop(), creatio?.stop(), moved?.stop()]);
    await Promise.allSettled([creatioDb?.drop(), movedDb?.drop()]);
    engine?.cleanUp();
    timed.printAll();
  });

  it("1. up creates the integration, then the application from the config, whose client gets tokens", async () => {
    const rec = recorder();
    const result = await timed("1. up (create)", () => engine.stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(allOpsByName(rec.events, RESOURCES)).toEqual({ [INTEGRATION]: ["create"], [APP]: ["create"] });
    // The CLI hands the program the list as JSON, `--path` values typed ("true" a boolean, 2026 a number).
    expect(JSON.parse(configSeen[configSeen.length - 1])).toEqual([
      { name: "Billing", applicationUrl: "https://billing.example.com", systemUser: "IntegrationUser", active: true, rotation: 2026 },
    ]);

    expect({ apps: result.outputs.creatioOAuthApplications.secret, records: result.outputs.applicationRecords.secret }).toEqual({ apps: true, records: false });
    const billing = result.outputs.creatioOAuthApplications.value.Billing;
    appSecrets.push(billing.clientSecret);
    const [app] = await storedApps();
    expect(app).toMatchObject({ Name: "Billing", ClientId: billing.clientId, IsActive: true });
    expect(creatio.decrypt(app.ClientSecret)).toBe(billing.clientSecret);
    // The application exists and is right, but this Creatio has not been restarted since its switch-over.
    expect(result.outputs.applicationRecords.value).toEqual([[app.id, billing.clientId, "IntegrationUser", false, false]]);
    expect(await tokenStatus(billing.clientId, billing.clientSecret)).toBe(200);
    expect(rec.output).toContain('Creatio does not accept tokens from the Identity Service for the integrated application "Billing" yet: restart Creatio');
    expectNoSecretsIn(rec.output, "engine output of up");
  });

  it("2. the state holds the application's secret and the Creatio login encrypted, none in plain text", async () => {
    await timed("2. state check", () => expectStateHoldsNoPlaintextSecrets());
  });

  it("3. a second preview plans no change", async () => {
    const rec = recorder();
    const result = await timed("3. preview (no change)", () => engine.stack.preview(rec.opts));
    expect(changesOf(result.changeSummary)).toEqual({});
    expect(allOpsByName(rec.events, RESOURCES)).toEqual({ [INTEGRATION]: ["same"], [APP]: ["same"] });
    expectNoSecretsIn(rec.output, "engine output of preview");
  });

  it("3b. after a restart of Creatio, refresh turns creatioAcceptsTokens true, and the warning is gone", async () => {
    await creatio.restart();
    const refresh = recorder();
    await timed("3b. refresh (after Creatio's restart)", () => engine.stack.refresh(refresh.opts));
    const preview = recorder();
    const result = await timed("3c. preview (no change)", () => engine.stack.preview(preview.opts));
    expect(changesOf(result.changeSummary)).toEqual({});
    // The resource's state (the stack's outputs change only with the next up).
    const [app] = resourcesNamed(await exportWithoutSecrets(engine), APP);
    expect(app.outputs.creatioAcceptsTokens).toBe(true);
    expect(preview.output).not.toContain("does not accept tokens");
    for (const r of [refresh, preview]) expectNoSecretsIn(r.output, "engine output of refresh and preview");
  });

  it("4. a new rotation value replaces the client: new one first, the old one refused once deleted", async () => {
    const before = (await engine.stack.outputs()).creatioOAuthApplications.value.Billing;
    await engine.stack.setConfig("creatioOAuthApplications[0].rotation", { value: "2027" }, true);

    const preview = recorder();
    const planned = await timed("4a. preview (rotation)", () => engine.stack.preview(preview.opts));
    expect(changesOf(planned.changeSummary)).toEqual({ replace: 1 });
    expect(allOpsByName(preview.events, RESOURCES)[INTEGRATION]).toEqual(["same"]);
    expect(await storedApps()).toHaveLength(1);

    const up = recorder();
    const result = await timed("4b. up (rotation)", () => engine.stack.up(up.opts));
    expect(changesOf(result.summary.resourceChanges)).toEqual({ replace: 1 });
    // Create-before-delete: the replacement is created, the replaced one deleted after.
    expect(allOpsByName(up.events, RESOURCES)[APP]).toEqual(["create-replacement", "replace", "delete-replaced"]);
    const after = result.outputs.creatioOAuthApplications.value.Billing;
    appSecrets.push(after.clientSecret);
    expect(after.clientId).not.toBe(before.clientId);
    expect(await tokenStatus(after.clientId, after.clientSecret)).toBe(200);
    expect(await tokenStatus(before.clientId, before.clientSecret)).toBe(400);
    expect((await storedApps()).map((a) => a.ClientId)).toEqual([after.clientId]);

    await expectStateHoldsNoPlaintextSecrets();
    for (const r of [preview, up]) expectNoSecretsIn(r.output, "engine output of rotation");
  });

  it("5. Creatio moves to another URL: the applications go before OAuth is switched off, and come back after it is on at the new one", async () => {
    const before = (await engine.stack.outputs()).creatioOAuthApplications.value.Billing;
    movedAsFound = await creatioRows(movedDb);
    current = () => moved;
    const rec = recorder();
    const result = await timed("5. up (Creatio at a new URL)", () => engine.stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    const ops = allOpsByName(rec.events, RESOURCES);
    // Both are replaced, the application deleted first (a property dependency on the integration):
    // Creatio refuses DeleteClient once the integration has put its settings back.
    expect(ops[APP]).toEqual(["delete-replaced", "replace", "create-replacement"]);
    expect(ops[INTEGRATION]).toEqual(["delete-replaced", "replace", "create-replacement"]);
    const order = rec.events
      .map((e) => e.resOutputsEvent?.metadata)
      .filter((m) => m && m.op === "delete-replaced")
      .map((m) => m!.urn.split("::").pop());
    expect(order).toEqual([APP, INTEGRATION]);
    // The old Creatio is as it was found, with no stale application; the new one has the application.
    expect(await creatioRows()).toEqual(creatioAsFound);
    const after = result.outputs.creatioOAuthApplications.value.Billing;
    appSecrets.push(after.clientSecret);
    expect((await storedApps(movedDb)).map((a) => a.ClientId)).toEqual([after.clientId]);
    expect(await creatioRows(movedDb)).not.toEqual(movedAsFound);
    expect(await tokenStatus(after.clientId, after.clientSecret)).toBe(200);
    expect(await tokenStatus(before.clientId, before.clientSecret)).toBe(400);
    expect([...identity.registeredClients.keys()]).toEqual([after.clientId]);
    expectNoSecretsIn(rec.output, "engine output of the move");
  });

  it("6. destroy deletes the application, then puts Creatio back, and the stack is removed", async () => {
    const last = (await engine.stack.outputs()).creatioOAuthApplications.value.Billing;
    const rec = recorder();
    const result = await timed("6a. destroy", () => engine.stack.destroy(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(allOpsByName(rec.events, RESOURCES)).toEqual({ [INTEGRATION]: ["delete"], [APP]: ["delete"] });
    expect(await storedApps(movedDb)).toEqual([]);
    expect(identity.registeredClients.size).toBe(0);
    expect(await tokenStatus(last.clientId, last.clientSecret)).toBe(400);
    expect(await creatioRows()).toEqual(creatioAsFound);
    expect(await creatioRows(movedDb)).toEqual(movedAsFound);
    expectNoSecretsIn(rec.output, "engine output of destroy");

    await timed("6b. stack rm", () => engine.stack.workspace.removeStack(engine.stackName));
    expect(existsSync(join(engine.backendDir, ".pulumi", "stacks", PROJECT, `${engine.stackName}.json`))).toBe(false);
  });
});
