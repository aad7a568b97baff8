/**
 * An Automation API stack for an inline program, run by the Pulumi CLI that
 * scripts/install-pulumi-from-source.sh builds: file backend, passphrase secrets and PULUMI_HOME in
 * temp directories, and a work dir whose node_modules is the repository's (the dynamic provider
 * resolves @pulumi/pulumi and pg from there). Plus the recording of one engine operation and what
 * the e2e files read from it and from the checkpoint.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EngineEvent, LocalWorkspace, OpMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { pulumiSdkVersion, pulumiToolsRoot } from "./pulumiTools";

export interface InlineStack {
  readonly stack: Stack;
  readonly stackName: string;
  readonly workDir: string;
  readonly backendDir: string;
  readonly pulumiHome: string;
  /** The environment the CLI runs with (backend, passphrase, no update check). */
  readonly env: Record<string, string>;
  /** Removes the temp directories (after `destroy` and `removeStack`). */
  cleanUp(): void;
}

/**
 * A new stack (random name) of `projectName` running `program`. Fails, leaving nothing behind, unless
 * the CLI is the one the script built for this SDK (same version), not some other pulumi.
 */
export async function createInlineStack(projectName: string, program: () => Promise<Record<string, unknown>>): Promise<InlineStack> {
  const stackName = `e2e-${randomBytes(3).toString("hex")}`;
  const workDir = mkdtempSync(join(tmpdir(), `${projectName}-work-`));
  const backendDir = mkdtempSync(join(tmpdir(), `${projectName}-state-`));
  const pulumiHome = mkdtempSync(join(tmpdir(), `${projectName}-home-`));
  const cleanUp = () => {
    for (const dir of [workDir, backendDir, pulumiHome]) rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(resolve(__dirname, "..", "..", "node_modules"), join(workDir, "node_modules"), "dir");
    const env = { PULUMI_CONFIG_PASSPHRASE: randomBytes(12).toString("hex"), PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_BACKEND_URL: `file://${backendDir}` };
    const pulumiCommand = await PulumiCommand.get({ root: pulumiToolsRoot(), skipVersionCheck: false });
    if (pulumiCommand.version?.toString() !== pulumiSdkVersion()) throw new Error(`the Pulumi CLI is ${String(pulumiCommand.version)}, the SDK ${pulumiSdkVersion()}`);
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName, projectName, program },
      {
        workDir,
        pulumiHome,
        pulumiCommand,
        secretsProvider: "passphrase",
        projectSettings: { name: projectName, runtime: "nodejs", backend: { url: `file://${backendDir}` } },
        envVars: env,
      },
    );
    return { stack, stackName, workDir, backendDir, pulumiHome, env, cleanUp };
  } catch (e) {
    cleanUp();
    throw e;
  }
}

/** Engine output and events of one operation, and the options that record them (with a time limit). */
export interface Recording {
  output: string;
  readonly events: EngineEvent[];
  readonly opts: { onOutput(s: string): void; onEvent(e: EngineEvent): void; signal: AbortSignal };
}

export function recorder(timeoutMs = 4 * 60 * 1000): Recording {
  const r: Recording = {
    output: "",
    events: [],
    opts: {
      onOutput: (s) => {
        r.output += s;
      },
      onEvent: (e) => {
        r.events.push(e);
      },
      signal: AbortSignal.timeout(timeoutMs),
    },
  };
  return r;
}

/** Resource name → every step op the engine announced for it, in order, for the names given. */
export function allOpsByName(events: EngineEvent[], names: readonly string[]): Record<string, string[]> {
  const ops: Record<string, string[]> = {};
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    const name = m?.urn.split("::").pop() as string;
    if (m && names.includes(name)) (ops[name] ??= []).push(m.op);
  }
  return ops;
}

/** Resource name → the step op the engine announced for it (the last one), for the names given. */
export function opsByName(events: EngineEvent[], names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(allOpsByName(events, names)).map(([name, ops]) => [name, ops[ops.length - 1]]));
}

/** The resources of a checkpoint (`exportStack`, `exportWithoutSecrets`) with this name: one, unless something went wrong. */
export function resourcesNamed(checkpoint: { deployment: any }, name: string): any[] {
  return (checkpoint.deployment.resources ?? []).filter((r: any) => String(r.urn).endsWith(`::${name}`));
}

/** The kinds of change in a summary that are not "same", with their counts. */
export function changesOf(summary: OpMap | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0));
}

/** Every diagnostic message of an operation (errors, warnings, the providers' stderr), joined. */
export function diagnosticsOf(events: EngineEvent[]): string {
  return events
    .map((e) => e.diagnosticEvent)
    .filter((d) => d && (d.severity as string) !== "debug")
    .map((d) => d!.message)
    .join("\n");
}

/**
 * `pulumi stack export` as anyone with access to the backend gets it: without --show-secrets (the
 * Automation API's exportStack always decrypts).
 */
export async function exportWithoutSecrets(inline: InlineStack): Promise<any> {
  const { stdout } = await promisify(execFile)(join(pulumiToolsRoot(), "bin", "pulumi"), ["stack", "export", "--stack", inline.stackName, "--non-interactive"], {
    cwd: inline.workDir,
    env: { ...process.env, ...inline.env, PULUMI_HOME: inline.pulumiHome },
    timeout: 60000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}
