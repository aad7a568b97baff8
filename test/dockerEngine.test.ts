/**
 * lib/dockerEngine.ts against real Docker engines (when they are there: a socket, ssh:// and TLS, see
 * test/support/realDocker.ts; each kind skips, saying why, without its engine, unless
 * CREATIO_TEST_REQUIRE_DOCKER makes that a failure) and against the stand-in the other tests use
 * (test/support/dockerEngineStandIn.ts). All run the same cases, so a stand-in that drifts from
 * Docker's answers fails here next to the real thing.
 */
import { randomBytes } from "node:crypto";
import { describeState, DockerEngine, inspectContainer, isHealthy, openDockerEngine, startContainer, stopContainer, waitUntilHealthy } from "../lib/dockerEngine";
import { resolveDockerHost } from "../lib/dockerHost";
import { DockerEngineStandIn, startDockerEngineStandIn } from "./support/dockerEngineStandIn";
import { connectRealDocker, DOCKER_REQUIRED, RealDockerKind, realDockerHost, removeTestContainer, runTestContainer } from "./support/realDocker";

interface Engine {
  engine: DockerEngine;
  run(name: string, healthCheckPasses: boolean): Promise<void>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

async function standInEngine(): Promise<Engine> {
  const standIn: DockerEngineStandIn = await startDockerEngineStandIn();
  const engine = openDockerEngine(resolveDockerHost({ host: standIn.host }, { env: {} }).target!);
  return {
    engine,
    run: async (name, passes) => void standIn.add(name, { healthCheckPasses: passes, checkAfterMs: 200 }),
    remove: async (name) => standIn.remove(name),
    close: async () => {
      engine.close();
      await standIn.stop();
    },
  };
}

/** A real engine of this kind; throws (failing the cases) when there is none, which only happens when CREATIO_TEST_REQUIRE_DOCKER asks for it. */
function realEngine(kind: RealDockerKind) {
  return async (): Promise<Engine> => {
    const found = realDockerHost(kind);
    if ("problem" in found) throw new Error(`a real Docker engine (${kind}) is required (CREATIO_TEST_REQUIRE_DOCKER) but: ${found.problem}`);
    const engine = await connectRealDocker(found);
    return {
      engine,
      // Created and removed over the same connection: the set-up goes over ssh or TLS too.
      run: (name, passes) => runTestContainer(engine, name, passes),
      remove: (name) => removeTestContainer(engine, name),
      close: async () => engine.close(),
    };
  };
}

const engines: Array<[string, () => Promise<Engine>, boolean]> = [["the Docker Engine API stand-in", standInEngine, true]];
for (const kind of ["socket", "ssh", "tls"] as const) {
  const found = realDockerHost(kind);
  if ("problem" in found && !DOCKER_REQUIRED) process.stdout.write(`\nreal Docker engine cases (${kind}) skipped: ${found.problem}\n\n`);
  engines.push([`a real Docker engine over ${kind} (${"problem" in found ? "none" : found.label})`, realEngine(kind), !("problem" in found) || DOCKER_REQUIRED]);
}

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
    expect(await inspectContainer(engine.engine, name)).toEqual({ exists: false });
    expect(await stopContainer(engine.engine, name)).toBe("missing");
    expect(await startContainer(engine.engine, name)).toBe("missing");
    expect(describeState({ exists: false })).toBe("no such container");
  });

  suite(
    "waits until the health check passes",
    async () => {
      const name = fresh();
      await engine.run(name, true);
      const early = await inspectContainer(engine.engine, name);
      expect(early).toMatchObject({ exists: true, running: true, status: "running" });
      const state = await waitUntilHealthy(engine.engine, name, 20000, 100);
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
      expect(await startContainer(engine.engine, name)).toBe("already running");
      expect(await stopContainer(engine.engine, name, 5)).toBe("stopped");
      const stopped = await inspectContainer(engine.engine, name);
      expect(stopped).toMatchObject({ exists: true, running: false, status: "exited", exitCode: 143 });
      expect(isHealthy(stopped)).toBe(false);
      expect(await stopContainer(engine.engine, name, 5)).toBe("not running");
      expect(await startContainer(engine.engine, name)).toBe("started");
      expect(isHealthy(await waitUntilHealthy(engine.engine, name, 20000, 100))).toBe(true);
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
      const state = await waitUntilHealthy(engine.engine, name, 1500, 100);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(Date.now() - started).toBeLessThan(4500);
      expect(state).toMatchObject({ running: true, health: "unhealthy" });
      expect(isHealthy(state)).toBe(false);
      expect(describeState(state)).toMatch(/^running, health unhealthy/);
    },
    30000,
  );
});

describe("an engine that is not there", () => {
  it("is reported by its address and the call", async () => {
    const engine = openDockerEngine({ kind: "socket", address: "unix:///nonexistent/docker.sock", socketPath: "/nonexistent/docker.sock" });
    await expect(inspectContainer(engine, "x")).rejects.toThrow(
      "cannot reach the Docker engine at unix:///nonexistent/docker.sock (inspect container x): connect ENOENT /nonexistent/docker.sock",
    );
    engine.close();
  });
});
