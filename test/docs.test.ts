/**
 * The documentation is typed as it stands, so its commands must name what exists: every config key a
 * `pulumi config set/get/rm/rm-all` names, every field of `creatioOAuthApplications` a `--path`
 * reaches, every `creatio-identity:<key>` in a stack file example, every output a
 * `pulumi stack output` reads, and the StackReference names a consuming stack would use. Also the
 * scheduled workflow docs/day-2.md shows, as a file a user would copy into .github/workflows/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { validateWorkflow } from "@action-validator/core";
import { CONFIG_KEYS, PROJECT, RETIRED_KEYS } from "../config";
import { problems } from "./support/stackConfig";

const root = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const pages = [
  "README.md",
  ...fs
    .readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The fields of a `creatioOAuthApplications` entry (lib/creatioApplicationsConfig.ts). */
const APPLICATION_FIELDS = ["key", "name", "applicationUrl", "redirectUrl", "description", "systemUser", "active", "rotation"];
/** Other packages' config namespaces the docs set (their keys are those packages' business). */
const OTHER_NAMESPACES = ["docker", "kubernetes"];
/** The outputs index.ts exports. */
const OUTPUTS = [...read("index.ts").matchAll(/^export const (\w+)/gm)].map((m) => m[1]);

/** One command's words: from `start` to the end of the command (a closing backtick, `)`, `|`, `;`, `&&`, a `#` comment or the line's end; `\` continues it). */
function commands(text: string, start: string): string[][] {
  const found: string[][] = [];
  const joined = text.replace(/\\\n\s*/g, " ");
  for (const m of joined.matchAll(new RegExp(`${start.replace(/ /g, "\\s+")}(?=[\\s\`]|$)([^\`\\n|;)#]*?)(?=\`|\\n|\\||;|\\)|&&|\\s#|$)`, "gm"))) {
    found.push(m[1].trim().split(/\s+/).filter(Boolean));
  }
  return found;
}

