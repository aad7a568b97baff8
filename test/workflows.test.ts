/**
 * The GitHub Actions workflows: valid against the workflow schema (the real action-validator),
 * previewing and deploying the same stacks, calling only the npm scripts the README documents,
 * with minimal permissions and no secret ever printed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { validateWorkflow } from "@action-validator/core";

const root = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string };
type Job = {
  "runs-on": string;
  environment?: string;
  strategy?: { matrix?: { stack?: string[] }; "max-parallel"?: number; "fail-fast"?: boolean };
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  steps: Step[];
};
type Workflow = { name: string; on: Record<string, any>; permissions?: Record<string, string>; env?: Record<string, string>; jobs: Record<string, Job> };

const files = { preview: ".github/workflows/preview.yml", deploy: ".github/workflows/deploy.yml" } as const;
const load = (file: string): Workflow => parse(read(file));
const preview = load(files.preview);
const deploy = load(files.deploy);
const packageJson = JSON.parse(read("package.json")) as { scripts: Record<string, string> };

/** Every step of every job. */
const stepsOf = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const onlyJob = (w: Workflow): Job => {
  const jobs = Object.values(w.jobs);
  expect(jobs).toHaveLength(1);
  return jobs[0];
};
const pulumiStep = (w: Workflow): Step => {
  const steps = stepsOf(w).filter((s) => s.uses?.startsWith("pulumi/actions@"));
  expect(steps).toHaveLength(1);
  return steps[0];
};

