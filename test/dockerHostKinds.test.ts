/**
 * The health gate and the snapshot restore's stop and start against real Docker engines, once over
 * each kind of host the package supports: the engine's unix socket (`docker:host`), ssh:// to an sshd
 * on 127.0.0.1 reaching the same engine (`docker:host` and `docker:sshOpts`), and tcp:// to a dockerd
 * with --tlsverify, named the Docker CLI's way (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH in
 * the environment). The providers get their inputs as the stack gives them and find the engine
 * themselves (lib/dockerHost.ts), as they do under the engine. scripts/docker-test-hosts.sh starts
 * the three (.ci/run runs it); without one its cases skip, saying why, or fail under
 * CREATIO_TEST_REQUIRE_DOCKER.
 */
import { randomBytes } from "node:crypto";
import { identityServiceHealthGateProvider as gate, IdentityServiceHealthGateInputs } from "../components/identityServiceHealthGate";
import { serviceWorkload } from "../components/identityDatabaseSnapshot/workload";
import type { IdentityDatabaseSnapshotInputs } from "../components/identityDatabaseSnapshot";
import { DockerEngine, inspectContainer, isHealthy } from "../lib/dockerEngine";
import { connectRealDocker, DOCKER_REQUIRED, RealDockerHost, RealDockerKind, realDockerHost, removeTestContainer, runTestContainer, useEnvironment } from "./support/realDocker";

const kinds: RealDockerKind[] = ["socket", "ssh", "tls"];

describe.each(kinds)("over %s: the health gate and the restore's stop and start", (kind) => {
  const found = realDockerHost(kind);
  if ("problem" in found && !DOCKER_REQUIRED) process.stdout.write(`\nhealth gate and restore over ${kind} skipped: ${found.problem}\n\n`);
  const suite = "problem" in found && !DOCKER_REQUIRED ? it.skip : it;
  let host: RealDockerHost;
  let engine: DockerEngine;
  let restoreEnvironment = () => undefined as void;
  const name = `creatio-identity-test-${kind}-${randomBytes(3).toString("hex")}`;

  beforeAll(async () => {
    if ("problem" in found) {
      if (DOCKER_REQUIRED) throw new Error(`a real Docker engine over ${kind} is required (CREATIO_TEST_REQUIRE_DOCKER) but: ${found.problem}`);
      return;
    }
    host = found;
    restoreEnvironment = useEnvironment(host.env);
    // The test's own connection sets up the container; the providers open theirs from their inputs.
    engine = await connectRealDocker(host);
    await runTestContainer(engine, name, true, 500);
  }, 120000);
  afterAll(async () => {
    restoreEnvironment();
    if (!engine) return;
    await removeTestContainer(engine, name).catch(() => undefined);
    engine.close();
  });

  suite(
    "the gate waits until the new container is healthy",
    async () => {
      const inputs: IdentityServiceHealthGateInputs = {
        containerName: name,
        containerId: "c1",
        image: "creatio-identity-service:src-111111111111",
        dockerHost: host.dockerHost,
        dockerConnection: host.dockerConnection,
        timeoutSeconds: 30,
      };
      const { outs } = await gate.create(inputs);
      expect(outs).toMatchObject({ containerName: name, healthyAt: expect.any(String) });
      expect(isHealthy(await inspectContainer(engine, name))).toBe(true);
    },
    60000,
  );

  suite(
    "a restore stops the container, and starts it again afterwards and waits until it is healthy",
    async () => {
      const workload = serviceWorkload({
        dbProvider: "Postgres",
        connectionString: "Host=unused;Database=unused;Username=unused;Password=unused",
        image: "creatio-identity-service:src-111111111111",
        keep: 3,
        containerName: name,
        dockerHost: host.dockerHost,
        dockerConnection: host.dockerConnection,
        healthTimeoutSeconds: 30,
      } satisfies IdentityDatabaseSnapshotInputs);
      expect(await workload.stop()).toBe(true);
      expect(await inspectContainer(engine, name)).toMatchObject({ running: false, status: "exited" });
      expect(await workload.resume({ changes: false }, 30000)).toEqual({ leftStopped: false, problem: undefined });
      expect(isHealthy(await inspectContainer(engine, name))).toBe(true);
    },
    60000,
  );
});

describe("over ssh: a login the host refuses", () => {
  const found = realDockerHost("ssh");
  const suite = "problem" in found && !DOCKER_REQUIRED ? it.skip : it;

  suite(
    "fails the gate with ssh's own words, and with the host key checked as ssh checks it",
    async () => {
      if ("problem" in found) throw new Error(`a real Docker engine over ssh is required (CREATIO_TEST_REQUIRE_DOCKER) but: ${found.problem}`);
      const opts = found.dockerConnection?.sshOpts ?? [];
      // The same known_hosts, no key: ssh refuses the login.
      const noKey = opts.filter((o, i) => o !== "-i" && opts[i - 1] !== "-i");
      const inputs = (sshOpts: string[]): IdentityServiceHealthGateInputs => ({
        containerName: "x",
        containerId: "c1",
        image: "i",
        dockerHost: found.dockerHost,
        dockerConnection: { sshOpts: [...sshOpts, "-o", "IdentityFile=none", "-o", "IdentityAgent=none"] },
        timeoutSeconds: 5,
      });
      await expect(gate.create(inputs(noKey))).rejects.toThrow(
        /^cannot reach the Docker engine at ssh:\/\/.*\(inspect container x\): ssh to .* ended \(exit code 255\): .*Permission denied \(publickey\)/,
      );
      // An empty known_hosts: the host's key is unknown, and ssh, which cannot ask, refuses the host.
      const unknownHost = opts.map((o) => (o.startsWith("UserKnownHostsFile=") ? "UserKnownHostsFile=/dev/null" : o));
      await expect(gate.create(inputs(unknownHost))).rejects.toThrow(/Host key verification failed/);
    },
    30000,
  );
});
