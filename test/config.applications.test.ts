/**
 * The `creatioOAuthApplications` config key: a list of objects as the Pulumi CLI hands it to the
 * program (JSON; `config set --path` types "true"/"false" as booleans and whole numbers as numbers),
 * validated before anything is created, every problem naming the entry and the fix.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, parseStackConfig, PROJECT, StackConfig } from "../config";
import { parseCreatioApplications } from "../lib/creatioApplicationsConfig";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-apps-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
fs.mkdirSync(path.join(dir, "IdentityService"));
fs.writeFileSync(path.join(dir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");
const KEY = `${PROJECT}:creatioOAuthApplications`;
const creatio = { creatioIntegration: "true", creatioPassword: "pw" };

function parse(values: Record<string, string>): StackConfig {
  const full = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v]));
  return parseStackConfig({ values: full, secretKeys: new Set([`${PROJECT}:creatioPassword`]), projectDir: dir, env: {} });
}

function problems(apps: unknown, extra: Record<string, string> = creatio): string[] {
  try {
    parse({ ...extra, creatioOAuthApplications: typeof apps === "string" ? apps : JSON.stringify(apps) });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("creatioOAuthApplications", () => {
  it("becomes the applications of the Creatio integration, with defaults, from the JSON the CLI passes", () => {
    const cfg = parse({
      ...creatio,
      // As `pulumi config set --path 'creatioOAuthApplications[1].active' false` and `... rotation 2026` store them.
      creatioOAuthApplications: JSON.stringify([
        { name: "Billing", applicationUrl: "https://billing.example.com", systemUser: "IntegrationUser" },
        {
          name: "Reports 2",
          applicationUrl: "https://reports.example.com",
          redirectUrl: "https://reports.example.com/cb/",
          systemUser: "ReportsUser",
          active: false,
          rotation: 2026,
          description: "BI",
        },
      ]),
    });
    // Without a key, the name is the key (as earlier versions named the resources).
    expect(cfg.creatio!.applications).toEqual([
      { key: "Billing", name: "Billing", applicationUrl: "https://billing.example.com", systemUser: "IntegrationUser", active: true },
      {
        key: "Reports 2",
        name: "Reports 2",
        applicationUrl: "https://reports.example.com",
        redirectUrl: "https://reports.example.com/cb/",
        systemUser: "ReportsUser",
        active: false,
        rotation: "2026",
        description: "BI",
      },
    ]);
    expect(parse({ ...creatio, creatioOAuthApplications: "[]" }).creatio!.applications).toEqual([]);
    expect(
      parse({ ...creatio, creatioOAuthApplications: JSON.stringify([{ name: "A", applicationUrl: "https://a", systemUser: "u", active: "false" }]) }).creatio!.applications[0]
        .active,
    ).toBe(false);
  });

  it("names the entry by index and name, and the command that fixes each problem", () => {
    const found = problems([
      { name: "Billing", applicationUrl: "billing.example.com", systemUser: "IntegrationUser" },
      { name: "Reports", applicationUrl: "https://reports.example.com" },
      { name: "billing", applicationUrl: "https://b2.example.com", systemUser: "u" },
      { name: "CRM", applicationUrl: "https://crm.example.com", systemUser: "u", redirectUri: "https://crm.example.com/cb", active: "yes" },
      "just a name",
      { name: "bad::name", applicationUrl: "https://x.example.com", systemUser: "u" },
    ]);
    expect(found).toEqual([
      `${KEY}[0] ("Billing"): applicationUrl must be an http:// or https:// URL without user name, password or #fragment (got "billing.example.com"). Fix: \`pulumi config set --path 'creatioOAuthApplications[0].applicationUrl' https://billing.example.com\`.`,
      `${KEY}[1] ("Reports"): systemUser is required. Fix: \`pulumi config set --path 'creatioOAuthApplications[1].systemUser' IntegrationUser\`.`,
      `${KEY}[2] ("billing"): the name is already used by creatioOAuthApplications[0] (without a key, the name names the application's resource, so it must be unique, ignoring case). Fix: give each a key (\`pulumi config set --path 'creatioOAuthApplications[2].key' <key>\`), or another name.`,
      `${KEY}[3] ("CRM"): active must be true or false (got "yes"). Fix: \`pulumi config set --path 'creatioOAuthApplications[3].active' true\`.`,
      `${KEY}[3] ("CRM"): unknown field "redirectUri"; the fields are key, name, applicationUrl, redirectUrl, description, systemUser, active, rotation. Fix: \`pulumi config rm --path 'creatioOAuthApplications[3].redirectUri'\`.`,
      `${KEY}[4]: must be an object { key?, name, applicationUrl, systemUser, redirectUrl?, description?, active?, rotation? }. Fix: \`pulumi config set --path 'creatioOAuthApplications[4].name' Billing\`.`,
      `${KEY}[5] ("bad::name"): without a key, the name names the application's resource and its output entry, so it may hold only letters, digits, spaces and . _ - and must start with a letter or digit (got "bad::name"). Fix: give it a key (\`pulumi config set --path 'creatioOAuthApplications[5].key' billing\`); the name may then be any text.`,
    ]);
  });

  it("is reported with the other config problems, before anything is created", () => {
    const found = problems([{ name: "A", applicationUrl: "https://a.example.com" }], { creatioIntegration: "true", httpPort: "x" });
    expect(found).toEqual([
      expect.stringMatching(/httpPort: must be a whole number/),
      expect.stringMatching(/creatioPassword: is required/),
      expect.stringMatching(/creatioOAuthApplications\[0\] \("A"\): systemUser is required/),
    ]);
  });

  it("reports every problem at once: the entries' own too when the integration is off, and a duplicate with its other faults", () => {
    expect(problems([{ name: "A", applicationUrl: "https://a", systemUser: "u", colour: "red" }], {})).toEqual([
      `${KEY}: is only used when creatioIntegration is true (\`pulumi config set creatioIntegration true\`); remove it (\`pulumi config rm creatioOAuthApplications\`) or change that setting.`,
      expect.stringMatching(/^creatio-identity:creatioOAuthApplications\[0\] \("A"\): unknown field "colour"/),
    ]);
    expect(
      problems([
        { key: "a", name: "A", applicationUrl: "https://a", systemUser: "u" },
        { key: "A", name: "B", applicationUrl: "b", systemUser: "u", colour: "red" },
      ]),
    ).toEqual([
      expect.stringMatching(/\[1\] \("B"\): the key is already used by creatioOAuthApplications\[0\]/),
      expect.stringMatching(/\[1\] \("B"\): applicationUrl must be an http/),
      expect.stringMatching(/\[1\] \("B"\): unknown field "colour"/),
    ]);
  });

  it("is refused without the Creatio integration, and when it is not a list", () => {
    expect(problems([{ name: "A", applicationUrl: "https://a", systemUser: "u" }], {})).toEqual([
      `${KEY}: is only used when creatioIntegration is true (\`pulumi config set creatioIntegration true\`); remove it (\`pulumi config rm creatioOAuthApplications\`) or change that setting.`,
    ]);
    expect(problems("Billing")).toEqual([
      expect.stringContaining(`${KEY}: must be a list of objects (got "Billing"). Fix: set it in Pulumi.<stack>.yaml as a YAML list of objects`),
    ]);
    expect(parseCreatioApplications({ name: "A" }, KEY).problems).toEqual([
      expect.stringContaining(`${KEY}: must be a list of { key, name, applicationUrl, systemUser, ... } objects`),
    ]);
  });

  it("takes a stable key: the name is then free display text, and keys (not names) must be unique", () => {
    const cfg = parse({
      ...creatio,
      creatioOAuthApplications: JSON.stringify([
        { key: "erp-eu", name: "ERP connector (EU)", applicationUrl: "https://erp.example.com", systemUser: "ErpUser" },
        { key: "erp_us", name: "ERP connector (EU)", applicationUrl: "https://erp-us.example.com", systemUser: "ErpUser" },
      ]),
    });
    expect(cfg.creatio!.applications.map((a) => [a.key, a.name])).toEqual([
      ["erp-eu", "ERP connector (EU)"],
      ["erp_us", "ERP connector (EU)"],
    ]);
    expect(
      problems([
        { key: "erp", name: "A", applicationUrl: "https://a.example.com", systemUser: "u" },
        { key: "ERP", name: "B", applicationUrl: "https://b.example.com", systemUser: "u" },
        { key: "erp eu", name: "C", applicationUrl: "https://c.example.com", systemUser: "u" },
        { key: "d", name: " padded", applicationUrl: "https://d.example.com", systemUser: "u" },
      ]),
    ).toEqual([
      `${KEY}[1] ("B"): the key is already used by creatioOAuthApplications[0]; application keys must be unique (ignoring case). Fix: \`pulumi config set --path 'creatioOAuthApplications[1].key' <another key>\`.`,
      `${KEY}[2] ("C"): key may hold ASCII letters, digits, - and _ and must start with a letter or digit (got "erp eu"). Fix: \`pulumi config set --path 'creatioOAuthApplications[2].key' billing\`.`,
      `${KEY}[3] (" padded"): name must be text without surrounding spaces or control characters (got " padded"). Fix: \`pulumi config set --path 'creatioOAuthApplications[3].name' Billing\`.`,
    ]);
  });

  it("limits text to Creatio's 250 characters", () => {
    const long = "x".repeat(251);
    const found = problems([{ name: long, applicationUrl: `https://a.example.com/${long}`, systemUser: "u", description: long }]);
    expect(found).toHaveLength(3);
    for (const p of found) expect(p).toContain("longer than 250 characters");
  });
});
