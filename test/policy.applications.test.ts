/**
 * The policy no-administrator-as-application-user: on production stacks, no OAuth 2.0 integrated
 * application acts as a Creatio administrator, known from CreatioOAuthApplication's output
 * systemUserIsAdministrator (what Creatio says) or from the policy config administratorUserNames
 * (what preview can know before Creatio is asked). Also the other rules that now cover applications.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Secret } from "@pulumi/policy";
import { administratorSystemUserViolations, creatioApiTlsViolations, noAdministratorAsApplicationUser, PlainResource, plainSensitiveValues, RESOURCE_TYPES } from "../policy/rules";
import { parseStackConfig, PROJECT } from "../config";
import { createIdentityStack } from "../stack";
import { installMocks, settle } from "./support/mocks";
import { UNKNOWN_VALUE } from "../lib/unknownValues";

// Inputs and policies only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const UNKNOWN_STRING = UNKNOWN_VALUE;
const urn = (name: string, stack = "prod") => `urn:pulumi:${stack}::creatio-identity::${RESOURCE_TYPES.creatioApplication}::${name}`;

function app(name: string, props: Record<string, unknown>): PlainResource {
  return {
    type: RESOURCE_TYPES.creatioApplication,
    urn: urn(name),
    name,
    props: { name: "Billing", creatio: new Secret({ url: "https://creatio.example.com", password: "pw" }), ...props },
  };
}

describe("the rule", () => {
  it("flags, on production, an application whose system user Creatio reports as an administrator, or whose name is listed", () => {
    const member = app("a-member", { systemUser: "Integrator", systemUserIsAdministrator: true });
    const listed = app("a-listed", { systemUser: "supervisor" }); // preview of a new one: no output yet
    const fine = app("a-fine", { systemUser: "IntegrationUser", systemUserIsAdministrator: false });
    const notKnown = app("a-unknown", { systemUser: UNKNOWN_STRING });
    const found = administratorSystemUserViolations([member, listed, fine, notKnown], { stack: "prod" });
    expect(found.map((v) => v.urn)).toEqual([member.urn, listed.urn]);
    expect(found[0].message).toBe(
      'Stack "prod" is a production stack (policy config productionStacks), but the integrated application "Billing" ("a-member") acts as "Integrator", ' +
        "a member of Creatio's System administrators role (as Creatio reported at the last `pulumi up` or `refresh`): anyone holding its client secret could do everything an administrator can in Creatio. " +
        "Create a Creatio user with only the rights the application needs and set the application's systemUser to it (`pulumi config set --path 'creatioOAuthApplications[<n>].systemUser' <user>`).",
    );
    expect(found[1].message).toContain('acts as "supervisor", listed in the policy config administratorUserNames');
    for (const v of found) expect(v.message).not.toContain("pw");
  });

  it("is configurable like the other production rules, and silent elsewhere", () => {
    const admin = app("a", { systemUser: "Admin" });
    expect(administratorSystemUserViolations([admin], { stack: "dev" })).toEqual([]);
    expect(administratorSystemUserViolations([admin], { stack: "prod" })).toEqual([]);
    expect(administratorSystemUserViolations([admin], { stack: "prod", administratorUserNames: ["ADMIN"] })).toHaveLength(1);
    expect(administratorSystemUserViolations([admin], { stack: "live", productionStacks: ["live"], administratorUserNames: ["admin"] })).toHaveLength(1);
    expect(administratorSystemUserViolations([app("s", { systemUser: "Supervisor" })], { stack: "prod", administratorUserNames: [] })).toEqual([]);
  });

  it("also runs as the policy, with the stack and the policy config", () => {
    installMocks({ stack: "prod" });
    const reported: Array<{ message: string; urn?: string }> = [];
    const resources = [app("x", { systemUser: "Supervisor" }), app("y", { systemUser: "Ops" })].map((r) => ({
      ...r,
      opts: {},
      isType: () => false,
      asType: () => undefined,
      dependencies: [],
      propertyDependencies: {},
    }));
    const run = (config: Record<string, unknown>) =>
      (noAdministratorAsApplicationUser.validateStack as any)({ resources, getConfig: () => config }, (message: string, u?: string) => reported.push({ message, urn: u }));
    run({});
    run({ administratorUserNames: ["ops"] });
    run({ productionStacks: ["live"] });
    expect(reported.map((r) => r.urn)).toEqual([urn("x"), urn("y")]);
  });
});

describe("over what the stack program registers", () => {
  async function resourcesOf(stack: string, apps: unknown[], creatioUrl = "https://creatio.example.com"): Promise<PlainResource[]> {
    const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-apps-"));
    fs.mkdirSync(path.join(projectDir, "IdentityService"));
    fs.writeFileSync(path.join(projectDir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");
    const recorded = installMocks({ stack });
    const values = { creatioIntegration: "true", creatioPassword: "creatio-pw", creatioUrl, creatioOAuthApplications: JSON.stringify(apps) };
    const full = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v]));
    const outputs = createIdentityStack(parseStackConfig({ values: full, secretKeys: new Set([`${PROJECT}:creatioPassword`]), projectDir, env: {} }));
    await new Promise<void>((resolve) => pulumi.all(Object.values(outputs).filter(Boolean)).apply(() => resolve()));
    await settle();
    fs.rmSync(projectDir, { recursive: true, force: true });
    return recorded.map((r) => ({
      type: r.type,
      name: r.name,
      urn: urn(r.name, stack),
      props: Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, r.secretInputs.has(k) ? new Secret(v) : v])),
    }));
  }
  const APPS = [
    { name: "Billing", applicationUrl: "https://billing.example.com", systemUser: "Supervisor" },
    { name: "Reports", applicationUrl: "https://reports.example.com", systemUser: "ReportsUser" },
  ];

  it("flags at preview the application configured with Supervisor, and keeps the Creatio login secret", async () => {
    const resources = await resourcesOf("prod", APPS);
    const found = administratorSystemUserViolations(resources, { stack: "prod" });
    expect(found.map((v) => v.urn)).toEqual([urn("creatio-identity-creatio-app-Billing")]);
    const apps = resources.filter((r) => r.type === RESOURCE_TYPES.creatioApplication);
    expect(apps).toHaveLength(2);
    expect(apps.flatMap((r) => plainSensitiveValues(r))).toEqual([]);
    expect(plainSensitiveValues({ ...apps[0], props: { ...apps[0].props, creatio: { url: "https://c", password: "plain" } } })).toEqual([
      { property: "creatio", what: "creatio.password" },
    ]);
  });

  it("finds an application reaching Creatio over http:// on production", async () => {
    const resources = await resourcesOf("prod", APPS.slice(1), "http://creatio.example.com");
    const found = resources.flatMap((r) => creatioApiTlsViolations(r, { stack: "prod" }));
    expect(found.map((v) => v.message)).toEqual([
      expect.stringContaining('"creatio-identity-creatio-oauth" reaches Creatio\'s API at http://creatio.example.com over http://'),
      expect.stringContaining('"creatio-identity-creatio-app-Reports" reaches Creatio\'s API at http://creatio.example.com over http://'),
    ]);
  });
});
