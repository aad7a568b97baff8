/**
 * What makes `npm test` quicker keeps what a test sees: the lazy stand-ins load the real module when
 * it is used, the script cache still gives each module registry its own module instances, Pulumi's
 * promise traces come back with PULUMI_DEBUG_PROMISE_LEAKS, a resource's trace of its callers is
 * still read, skipped waits still reach their deadline and give the real clock back, the test keys
 * come from the global set-up, and jest runs as many workers as jest.config.js means it to.
 */
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";

const loaded = () => Object.keys(require.cache);

describe("the lazy stand-ins for what @pulumi/pulumi loads and most files never use", () => {
  it("leave @npmcli/arborist unloaded until it is used, then give the real module", async () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    expect(loaded().filter((f) => f.includes("/node_modules/@npmcli/arborist/"))).toEqual([]);
    expect(loaded().filter((f) => f.includes("/node_modules/normalize-package-data/"))).toEqual([]);

    // computeCodePaths is what Pulumi loads them for: it reads the package tree with Arborist and
    // each package.json with normalize-package-data.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-paths-"));
    try {
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "code-paths-probe", version: "1.0.0", dependencies: { probe: "1.0.0" } }));
      fs.mkdirSync(path.join(dir, "node_modules", "probe"), { recursive: true });
      fs.writeFileSync(path.join(dir, "node_modules", "probe", "package.json"), JSON.stringify({ name: "probe", version: "1.0.0" }));
      fs.writeFileSync(path.join(dir, "node_modules", "probe", "index.js"), "module.exports = 1;\n");
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        const paths = await pulumi.runtime.computeCodePaths();
        expect([...paths.keys()]).toEqual(["node_modules/probe"]);
      } finally {
        process.chdir(cwd);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(loaded().some((f) => f.includes("/node_modules/@npmcli/arborist/"))).toBe(true);
    expect(loaded().some((f) => f.includes("/node_modules/normalize-package-data/"))).toBe(true);
    const { Arborist } = require("@npmcli/arborist") as { Arborist: unknown };
    expect(typeof Arborist).toBe("function");
  });

  it("leave typescript unloaded until Pulumi's closure serializer parses a function", async () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const typescriptLoaded = () => loaded().some((f) => f.endsWith("/node_modules/typescript/lib/typescript.js"));
    expect(loaded().some((f) => f.includes("/@pulumi/pulumi/runtime/closure/parseFunction.js"))).toBe(true);
    expect(typescriptLoaded()).toBe(false);
    const factor = 6;
    const serialized = await pulumi.runtime.serializeFunction(() => (x: number) => x * factor);
    expect(serialized.text).toContain("factor");
    expect(typescriptLoaded()).toBe(true);
  });
});

describe("the script cache of node_modules", () => {
  it("runs a module again for each registry: instances and their state are never shared", () => {
    const first = require("semver/functions/parse") as object;
    let second: object | undefined;
    jest.isolateModules(() => {
      second = require("semver/functions/parse") as object;
    });
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(require("semver/functions/parse")).toBe(first);
  });
});

describe("stack traces (test/support/setupStackTraces.ts)", () => {
  const leakDebug = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
  afterEach(() => {
    if (leakDebug === undefined) delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    else process.env.PULUMI_DEBUG_PROMISE_LEAKS = leakDebug;
  });
  const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: <T>(p: Promise<T>, ctx: string) => Promise<T> };
  const recordedTrace = async () => {
    const recorded = Promise.resolve(1);
    await debuggablePromise(recorded, "probe");
    return (recorded as unknown as { _debugStackTrace: string })._debugStackTrace;
  };

  it("leave out the trace @pulumi/pulumi records for each promise, and keep every other error's, mapped to TypeScript", async () => {
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    expect(await recordedTrace()).toBe("Error (stack left out: set PULUMI_DEBUG_PROMISE_LEAKS to keep it)");
    expect(new Error("own").stack).toMatch(/^Error: own\n\s+at .*testHarness\.test\.ts:\d+:\d+/);
  });

  it("keep the promise traces for the SDK's leak report when PULUMI_DEBUG_PROMISE_LEAKS is set", async () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    expect(await recordedTrace()).toMatch(/^Error\n\s+at debuggablePromise \(.*\/@pulumi\/pulumi\/runtime\/debuggable\.js:\d+:\d+\)/);
  });

  it("give a resource's constructor its callers unmapped: the frames of the code jest runs, which the SDK still reads", () => {
    const { Resource } = require("@pulumi/pulumi") as { Resource: { callsites(): { file?: string; line?: number }[] } };
    const here = (frames: { file?: string; line?: number }[]) => frames.find((f) => f.file === __filename)?.line;
    // Both on one line of this file: a mapped trace gives that line for both.
    const [sdkLine, ownLine] = [here(Resource.callsites()), Number(/testHarness\.test\.ts:(\d+):/.exec(new Error().stack ?? "")?.[1])];
    expect(ownLine).toBeGreaterThan(0);
    expect(sdkLine).toBeGreaterThan(0);
    // ts-jest's output has the imports' require lines at the top, so its line numbers differ from the source's.
    expect(sdkLine).not.toBe(ownLine);
  });
});

describe("withSkippedWaits (test/support/skippedWaits.ts)", () => {
  it("lets a wait run to its deadline without sleeping, for that step only", async () => {
    const clock = require("../lib/clock") as typeof import("../lib/clock");
    const { waitForIdentityService } = require("../lib/identityServiceProbe") as typeof import("../lib/identityServiceProbe");
    const { withSkippedWaits } = require("./support/skippedWaits") as typeof import("./support/skippedWaits");
    const real = clock.systemClock;
    const started = Date.now();
    // Port 1 refuses at once: every attempt fails quickly, and only the sleeps between them remain.
    const { result, skippedMs } = await withSkippedWaits(() =>
      waitForIdentityService({ url: "http://127.0.0.1:1", clientId: "c", clientSecret: "s", timeoutMs: 60_000 }).catch((e: Error) => e),
    );
    expect((result as Error).message).toContain("The Identity Service at http://127.0.0.1:1 was not ready after 60 s");
    expect(skippedMs).toBeGreaterThanOrEqual(55_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(clock.systemClock).toBe(real);
  });
});

describe("the run's test keys (test/support/testKeys.ts)", () => {
  it("are two different RSA 2048 keys that globalSetup made for this run, readable by this user only", () => {
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const { testKeyPem } = require("./support/testKeys") as typeof import("./support/testKeys");
    const dir = process.env.TEST_KEYS_DIR as string;
    expect(dir).toBeTruthy();
    for (const key of [0, 1] as const) {
      expect(testKeyPem(key)).toBe(fs.readFileSync(path.join(dir, `rsa-${key}.pem`), "utf8"));
      expect(fs.statSync(path.join(dir, `rsa-${key}.pem`)).mode & 0o077).toBe(0);
      expect(crypto.createPrivateKey(testKeyPem(key)).asymmetricKeyDetails).toMatchObject({ modulusLength: 2048 });
    }
    expect(testKeyPem(0)).not.toBe(testKeyPem(1));
  });
});

describe("jest's worker count (jest.config.js)", () => {
  it("is one and a half workers per core as jest reads the config", async () => {
    const { readConfig } = require("jest-config") as typeof import("jest-config");
    const { globalConfig } = await readConfig({ $0: "jest", _: [] }, path.resolve(__dirname, ".."));
    expect(globalConfig.maxWorkers).toBe(Math.round(os.availableParallelism() * 1.5));
  });
});
