/**
 * Where scripts/install-pulumi-from-source.sh puts the Pulumi CLI it builds, and whether it is there.
 * The same default and the same PULUMI_TOOLS_CACHE override as the script, so the test finds
 * exactly what the script built. And the `describe` of a suite that needs it.
 */
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The @pulumi/pulumi version installed, which the script pins the CLI to. */
export function pulumiSdkVersion(): string {
  return require("@pulumi/pulumi/package.json").version;
}

/** The cache root (PulumiCommand.get's `root`: the CLI is `<root>/bin/pulumi`). */
export function pulumiToolsRoot(): string {
  return process.env.PULUMI_TOOLS_CACHE || join(homedir(), ".cache", "creatio-identity", `pulumi-${pulumiSdkVersion()}`);
}

/** Why the e2e cannot run (a sentence), or undefined when the CLI and the dynamic-provider shim are in place. */
export function pulumiToolsProblem(root = pulumiToolsRoot()): string | undefined {
  for (const tool of ["pulumi", "pulumi-resource-pulumi-nodejs"]) {
    try {
      accessSync(join(root, "bin", tool), constants.X_OK);
    } catch {
      return `Pulumi CLI not built (${join(root, "bin", tool)} is missing); run scripts/install-pulumi-from-source.sh`;
    }
  }
  return undefined;
}

/**
 * `describe` for a suite that needs the built CLI: without it the suite is skipped, saying why in
 * its title and on stdout, unless CREATIO_E2E_REQUIRE_ENGINE=1 (.ci/run sets it after building the
 * CLI), which makes a missing CLI a failure instead.
 */
export function describeWithPulumiTools(title: string, body: () => void): void {
  describeWhenBuilt(title, pulumiToolsProblem(), body);
}

/**
 * `describe` when `problem` (why the tools a suite needs are missing) is undefined; otherwise the
 * suite is skipped with `problem` in its title and on stdout, or, under CREATIO_E2E_REQUIRE_ENGINE=1,
 * describing it fails.
 */
export function describeWhenBuilt(title: string, problem: string | undefined, body: () => void): void {
  if (!problem) {
    describe(title, body);
    return;
  }
  if (process.env.CREATIO_E2E_REQUIRE_ENGINE === "1") throw new Error(`e2e cannot run: ${problem}`);
  process.stdout.write(`\ne2e skipped: ${problem}\n\n`);
  describe.skip(`${title} (e2e skipped: ${problem})`, body);
}
