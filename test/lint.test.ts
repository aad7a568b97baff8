/**
 * The gates CI runs. `npm test` (scripts/test.mjs) fails when the type check or a test fails.
 * The lint gate: .ci/run calls `npm run lint`, and ESLint with this package's eslint.config.mjs exits
 * non-zero on a finding. The real ESLint CLI runs the project's config on files in a temporary folder,
 * whose own small tsconfig gives the type-aware rules their types (the package's program would take
 * ten seconds to build for two files).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stripVTControlCharacters } from "node:util";

const root = path.resolve(__dirname, "..");
const eslintCli = path.join(root, "node_modules", "eslint", "bin", "eslint.js");

type EslintResult = { filePath: string; messages: Array<{ ruleId: string | null; severity: 1 | 2; line: number; message: string }> };

describe("the lint gate", () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-gate-"));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", lib: ["ES2022"], types: [] }, include: ["*.ts"] }));
    // A forgotten await (what loses a Pulumi resource's error) and a leftover variable.
    fs.writeFileSync(
      path.join(dir, "bad.ts"),
      ["export async function save(): Promise<void> {}", "export function run(): void {", "  const unused = 1;", "  save();", "}", ""].join("\n"),
    );
    // The same code, fixed.
    fs.writeFileSync(
      path.join(dir, "clean.ts"),
      ["export async function save(): Promise<void> {}", "export async function run(): Promise<void> {", "  await save();", "}", ""].join("\n"),
    );
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("fails on a finding, naming the rule, and passes the same code fixed", () => {
    const run = spawnSync(
      process.execPath,
      [eslintCli, "--config", path.join(root, "eslint.config.mjs"), "--parser-options", `project:${path.join(dir, "tsconfig.json")}`, "--format", "json", "bad.ts", "clean.ts"],
      { cwd: dir, encoding: "utf8" },
    );
    // 1 is ESLint's "lint errors found"; 2 would be a broken config or a crash.
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: "" });
    const results = JSON.parse(run.stdout) as EslintResult[];
    const severity = { 1: "warning", 2: "error" } as const;
    const findings = Object.fromEntries(results.map((r) => [path.basename(r.filePath), r.messages.map((m) => `${m.line}: ${m.ruleId ?? m.message} (${severity[m.severity]})`)]));
    expect(findings).toEqual({
      // Errors, not warnings: only errors fail the step. no-floating-promises needs type
      // information, so this also shows the type-aware rules run.
      "bad.ts": ["3: @typescript-eslint/no-unused-vars (error)", "4: @typescript-eslint/no-floating-promises (error)"],
      "clean.ts": [],
    });
  });

  it("is a step of CI: .ci/run (set -e) calls npm run lint, which runs ESLint over the whole package", () => {
    const ciRun = fs.readFileSync(path.join(root, ".ci", "run"), "utf8");
    const commands = ciRun
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(commands).toContain("set -euo pipefail");
    expect(commands).toContain("npm run lint");
    const npmTest = commands.findIndex((l) => /(^|\s)npm test$/.test(l));
    expect(npmTest).toBeGreaterThan(-1);
    expect(commands.indexOf("npm run lint")).toBeLessThan(npmTest);
    const scripts = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.lint).toBe("eslint . && prettier --check .");
  });

  it("CI runs the tests with real Docker engines and requires their cases, stopping the engines whatever happens", () => {
    const commands = fs
      .readFileSync(path.join(root, ".ci", "run"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    const start = commands.findIndex((l) => l.includes("scripts/docker-test-hosts.sh start"));
    const trap = commands.findIndex((l) => l.startsWith("trap ") && l.endsWith(" EXIT"));
    const npmTest = commands.indexOf("CREATIO_TEST_REQUIRE_DOCKER=1 npm test");
    expect([trap > -1, start > trap, npmTest > start]).toEqual([true, true, true]);
  });

  it("fails on code Prettier would reformat, with the project's settings, and passes it formatted", () => {
    const prettierCli = path.join(root, "node_modules", "prettier", "bin", "prettier.cjs");
    fs.writeFileSync(path.join(dir, "unformatted.ts"), "export const a = {b:1,\n  c : 2}\n");
    fs.writeFileSync(path.join(dir, "formatted.ts"), "export const a = { b: 1, c: 2 };\n");
    // One run over both: it fails and names the unformatted file only.
    const check = spawnSync(process.execPath, [prettierCli, "--config", path.join(root, ".prettierrc.json"), "--check", "unformatted.ts", "formatted.ts"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(check.status).toBe(1);
    // CI sets CI=true, and Prettier then colours "[warn]" even into a pipe: compare the plain text.
    expect(stripVTControlCharacters(check.stderr).match(/^\[warn\] \S+\.ts$/gm)).toEqual(["[warn] unformatted.ts"]);
  });
});

describe("npm test (scripts/test.mjs)", () => {
  let dir: string;
  beforeAll(() => {
    // A project tsc checks in a blink: no standard library, only the global types the checker needs.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "test-command-"));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noLib: true, types: [] }, include: ["*.ts"] }));
    const globals = ["Array<T>", "Boolean", "CallableFunction", "Function", "IArguments", "NewableFunction", "Number", "Object", "RegExp", "String"];
    fs.writeFileSync(path.join(dir, "globals.d.ts"), globals.map((g) => `interface ${g} {}`).join("\n"));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `npm test` in that project with `port` typed as written and `jestArgs` handed to jest. */
  const npmTest = (port: string, jestArgs: string[]) => {
    fs.writeFileSync(path.join(dir, "port.ts"), `export const port: number = ${port};\n`);
    return spawnSync(process.execPath, [path.join(root, "scripts", "test.mjs"), ...jestArgs], { cwd: dir, encoding: "utf8" });
  };

  it("passes jest's arguments on and fails on a type error when the tests pass, printing it after jest's output", () => {
    const run = npmTest('"8443"', ["--version"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(
      /^\d+\.\d+\.\d+\nport\.ts\(1,14\): error TS2322: Type 'string' is not assignable to type 'number'\.\nType check \(tsc --noEmit -p \.\) FAILED \(exit code 2\)\n$/,
    );
  });

  it("fails with jest's exit code when the tests fail and the types are right", () => {
    const run = npmTest("8443", ["--no-such-option"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/Type check \(tsc --noEmit -p \.\): no errors, [\d.]+ s\n$/);
  });
});
