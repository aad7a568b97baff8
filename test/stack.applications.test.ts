/**
 * The stack program's OAuth 2.0 integrated applications, under Pulumi's mocks: one
 * CreatioOAuthApplication per `creatioOAuthApplications` entry, after the Creatio integration, and
 * the `creatioOAuthApplications` output a consuming stack reads with a StackReference.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, only, pfxBundleFaker, secretValueOf, settle, OutputFaker } from "./support/mocks";
import { parseStackConfig, PROJECT } from "../config";
import { createIdentityStack } from "../stack";
import { CREATIO_OAUTH_INTEGRATION_TYPE } from "../components/creatioOAuthIntegration";
import { CREATIO_OAUTH_APPLICATION_TYPE } from "../components/creatioOAuthApplication";

// Inputs and outputs only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-apps-"));
afterAll(() => fs.rmSync(projectDir, { recursive: true, force: true }));
fs.mkdirSync(path.join(projectDir, "IdentityService"));
fs.writeFileSync(path.join(projectDir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");

/** Applications whose tokens Creatio does not take (a .NET 6/8 Creatio not restarted yet). */
const refusedBy = new Set<string>();
const applicationFaker: OutputFaker = (a) => ({
  ...a.inputs,
  clientId: `id-${a.inputs.name}`,
  clientSecret: `secret-${a.inputs.name}`,
  recordId: "r",
  systemUserIsAdministrator: false,
  creatioAcceptsTokens: !refusedBy.has(a.inputs.name),
});
const APPS = [
  { name: "Billing", applicationUrl: "https://billing.example.com", systemUser: "IntegrationUser" },
  {
    name: "Reports",
    applicationUrl: "https://reports.example.com",
    redirectUrl: "https://reports.example.com/cb",
    systemUser: "ReportsUser",
    active: false,
    rotation: "2026-11",
    description: "BI",
  },
];

async function run(values: Record<string, string>, events?: string[]) {
  const resources = installMocks({
    fakers: { "pulumi-nodejs:dynamic:Resource": pfxBundleFaker, [CREATIO_OAUTH_APPLICATION_TYPE]: applicationFaker },
    delays: { "creatio-identity-creatio-oauth": 200 },
    events,
  });
  const full = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v]));
  const config = parseStackConfig({ values: full, secretKeys: new Set([`${PROJECT}:creatioPassword`]), projectDir, env: {} });
  const outputs = createIdentityStack(config);
  const apps = outputs.creatioOAuthApplications ? await secretValueOf(outputs.creatioOAuthApplications as pulumi.Output<unknown>) : undefined;
  await settle();
  return { resources, apps };
}

const creatio = { creatioIntegration: "true", creatioPassword: "creatio-pw", creatioUrl: "https://creatio.example.com" };

describe("creatioOAuthApplications in the stack", () => {
  it("makes one CreatioOAuthApplication per entry, after the integration, with the stack's Creatio login and Identity Service", async () => {
    const events: string[] = [];
    const { resources } = await run({ ...creatio, creatioOAuthApplications: JSON.stringify(APPS), identityServerUrlForCreatio: "http://creatio-identity-service" }, events);
    const billing = only(resources, CREATIO_OAUTH_APPLICATION_TYPE, "creatio-identity-creatio-app-Billing");
    const reports = only(resources, CREATIO_OAUTH_APPLICATION_TYPE, "creatio-identity-creatio-app-Reports");
    expect(billing.inputs).toMatchObject({
      creatio: { url: "https://creatio.example.com", username: "Supervisor", password: "creatio-pw", netCore: false },
      name: "Billing",
      applicationUrl: "https://billing.example.com",
      systemUser: "IntegrationUser",
      active: true,
      identityServerUrl: "http://creatio-identity-service",
      identityServerCheckUrl: "https://localhost:8443",
      readinessTimeoutSeconds: 300,
    });
    expect(billing.inputs.identityServerCaPem).toMatch(/BEGIN CERTIFICATE/);
    expect(billing.secretInputs.has("creatio")).toBe(true);
    expect(reports.inputs).toMatchObject({ redirectUrl: "https://reports.example.com/cb", active: false, rotation: "2026-11", description: "BI" });
    // The integration first: Creatio refuses applications until it has run.
    const integrationDone = events.indexOf("done:creatio-identity-creatio-oauth");
    expect(integrationDone).toBeGreaterThan(-1);
    for (const app of ["Billing", "Reports"]) expect(events.indexOf(`start:creatio-identity-creatio-app-${app}`)).toBeGreaterThan(integrationDone);
    expect(resources.filter((r) => r.type === CREATIO_OAUTH_INTEGRATION_TYPE)).toHaveLength(1);
    // Creatio's connection comes from the integration's output: when the integration is replaced
    // (another Creatio), the engine deletes the applications before it, while OAuth is still on.
    for (const app of [billing, reports])
      expect(app.options.propertyDependencies.creatio).toEqual([expect.stringMatching(/CreatioOAuthIntegration::creatio-identity-creatio-oauth$/)]);
  });

  it("names each application's resource and output entry by its key, so a new name is an update of the same client", async () => {
    const keyed = (name: string) => [{ key: "billing", name, applicationUrl: "https://billing.example.com", systemUser: "IntegrationUser" }];
    const first = await run({ ...creatio, creatioOAuthApplications: JSON.stringify(keyed("Billing")) });
    const renamed = await run({ ...creatio, creatioOAuthApplications: JSON.stringify(keyed("Billing (EU)")) });
    const before = only(first.resources, CREATIO_OAUTH_APPLICATION_TYPE, "creatio-identity-creatio-app-billing");
    const after = only(renamed.resources, CREATIO_OAUTH_APPLICATION_TYPE, "creatio-identity-creatio-app-billing");
    expect([before.inputs.name, after.inputs.name]).toEqual(["Billing", "Billing (EU)"]);
    expect(after.inputs.key).toBeUndefined();
    expect(Object.keys(renamed.apps!.value as object)).toEqual(["billing"]);
  });

  it("exports each application's client id, secret and token URL by name, secret as a whole", async () => {
    const { apps } = await run({ ...creatio, creatioOAuthApplications: JSON.stringify(APPS) });
    expect(apps).toEqual({
      secret: true,
      value: {
        Billing: { clientId: "id-Billing", clientSecret: "secret-Billing", tokenUrl: "https://localhost:8443/connect/token" },
        Reports: { clientId: "id-Reports", clientSecret: "secret-Reports", tokenUrl: "https://localhost:8443/connect/token" },
      },
    });
  });

  it("warns, naming the restart, for each application whose tokens Creatio does not take, and only for those", async () => {
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      refusedBy.add("Reports");
      await run({ ...creatio, creatioOAuthApplications: JSON.stringify(APPS) });
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("does not accept tokens"));
      expect(lines).toEqual([expect.stringContaining(`integrated application "Reports" yet: restart Creatio`)]);
      expect(lines[0]).toContain("then run `pulumi refresh`");
    } finally {
      refusedBy.clear();
      warn.mockRestore();
    }
  });

  it("exports an empty map without applications, and nothing without the integration", async () => {
    const none = await run(creatio);
    expect(none.apps).toEqual({ secret: true, value: {} });
    expect(none.resources.filter((r) => r.type === CREATIO_OAUTH_APPLICATION_TYPE)).toHaveLength(0);
    expect((await run({})).apps).toBeUndefined();
  });
});
