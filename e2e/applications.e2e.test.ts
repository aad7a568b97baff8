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
 * API stand-in, and the Identity Service stand-in, which registers the clients Creatio adds and
 * issues them tokens. Run: `npm run test:e2e` (skips, saying why, when the CLI has not been built).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, OpMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { CreatioOAuthIntegration } from "../components/creatioOAuthIntegration";
import { CreatioOAuthApplication } from "../components/creatioOAuthApplication";
import { parseCreatioApplications } from "../lib/creatioApplicationsConfig";
import { createTestDatabase, query, TestDatabase } from "../test/support/pg";
import { CreatioStandIn, loadCreatioFixture, startCreatioStandIn } from "../test/support/creatioStandIn";
import { IdentityServiceStandIn, startIdentityServiceStandIn } from "../test/support/identityServiceStandIn";
import { pulumiSdkVersion, pulumiToolsProblem, pulumiToolsRoot } from "./support/pulumiTools";
import { isEncryptedSecret, labelsFoundIn, plaintextSecretsInFiles } from "./support/stateSecrets";

const execFileAsync = promisify(execFile);
const REPO_ROOT = resolve(__dirname, "..");
const TOOLS_ROOT = pulumiToolsRoot();
const TOOLS_PROBLEM = pulumiToolsProblem(TOOLS_ROOT);
const ENGINE_OPERATION_TIMEOUT_MS = 4 * 60 * 1000;

const PROJECT = "creatio-identity-apps-e2e";
const STACK = `apps-${randomBytes(3).toString("hex")}`;
const APPS_KEY = `${PROJECT}:creatioOAuthApplications`;
const CREATIO_CLIENT_ID = "e2eCreatioClient";
const CREATIO_CLIENT_SECRET = randomBytes(16).toString("hex");
const CREATIO_PASSWORD = `Cr3atio-${randomBytes(8).toString("hex")}`;
const INTEGRATION = "apps-e2e-creatio-oauth";
const APP = "apps-e2e-app-Billing";

let creatioDb: TestDatabase;
let identity: IdentityServiceStandIn;
let creatio: CreatioStandIn;
let workDir: string;
let backendDir: string;
let pulumiHome: string;
let stack: Stack;
let engineEnv: Record<string, string>;
/** Creatio's rows as the fixture has them, before the first `up`. */
let creatioAsFound: unknown;
/** The raw config values the program was given, one per run. */
const configSeen: string[] = [];
/** Every client secret the application had (known after each up): looked for in state and output. */
const appSecrets: string[] = [];
const timings: Array<[string, number]> = [];

/** The inline program: the integration, then each configured application, wired as stack.ts wires them. */
async function program(): Promise<Record<string, unknown>> {
  const raw = pulumi.runtime.allConfig()[APPS_KEY] ?? "[]";
  configSeen.push(raw);
  const { applications, problems } = parseCreatioApplications(JSON.parse(raw), APPS_KEY);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const login = { url: creatio.url, username: "Supervisor", password: pulumi.secret(CREATIO_PASSWORD) };
  const integration = new CreatioOAuthIntegration(INTEGRATION, {
    identityServerUrl: identity.url,
    clientId: CREATIO_CLIENT_ID,
    clientSecret: pulumi.secret(CREATIO_CLIENT_SECRET),
    creatio: login,
    readinessTimeoutSeconds: 60,
  });
  const apps = applications.map(
    (app) =>
      [
        app.name,
        new CreatioOAuthApplication(
          `apps-e2e-app-${app.name}`,
          { creatio: login, ...app, identityServerUrl: identity.url, readinessTimeoutSeconds: 30 },
          { dependsOn: [integration] },
        ),
      ] as const,
  );
  return {
    creatioOAuthApplications: pulumi.secret(
      pulumi
        .all(apps.map(([name, a]) => pulumi.all([name, a.clientId, a.clientSecret])))
        .apply((rows) => Object.fromEntries(rows.map(([name, clientId, clientSecret]) => [name, { clientId, clientSecret, tokenUrl: `${identity.url}/connect/token` }]))),
    ),
    applicationRecords: pulumi.all(apps.map(([, a]) => pulumi.all([a.recordId, a.clientId, a.systemUser, a.systemUserIsAdministrator]))),
  };
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    const ms = Date.now() - started;
    timings.push([label, ms]);
    process.stdout.write(`[e2e applications] ${label}: ${(ms / 1000).toFixed(1)} s\n`);
  }
}

function secretValues(): Record<string, string> {
  return {
    "Creatio password": CREATIO_PASSWORD,
    "Creatio's client secret": CREATIO_CLIENT_SECRET,
    ...Object.fromEntries(appSecrets.map((s, i) => [`application client secret #${i + 1}`, s])),
  };
}

