/**
 * lib/dockerEngine.ts against a real Docker engine (when one is reachable: TEST_DOCKER_HOST,
 * DOCKER_HOST or /var/run/docker.sock, plus busybox-static for the test image) and against the
 * stand-in the e2e uses (test/support/dockerEngineStandIn.ts). Both run the same cases, so a stand-in
 * that drifts from Docker's answers fails here next to the real thing.
 */
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import {
  DEFAULT_DOCKER_HOST,
  describeState,
  dockerEndpoint,
  DockerEndpoint,
  dockerHostSupported,
  inspectContainer,
  isHealthy,
  startContainer,
  stopContainer,
  waitUntilHealthy,
} from "../lib/dockerEngine";
import { DockerEngineStandIn, startDockerEngineStandIn } from "./support/dockerEngineStandIn";
import { ensureTestImage, realDocker, removeTestContainer, runTestContainer } from "./support/realDocker";

interface Engine {
  endpoint: DockerEndpoint;
  run(name: string, healthCheckPasses: boolean): Promise<void>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

async function standInEngine(): Promise<Engine> {
  const standIn: DockerEngineStandIn = await startDockerEngineStandIn();
  return {
    endpoint: dockerEndpoint(standIn.host),
    run: async (name, passes) => void standIn.add(name, { healthCheckPasses: passes, checkAfterMs: 200 }),
    remove: async (name) => standIn.remove(name),
    close: () => standIn.stop(),
  };
}

async function realEngine(): Promise<Engine> {
  const found = await realDocker();
  if ("problem" in found) throw new Error(`real Docker engine expected but: ${found.problem}`);
  await ensureTestImage(found.endpoint);
  return {
    endpoint: found.endpoint,
    run: (name, passes) => runTestContainer(found.endpoint, name, passes),
    remove: (name) => removeTestContainer(found.endpoint, name),
    close: async () => undefined,
  };
}

// A real engine is used when its socket is there and busybox-static is installed; otherwise say why.
const realHost = process.env.TEST_DOCKER_HOST || process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
const realProblem = !realHost.startsWith("unix://")
  ? undefined
  : !existsSync(realHost.slice("unix://".length))
    ? `no Docker engine at ${realHost} (set TEST_DOCKER_HOST)`
    : !existsSync("/bin/busybox") && !existsSync("/usr/bin/busybox")
      ? "busybox-static is not installed (the test image is built from it)"
      : undefined;
if (realProblem) process.stdout.write(`\nreal Docker engine cases skipped: ${realProblem}\n\n`);

const engines: Array<[string, () => Promise<Engine>, boolean]> = [
  ["the Docker Engine API stand-in", standInEngine, true],
  [`a real Docker engine (${realHost})`, realEngine, !realProblem],
];

describe.each(engines)("Docker Engine API calls against %s", (_label, makeEngine, available) => {
  const suite = available ? it : it.skip;
  let engine: Engine;
  const names: string[] = [];
  const fresh = () => {
    const name = `creatio-identity-test-${randomBytes(4).toString("hex")}`;
    names.push(name);
    return name;
  };

  beforeAll(async () => {
    if (available) engine = await makeEngine();
  }, 120000);
  afterAll(async () => {
    if (!engine) return;
    for (const name of names) await engine.remove(name).catch(() => undefined);
    await engine.close();
  });

  suite("reports a container that does not exist, and stop/start of it as missing", async () => {
    const name = fresh();
    expect(await inspectContainer(engine.endpoint, name)).toEqual({ exists: false });
    expect(await stopContainer(engine.endpoint, name)).toBe("missing");
    expect(await startContainer(engine.endpoint, name)).toBe("missing");
    expect(describeState({ exists: false })).toBe("no such container");
  });

  suite(
    "waits until the health check passes",
    async () => {
      const name = fresh();
      await engine.run(name, true);
      const early = await inspectContainer(engine.endpoint, name);
      expect(early).toMatchObject({ exists: true, running: true, status: "running" });
      const state = await waitUntilHealthy(engine.endpoint, name, 20000, 100);
      expect(state).toMatchObject({ exists: true, running: true, status: "running", health: "healthy" });
      expect(isHealthy(state)).toBe(true);
    },
    30000,
  );

  suite(
    "stops and starts it again, and says when there was nothing to do",
    async () => {
      const name = fresh();
      await engine.run(name, true);
      expect(await startContainer(engine.endpoint, name)).toBe("already running");
      expect(await stopContainer(engine.endpoint, name, 5)).toBe("stopped");
      const stopped = await inspectContainer(engine.endpoint, name);
      expect(stopped).toMatchObject({ exists: true, running: false, status: "exited", exitCode: 143 });
      expect(isHealthy(stopped)).toBe(false);
      expect(await stopContainer(engine.endpoint, name, 5)).toBe("not running");
      expect(await startContainer(engine.endpoint, name)).toBe("started");
      expect(isHealthy(await waitUntilHealthy(engine.endpoint, name, 20000, 100))).toBe(true);
    },
    30000,
  );

  suite(
    "gives up on a health check that never passes, with the state in words",
    async () => {
      const name = fresh();
      await engine.run(name, false);
      const started = Date.now();
      // Both engines' checks fail within half a second (the real one: 200 ms interval, 2 retries).
      const state = await waitUntilHealthy(engine.endpoint, name, 1500, 100);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(Date.now() - started).toBeLessThan(4500);
      expect(state).toMatchObject({ running: true, health: "unhealthy" });
      expect(isHealthy(state)).toBe(false);
      expect(describeState(state)).toMatch(/^running, health unhealthy/);
    },
    30000,
  );
});

describe("Docker hosts", () => {
  it("speaks to unix sockets and plain TCP, and names what it cannot reach", () => {
    expect(dockerEndpoint("unix:///run/user/1000/docker.sock")).toEqual({ socketPath: "/run/user/1000/docker.sock" });
    expect(dockerEndpoint("tcp://10.0.0.5:2375")).toEqual({ hostname: "10.0.0.5", port: 2375 });
    expect(dockerEndpoint("")).toEqual({ socketPath: "/var/run/docker.sock" });
    expect(() => dockerEndpoint("ssh://deploy@docker-host")).toThrow(/unix:\/\/ sockets and plain tcp:\/\/ only, not ssh:\/\/ or TLS/);
    expect(dockerHostSupported("ssh://deploy@docker-host")).toBe(false);
    expect(dockerHostSupported("unix:///var/run/docker.sock")).toBe(true);
  });

  it("reports an engine that is not there by its address", async () => {
    await expect(inspectContainer(dockerEndpoint("unix:///nonexistent/docker.sock"), "x")).rejects.toThrow(
      /cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker.sock \(GET \/containers\/x\/json\): ENOENT/,
    );
  });
});