/** The npm commands the README shows in its shell blocks (`npm ci`, `npm test`, `npm run bench`). */
function documentedNpmCommands(readme: string): Set<string> {
  const commands = new Set<string>();
  // Fence by fence, so that a ```text or ```yaml block does not pair its closing fence with the next opening one.
  let fence: string | undefined;
  for (const line of readme.split("\n")) {
    const marker = /^```(\w*)\s*$/.exec(line);
    if (marker) {
      fence = fence === undefined ? marker[1] || "plain" : undefined;
      continue;
    }
    if (fence !== undefined && ["bash", "sh", "shell", "plain"].includes(fence)) {
      const m = /^\s*(npm (?:run \S+|\S+))/.exec(line);
      if (m) commands.add(m[1]);
    }
  }
  return commands;
}

/** Shell words a `run:` may start a command with besides npm (the credentials check). */
const ALLOWED_COMMANDS = new Set(["npm", "echo", "exit", "["]);

/** Problems with the commands of a workflow's `run:` steps; empty when every command is allowed. */
function runCommandProblems(w: Workflow, scripts: Record<string, string>, documented: Set<string>): string[] {
  const problems: string[] = [];
  for (const step of stepsOf(w)) {
    if (step.run === undefined) continue;
    const commands = step.run
      .split(/\n|;|&&|\|\|/)
      .map((c) =>
        c
          .trim()
          .replace(/^(if|then|else|elif|do|\{|!)\s+/, "")
          .trim(),
      )
      .filter((c) => c !== "" && !/^(fi|done|then|else|\}|\{)$/.test(c));
    for (const command of commands) {
      const [first, second, third] = command.split(/\s+/);
      if (!ALLOWED_COMMANDS.has(first)) {
        problems.push(`"${command}" is not an npm command`);
        continue;
      }
      if (first !== "npm") continue;
      const npm = second === "run" ? `npm run ${third}` : `npm ${second}`;
      const script = second === "run" ? third : second === "test" ? "test" : undefined;
      if (second !== "ci" && (script === undefined || !(script in scripts))) problems.push(`"${command}" calls no script of package.json`);
      if (!documented.has(npm)) problems.push(`"${npm}" is not documented in README.md`);
    }
  }
  return problems;
}

/** Places where a workflow could print a secret; empty when there are none. */
function secretLeaks(w: Workflow): string[] {
  const leaks: string[] = [];
  // Secrets may only be handed over through `env:` or an action's `with:`, never spliced into a script.
  const walk = (value: unknown, at: string[]) => {
    if (typeof value === "string") {
      if (/\$\{\{[^}]*\bsecrets\./.test(value) && !at.some((k) => k === "env" || k === "with")) leaks.push(`${at.join(".")} uses a secret outside env:/with:`);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
    }
  };
  walk(w, []);
  for (const job of Object.values(w.jobs)) {
    for (const step of job.steps) {
      if (step.run === undefined) continue;
      const env = { ...(w.env ?? {}), ...(job.env ?? {}), ...(step.env ?? {}) };
      const secretVars = Object.entries(env)
        .filter(([, v]) => /\bsecrets\./.test(String(v)))
        .map(([k]) => k);
      if (/\bset\s+-[a-z]*x/.test(step.run)) leaks.push(`"${step.name ?? step.run}" traces commands (set -x)`);
      for (const line of step.run.split("\n")) {
        if (!/^\s*(echo|printf|cat)\b/.test(line)) continue;
        for (const name of secretVars) {
          if (new RegExp(`\\$\\{?${name}\\b`).test(line)) leaks.push(`"${line.trim()}" prints ${name}`);
        }
      }
    }
  }
  return leaks;
}

describe("the workflows", () => {
  it.each(Object.values(files))("%s is a valid workflow for the real action-validator", (file) => {
    const state = validateWorkflow(read(file));
    expect(state.errors).toEqual([]);
  });

  it("pass the action-validator CLI as a user would run it", () => {
    const cli = path.join(root, "node_modules", ".bin", "action-validator");
    for (const file of Object.values(files)) {
      const run = spawnSync(process.execPath, [cli, file], { cwd: root, encoding: "utf8" });
      expect({ file, status: run.status, stderr: run.stderr }).toEqual({ file, status: 0, stderr: "" });
    }
  });

  it("a broken workflow fails the validator, so the checks above can fail", () => {
    const broken = parse(read(files.preview));
    broken.jobs.preview["runs_on"] = broken.jobs.preview["runs-on"];
    delete broken.jobs.preview["runs-on"];
    expect(validateWorkflow(stringify(broken)).errors).not.toEqual([]);

    const badTrigger = parse(read(files.deploy));
    badTrigger.on = { pushed: { branches: ["main"] } };
    expect(validateWorkflow(stringify(badTrigger)).errors).not.toEqual([]);

    // The CLI exits non-zero on it, printing what is wrong.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-"));
    const file = path.join(dir, "broken.yml");
    fs.writeFileSync(file, stringify(broken));
    const run = spawnSync(process.execPath, [path.join(root, "node_modules", ".bin", "action-validator"), file], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("runs_on");
  });

  it("preview the shared stacks (test, prod; not the per-laptop dev stack) on pull requests and deploy the same from main, each with an example stack file", () => {
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    const previewJob = onlyJob(preview);
    const deployJob = onlyJob(deploy);
    expect(previewJob.strategy?.matrix?.stack).toEqual(["test", "prod"]);
    for (const stack of previewJob.strategy!.matrix!.stack as string[]) expect(fs.existsSync(path.join(__dirname, "..", "examples", `Pulumi.${stack}.yaml`))).toBe(true);
    expect(deployJob.strategy?.matrix?.stack).toEqual(previewJob.strategy?.matrix?.stack);
    // A failing stack must not hide the other's preview.
    expect(previewJob.strategy?.["fail-fast"]).toBe(false);
    for (const [w, command] of [
      [preview, "preview"],
      [deploy, "up"],
    ] as const) {
      const step = pulumiStep(w);
      expect(step.uses).toMatch(/^pulumi\/actions@v\d+$/);
      expect(step.with?.command).toBe(command);
      expect(String(step.with?.["stack-name"])).toContain("matrix.stack");
      expect(step.with?.policyPacks).toBe("policy");
    }
    expect(fs.existsSync(path.join(root, "policy", "PulumiPolicy.yaml"))).toBe(true);
  });

  it("post the preview as a PR comment with only the permissions that needs", () => {
    const step = pulumiStep(preview);
    expect(step.with?.["comment-on-pr"]).toBe(true);
    expect(step.with?.["github-token"]).toBe("${{ secrets.GITHUB_TOKEN }}");
    expect(preview.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(deploy.permissions).toEqual({ contents: "read" });
    for (const w of [preview, deploy]) for (const job of Object.values(w.jobs)) expect((job as { permissions?: unknown }).permissions).toBeUndefined();
  });

  it("gate each deployment by the stack's environment, one stack and one update at a time", () => {
    const job = onlyJob(deploy);
    expect(job.environment).toBe("${{ matrix.stack }}");
    expect(job.strategy?.["max-parallel"]).toBe(1);
    expect(job.strategy?.["fail-fast"]).toBe(true);
    expect(job.concurrency?.group).toContain("${{ matrix.stack }}");
    expect(job.concurrency?.["cancel-in-progress"]).toBe(false);
    expect(onlyJob(preview).concurrency?.group).toContain("${{ matrix.stack }}");
  });

  it("set up Node 20 with the npm cache, and run npm ci and npm test before Pulumi", () => {
    for (const w of [preview, deploy]) {
      const steps = stepsOf(w);
      const setupNode = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
      expect(setupNode?.with).toEqual({ "node-version": 20, cache: "npm" });
      const order = steps.map((s) => s.run ?? s.uses?.split("@")[0]);
      const at = (x: string) => order.indexOf(x);
      expect(at("actions/checkout")).toBeGreaterThanOrEqual(0);
      expect(at("actions/checkout")).toBeLessThan(at("npm ci"));
      expect(at("actions/setup-node")).toBeLessThan(at("npm ci"));
      expect(at("npm ci")).toBeLessThan(at("npm test"));
      expect(at("npm test")).toBeLessThan(at("pulumi/actions"));
      // Every action is pinned to a major version.
      for (const s of steps) if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    }
  });

  it("lint a pull request (ESLint and Prettier) before its tests", () => {
    const runs = preview.jobs.preview.steps.map((s) => s.run?.trim()).filter(Boolean);
    expect(runs.indexOf("npm run lint")).toBeGreaterThan(runs.indexOf("npm ci"));
    expect(runs.indexOf("npm run lint")).toBeLessThan(runs.indexOf("npm test"));
  });

  it("call only npm scripts that exist in package.json and that the README documents", () => {
    const documented = documentedNpmCommands(read("README.md"));
    expect([...documented]).toEqual(expect.arrayContaining(["npm ci", "npm test", "npm run lint", "npm run test:e2e"]));
    for (const w of [preview, deploy]) expect(runCommandProblems(w, packageJson.scripts, documented)).toEqual([]);

    // The check itself catches an undocumented or missing script.
    const changed = parse(read(files.preview)) as Workflow;
    changed.jobs.preview.steps.push({ run: "npm run deploy" }, { run: "npx pulumi up" });
    expect(runCommandProblems(changed, packageJson.scripts, documented)).toEqual([
      '"npm run deploy" calls no script of package.json',
      '"npm run deploy" is not documented in README.md',
      '"npx pulumi up" is not an npm command',
    ]);
  });

  it("hand secrets only to the steps that need them, and never print one", () => {
    for (const w of [preview, deploy]) {
      expect(secretLeaks(w)).toEqual([]);
      for (const job of Object.values(w.jobs)) {
        expect(job.env).toBeUndefined();
        // npm ci runs dependencies' install scripts: no secret in its environment.
        for (const step of job.steps.filter((s) => s.run?.startsWith("npm "))) expect(step.env).toBeUndefined();
      }
      // The credentials: Pulumi Cloud token, or a backend URL and passphrase (self-managed state).
      const step = pulumiStep(w);
      expect(step.env).toEqual({
        PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
        PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
      });
      expect(step.with?.["cloud-url"]).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
    }

    // The check itself catches a printed secret and a secret spliced into a script.
    const leaky = parse(read(files.deploy)) as Workflow;
    const check = leaky.jobs.up.steps[0];
    check.run = `${check.run}\necho "token: $PULUMI_ACCESS_TOKEN"`;
    leaky.jobs.up.steps.push({ run: "pulumi login --token ${{ secrets.PULUMI_ACCESS_TOKEN }}" });
    expect(secretLeaks(leaky)).toEqual(["jobs.up.steps.6.run uses a secret outside env:/with:", '"echo "token: $PULUMI_ACCESS_TOKEN"" prints PULUMI_ACCESS_TOKEN']);
  });

  it.each([
    ["preview", preview],
    ["deploy", deploy],
  ] as const)("the %s credentials check fails without credentials and passes with either kind", (_, w) => {
    const check = stepsOf(w)[0];
    expect(check.name).toBe("Check the state backend secrets");
    // GitHub runs `run:` scripts with bash -e. (SHLVL only because bash without it in its
    // environment can take 0.2 s to start.)
    const run = (env: Record<string, string>) => spawnSync("bash", ["-e", "-c", check.run!], { env: { PATH: process.env.PATH ?? "", SHLVL: "1", ...env }, encoding: "utf8" });
    const none = run({});
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(/^::error::Set the .*PULUMI_ACCESS_TOKEN/);
    expect(run({ PULUMI_ACCESS_TOKEN: "t" }).status).toBe(0);
    expect(run({ PULUMI_BACKEND_URL: "file:///state", PULUMI_CONFIG_PASSPHRASE: "p" }).status).toBe(0);
    expect(run({ PULUMI_BACKEND_URL: "file:///state" }).status).toBe(1);
    expect(run({ PULUMI_CONFIG_PASSPHRASE: "p" }).status).toBe(1);
  });
});