function recorder() {
  const r = {
    output: "",
    events: [] as EngineEvent[],
    opts: { onOutput: (s: string) => void (r.output += s), onEvent: (e: EngineEvent) => void r.events.push(e), signal: AbortSignal.timeout(ENGINE_OPERATION_TIMEOUT_MS) },
  };
  return r;
}

/** Resource name → the step ops the engine announced for it, in order. */
function opsOf(events: EngineEvent[]): Record<string, string[]> {
  const ops: Record<string, string[]> = {};
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    const name = m?.urn.split("::").pop() as string;
    if (m && (name === INTEGRATION || name === APP)) (ops[name] ??= []).push(m.op);
  }
  return ops;
}

function changesOf(summary: OpMap | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0));
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

async function storedApps(): Promise<any[]> {
  return query(creatioDb.url, `SELECT "Id"::text AS id, "Name", "ClientId", "ClientSecret", "IsActive" FROM "OAuthClientApp" ORDER BY "CreatedOn"`);
}

async function creatioRows(): Promise<unknown> {
  return {
    states: await query(creatioDb.url, `SELECT "Id"::text, "SysAdminUnitId"::text, "FeatureState" FROM "AdminUnitFeatureState" ORDER BY "Id"`),
    values: await query(creatioDb.url, `SELECT "Id"::text, "SysSettingsId"::text, "TextValue" FROM "SysSettingsValue" WHERE "TextValue" <> '' ORDER BY "Id"`),
    apps: await query(creatioDb.url, `SELECT "Id" FROM "OAuthClientApp"`),
  };
}