/** A config key as a command names it: without quotes; undefined for a placeholder (`<key>`). */
function keyWord(word: string | undefined): string | undefined {
  if (word === undefined) return undefined;
  const key = word.replace(/^['"]|['"]$/g, "");
  return key.startsWith("<") || key.startsWith("$") ? undefined : key;
}

/** What is wrong with one key a command names (`rm`: a retired key may be removed). */
function keyProblem(key: string, verb: string): string | undefined {
  const [namespace, rest] = key.includes(":") ? [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)] : [PROJECT, key];
  if (OTHER_NAMESPACES.includes(namespace)) return undefined;
  if (namespace !== PROJECT) return `${key}: no such config namespace`;
  const m = /^([A-Za-z]\w*)(?:\[\d+\](?:\.(\w+))?)?$/.exec(rest);
  if (!m) return `${key}: not a key or a --path into one`;
  const [, root, field] = m;
  if (root in RETIRED_KEYS) return verb.startsWith("rm") ? undefined : `${key}: a retired key, only to be removed`;
  if (!(root in CONFIG_KEYS)) return `${key}: not a config key`;
  if (field !== undefined && (root !== "creatioOAuthApplications" || !APPLICATION_FIELDS.includes(field))) return `${key}: ${field} is not a field of ${root}`;
  return undefined;
}

/** Every problem with the config keys, outputs and stack references a Markdown text names. */
function docProblems(text: string): string[] {
  const found: string[] = [];
  for (const verb of ["set", "get", "rm"]) {
    for (const words of commands(text, `pulumi config ${verb}`)) {
      // Flags, and the value a `--stack` takes, come before the key.
      const rest = words.filter((w, i) => !w.startsWith("-") && !["--stack", "-s"].includes(words[i - 1]));
      const key = keyWord(rest[0]);
      if (key === undefined) continue;
      const problem = keyProblem(key, verb);
      if (problem) found.push(`pulumi config ${verb} ${problem}`);
    }
  }
  for (const words of commands(text, "pulumi config rm-all")) {
    for (const word of words.filter((w) => !w.startsWith("-"))) {
      const key = keyWord(word);
      const problem = key === undefined ? undefined : keyProblem(key, "rm-all");
      if (problem) found.push(`pulumi config rm-all ${problem}`);
    }
  }
  for (const words of commands(text, "pulumi stack output")) {
    const rest = words.filter((w, i) => !w.startsWith("-") && !["--stack", "-s"].includes(words[i - 1]));
    const output = keyWord(rest[0]);
    if (output !== undefined && !OUTPUTS.includes(output)) found.push(`pulumi stack output ${output}: not an output of index.ts`);
  }
  // Stack file examples: `creatio-identity:<key>:` (not a resource type such as pulumi-nodejs:dynamic/creatio-identity:PfxBundle).
  for (const m of text.matchAll(/(?<![\w/-])creatio-identity:([a-z]\w*)/g)) {
    const problem = keyProblem(`${PROJECT}:${m[1]}`, "rm");
    if (problem) found.push(`${problem} (in a stack file example)`);
  }
  for (const m of text.matchAll(/StackReference\("([^"]+)"\)/g)) {
    if (!/^organization\/creatio-identity\/[\w.-]+$/.test(m[1])) {
      found.push(`StackReference("${m[1]}"): on a self-managed backend the name is organization/creatio-identity/<stack> (Pulumi Cloud's <org>/... goes in a comment)`);
    }
  }
  return found;
}

describe("the documentation's commands", () => {
  it.each(pages)("%s names only real config keys, application fields and stack outputs", (page) => {
    expect(docProblems(read(page))).toEqual([]);
  });

  it("finds the commands it checks, in code blocks and inline", () => {
    const all = pages.map(read).join("\n");
    expect(commands(all, "pulumi config set").length).toBeGreaterThan(50);
    expect(commands(all, "pulumi stack output").length).toBeGreaterThan(15);
    expect(commands(all, "pulumi config rm-all").length).toBeGreaterThan(0);
  });

  it("catches a wrong key, field, output or stack reference, so the checks above can fail", () => {
    const bad = [
      "```bash",
      "pulumi config set --secret creatioPasword",
      "pulumi config set --path 'creatioOAuthApplications[0].systemuser' Billing",
      "pulumi config set creatioDatabaseUrl postgres://x",
      "pulumi config rm-all creatioPassword \\",
      "  creatioNetCor",
      "pulumi stack output creatioApplications --show-secrets --json | jq '.billing'",
      "```",
      "`pulumi config get --stack prod clientSecre`, `pulumi config rm creatioDatabaseUrl`, `pulumi config set docker:host ssh://x`",
      "```yaml",
      "  creatio-identity:creatioIntegraton: true",
      "```",
      'const identity = new pulumi.StackReference("acme/creatio-identity/prod");',
    ].join("\n");
    expect(docProblems(bad)).toEqual([
      "pulumi config set creatioPasword: not a config key",
      "pulumi config set creatioOAuthApplications[0].systemuser: systemuser is not a field of creatioOAuthApplications",
      "pulumi config set creatioDatabaseUrl: a retired key, only to be removed",
      "pulumi config get clientSecre: not a config key",
      "pulumi config rm-all creatioNetCor: not a config key",
      "pulumi stack output creatioApplications: not an output of index.ts",
      "creatio-identity:creatioIntegraton: not a config key (in a stack file example)",
      'StackReference("acme/creatio-identity/prod"): on a self-managed backend the name is organization/creatio-identity/<stack> (Pulumi Cloud\'s <org>/... goes in a comment)',
    ]);
  });
});

describe("undoing the Creatio switch-over as the docs say", () => {
  /** The keys the docs' `pulumi config rm-all` after `creatioIntegration false` removes. */
  const removedBy = (page: string): string[] => {
    const text = read(page);
    const at = text.indexOf("pulumi config set creatioIntegration false");
    expect(at).toBeGreaterThanOrEqual(0);
    return commands(text.slice(at), "pulumi config rm-all")[0];
  };

  it.each(["README.md", "docs/day-2.md"])("%s removes every key that only the integration uses", (page) => {
    const integrationOnly = Object.entries(CONFIG_KEYS)
      .filter(([, spec]) => spec.description.startsWith("creatioIntegration:"))
      .map(([key]) => key);
    expect(integrationOnly.length).toBeGreaterThan(5);
    expect([...removedBy(page)].sort()).toEqual([...integrationOnly].sort());
  });

  it("leaves a config the program accepts, where the integration keys left in place are refused", () => {
    const apps = JSON.stringify([{ key: "billing", name: "Billing", applicationUrl: "https://billing.example.com", systemUser: "BillingIntegration" }]);
    const on: Record<string, string> = {
      creatioIntegration: "true",
      creatioUrl: "https://creatio.example.com",
      creatioPassword: "pw",
      creatioUsername: "Admin",
      creatioNetCore: "true",
      creatioCreateDefaultResource: "false",
      creatioFeatureAdminUnitIds: '["83a43ebc-f36b-1410-298d-001e8c82bcad"]',
      identityServerUrlForCreatio: "https://identity.internal.example.com",
      readinessTimeoutSeconds: "600",
      creatioOAuthApplications: apps,
    };
    const off: Record<string, string> = { ...on, creatioIntegration: "false" };
    const refused = problems(off, ["creatioPassword"]);
    expect(refused).toHaveLength(8);
    for (const p of refused) expect(p).toMatch(/is only used when creatioIntegration is true/);
    for (const key of removedBy("docs/day-2.md")) delete off[key];
    expect(() => problems(off, [])).toThrow("expected a ConfigError");
  });
});

describe("docs/day-2.md's monthly workflow", () => {
  const block = /```yaml\n(name: Monthly up\n[\s\S]*?)```/.exec(read("docs/day-2.md"));
  const workflow = parse(block![1]);
  const deploy = parse(read(".github/workflows/deploy.yml"));
  const pulumiStep = (w: any) => Object.values<any>(w.jobs)[0].steps.find((s: any) => s.uses?.startsWith("pulumi/actions@"));

  it("is a valid workflow for the real action-validator", () => {
    expect(validateWorkflow(block![1]).errors).toEqual([]);
  });

  it("runs on a schedule, up with a refresh, for the stacks deploy.yml deploys, never beside a deploy of the same stack", () => {
    expect(Object.keys(workflow.on)).toEqual(["schedule", "workflow_dispatch"]);
    const job = Object.values<any>(workflow.jobs)[0];
    const deployJob = Object.values<any>(deploy.jobs)[0];
    expect(job.strategy).toEqual(deployJob.strategy);
    expect(job.environment).toBe(deployJob.environment);
    expect(job.concurrency).toEqual(deployJob.concurrency);
    expect(workflow.permissions).toEqual(deploy.permissions);
    const { refresh, ...rest } = pulumiStep(workflow).with;
    expect(refresh).toBe(true);
    expect(rest).toEqual(pulumiStep(deploy).with);
    expect(pulumiStep(workflow).env).toEqual(pulumiStep(deploy).env);
    expect(pulumiStep(workflow).uses).toBe(pulumiStep(deploy).uses);
  });
});
