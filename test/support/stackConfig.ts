/**
 * Config validation as the stack runs it, for the config test files: a project folder, the keys as
 * `pulumi config set` leaves them (with the project prefix), and the problems a ConfigError lists.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, parseStackConfig, PROJECT, StackConfig } from "../../config";

/** Every project folder made, removed after the importing file's tests. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A project folder with the unpacked Identity Service in its default place (or without it). */
export function projectDir(withIdentityService = true): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
  made.push(dir);
  if (withIdentityService) {
    fs.mkdirSync(path.join(dir, "IdentityService"));
    fs.writeFileSync(path.join(dir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");
  }
  return dir;
}

/**
 * Validates `values` (keys without the project prefix, except other namespaces' such as `kubernetes:context`); `secretKeys` were set with --secret.
 * `env` is the environment @pulumi/docker's settings fall back to: none unless given, so a DOCKER_HOST of the machine running the tests changes nothing.
 */
export function parse(values: Record<string, string>, secretKeys: string[] = [], dir = projectDir(), env: Record<string, string> = {}): StackConfig {
  const full = (k: string) => (k.includes(":") ? k : `${PROJECT}:${k}`);
  return parseStackConfig({ values: Object.fromEntries(Object.entries(values).map(([k, v]) => [full(k), v])), secretKeys: new Set(secretKeys.map(full)), projectDir: dir, env });
}

/** The problems validation lists for `values`; fails the test when there are none. */
export function problems(values: Record<string, string>, secretKeys: string[] = [], dir?: string, env?: Record<string, string>): string[] {
  try {
    parse(values, secretKeys, dir, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

/** An environment whose PATH has an `ssh` program (an ssh:// Docker host needs one), whatever the machine has; `more` on top. */
export function envWithSsh(more: Record<string, string> = {}): Record<string, string> {
  const bin = path.join(projectDir(false), "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "ssh"), "#!/bin/sh\nexit 255\n", { mode: 0o755 });
  return { PATH: bin, ...more };
}