/** The state without --show-secrets (as anyone with backend access reads it) holds no secret; the application's secrets are encrypted. */
async function expectStateHoldsNoPlaintextSecrets(): Promise<void> {
  const { stdout } = await execFileAsync(join(TOOLS_ROOT, "bin", "pulumi"), ["stack", "export", "--stack", STACK, "--non-interactive"], {
    cwd: workDir,
    env: { ...process.env, ...engineEnv, PULUMI_HOME: pulumiHome },
    timeout: 60000,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(labelsFoundIn(stdout, secretValues())).toEqual([]);
  const { findings, filesSearched } = plaintextSecretsInFiles(backendDir, secretValues());
  expect(filesSearched).toBeGreaterThan(0);
  expect(findings).toEqual([]);
  const app = (JSON.parse(stdout).deployment.resources ?? []).find((r: any) => String(r.urn).endsWith(`::${APP}`));
  // Outputs: whole properties (additionalSecretOutputs); inputs: the password as the program gave it, a secret inside the object.
  expect({
    clientSecret: isEncryptedSecret(app.outputs.clientSecret),
    creatio: isEncryptedSecret(app.outputs.creatio),
    inputPassword: isEncryptedSecret(app.inputs.creatio?.password),
  }).toEqual({
    clientSecret: true,
    creatio: true,
    inputPassword: true,
  });
  expect(typeof app.outputs.clientId).toBe("string");
}

const suite = TOOLS_PROBLEM ? describe.skip : describe;
if (TOOLS_PROBLEM) {
  if (process.env.CREATIO_E2E_REQUIRE_ENGINE === "1") throw new Error(`e2e cannot run: ${TOOLS_PROBLEM}`);
  process.stdout.write(`\ne2e skipped: ${TOOLS_PROBLEM}\n\n`);
}

suite(`an OAuth 2.0 integrated application under the Pulumi engine${TOOLS_PROBLEM ? ` (e2e skipped: ${TOOLS_PROBLEM})` : ""}`, () => {
  beforeAll(async () => {
    await timed("set-up (database, stand-ins, workspace, config)", async () => {
      creatioDb = await createTestDatabase("e2e_apps_creatio");
      await loadCreatioFixture(creatioDb.url);
      creatioAsFound = await creatioRows();
      identity = await startIdentityServiceStandIn({ clients: [{ clientId: CREATIO_CLIENT_ID, secret: CREATIO_CLIENT_SECRET }] });
      creatio = await startCreatioStandIn({ databaseUrl: creatioDb.url, password: CREATIO_PASSWORD });
      workDir = mkdtempSync(join(tmpdir(), "creatio-identity-apps-e2e-work-"));
      symlinkSync(join(REPO_ROOT, "node_modules"), join(workDir, "node_modules"), "dir");
      backendDir = mkdtempSync(join(tmpdir(), "creatio-identity-apps-e2e-state-"));
      pulumiHome = mkdtempSync(join(tmpdir(), "creatio-identity-apps-e2e-home-"));
      engineEnv = { PULUMI_CONFIG_PASSPHRASE: randomBytes(12).toString("hex"), PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_BACKEND_URL: `file://${backendDir}` };
      const pulumiCommand = await PulumiCommand.get({ root: TOOLS_ROOT, skipVersionCheck: false });
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
      // As the README tells users to: `pulumi config set --path 'creatioOAuthApplications[0].<field>' <value>`.
      for (const [field, value] of [
        ["name", "Billing"],
        ["applicationUrl", "https://billing.example.com"],
        ["systemUser", "IntegrationUser"],
        ["active", "true"],
        ["rotation", "2026"],
      ]) {
        await stack.setConfig(`creatioOAuthApplications[0].${field}`, { value }, true);
      }
    });
  });

  afterAll(async () => {
    await Promise.allSettled([identity?.stop(), creatio?.stop()]);
    await creatioDb?.drop().catch(() => undefined);
    for (const dir of [workDir, backendDir, pulumiHome]) if (dir) rmSync(dir, { recursive: true, force: true });
    if (timings.length > 0) process.stdout.write(`[e2e applications] timings:\n${timings.map(([l, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${l}`).join("\n")}\n`);
  });

  it("1. up creates the integration, then the application from the config, whose client gets tokens", async () => {
    const rec = recorder();
    const result = await timed("1. up (create)", () => stack.up(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(opsOf(rec.events)).toEqual({ [INTEGRATION]: ["create"], [APP]: ["create"] });
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
    expect(result.outputs.applicationRecords.value).toEqual([[app.id, billing.clientId, "IntegrationUser", false]]);
    expect(await tokenStatus(billing.clientId, billing.clientSecret)).toBe(200);
    expectNoSecretsIn(rec.output, "engine output of up");
  });

  it("2. the state holds the application's secret and the Creatio login encrypted, none in plain text", async () => {
    await timed("2. state check", () => expectStateHoldsNoPlaintextSecrets());
  });

  it("3. a second preview plans no change", async () => {
    const rec = recorder();
    const result = await timed("3. preview (no change)", () => stack.preview(rec.opts));
    expect(changesOf(result.changeSummary)).toEqual({});
    expect(opsOf(rec.events)).toEqual({ [INTEGRATION]: ["same"], [APP]: ["same"] });
    expectNoSecretsIn(rec.output, "engine output of preview");
  });

  it("4. a new rotation value replaces the client: new one first, the old one refused once deleted", async () => {
    const before = (await stack.outputs()).creatioOAuthApplications.value.Billing;
    await stack.setConfig("creatioOAuthApplications[0].rotation", { value: "2027" }, true);

    const preview = recorder();
    const planned = await timed("4a. preview (rotation)", () => stack.preview(preview.opts));
    expect(changesOf(planned.changeSummary)).toEqual({ replace: 1 });
    expect(opsOf(preview.events)[INTEGRATION]).toEqual(["same"]);
    expect(await storedApps()).toHaveLength(1);

    const up = recorder();
    const result = await timed("4b. up (rotation)", () => stack.up(up.opts));
    expect(changesOf(result.summary.resourceChanges)).toEqual({ replace: 1 });
    // Create-before-delete: the replacement is created, the replaced one deleted after.
    expect(opsOf(up.events)[APP]).toEqual(["create-replacement", "replace", "delete-replaced"]);
    const after = result.outputs.creatioOAuthApplications.value.Billing;
    appSecrets.push(after.clientSecret);
    expect(after.clientId).not.toBe(before.clientId);
    expect(await tokenStatus(after.clientId, after.clientSecret)).toBe(200);
    expect(await tokenStatus(before.clientId, before.clientSecret)).toBe(400);
    expect((await storedApps()).map((a) => a.ClientId)).toEqual([after.clientId]);

    await expectStateHoldsNoPlaintextSecrets();
    for (const r of [preview, up]) expectNoSecretsIn(r.output, "engine output of rotation");
  });

  it("5. destroy deletes the application, then puts Creatio back, and the stack is removed", async () => {
    const last = (await stack.outputs()).creatioOAuthApplications.value.Billing;
    const rec = recorder();
    const result = await timed("5a. destroy", () => stack.destroy(rec.opts));
    expect(result.summary.result).toBe("succeeded");
    expect(opsOf(rec.events)).toEqual({ [INTEGRATION]: ["delete"], [APP]: ["delete"] });
    expect(await storedApps()).toEqual([]);
    expect(identity.registeredClients.size).toBe(0);
    expect(await tokenStatus(last.clientId, last.clientSecret)).toBe(400);
    expect(await creatioRows()).toEqual(creatioAsFound);
    expectNoSecretsIn(rec.output, "engine output of destroy");

    await timed("5b. stack rm", () => stack.workspace.removeStack(STACK));
    expect(existsSync(join(backendDir, ".pulumi", "stacks", PROJECT, `${STACK}.json`))).toBe(false);
  });
});
