/**
 * Real Docker engines for tests, when there are any, reached the three ways the package supports:
 * - socket: TEST_DOCKER_HOST, else DOCKER_HOST, else the default socket;
 * - ssh: TEST_DOCKER_SSH_HOST (`ssh://root@127.0.0.1:<port>`) with TEST_DOCKER_SSH_OPTS (ssh options,
 *   white-space separated as DOCKER_SSH_OPTS: the key, known_hosts), given to the package as
 *   `docker:host` and `docker:sshOpts`;
 * - tls: TEST_DOCKER_TLS_HOST (`tcp://127.0.0.1:<port>`, a dockerd with --tlsverify) with
 *   TEST_DOCKER_TLS_CERT_PATH (ca.pem, cert.pem, key.pem), given to the package the way a user of the
 *   Docker CLI has them: DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH in the environment.
 * scripts/docker-test-hosts.sh starts all three (.ci/run runs it). Without them the real cases skip
 * and say why; with CREATIO_TEST_REQUIRE_DOCKER set (as .ci/run sets it), a missing one fails instead.
 *
 * No image can be pulled on the machines this runs on, so the test image is made here: a root
 * filesystem holding only a static busybox (Debian's busybox-static) and /tmp, imported as
 * `docker import` does. Containers run with `--init`, so `docker stop` ends them at once.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, symlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DOCKER_HOST, DockerConnectionSettings, DockerTarget, resolveDockerHost } from "../../lib/dockerHost";
import { DockerEngine, openDockerEngine } from "../../lib/dockerEngine";

export const TEST_IMAGE = "creatio-identity-test-busybox:1";
const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => existsSync(p));

/** Set by .ci/run: a real engine that is missing is an error, not a skip. */
export const DOCKER_REQUIRED = !!process.env.CREATIO_TEST_REQUIRE_DOCKER;

export type RealDockerKind = "socket" | "ssh" | "tls";

/** How the package is pointed at one real engine: its `docker:host` and other `docker:*` settings, and the environment to set while it is used. */
export interface RealDockerHost {
  readonly kind: RealDockerKind;
  /** For test names: `ssh://root@127.0.0.1:2222`. */
  readonly label: string;
  readonly dockerHost?: string;
  readonly dockerConnection?: DockerConnectionSettings;
  readonly env: Readonly<Record<string, string>>;
  readonly target: DockerTarget;
}

/** The engine of one kind from the environment, or why there is none (a sentence for the skip message). */
export function realDockerHost(kind: RealDockerKind): RealDockerHost | { problem: string } {
  if (!BUSYBOX) return { problem: "busybox-static is not installed (the test image is built from it; apt-get install busybox-static)" };
  let host: Omit<RealDockerHost, "target" | "kind">;
  if (kind === "socket") {
    const value = process.env.TEST_DOCKER_HOST || process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
    if (value.startsWith("unix://") && !existsSync(value.slice("unix://".length)))
      return { problem: `no Docker engine at ${value} (set TEST_DOCKER_HOST, or run scripts/docker-test-hosts.sh)` };
    host = { label: value, dockerHost: value, env: {} };
  } else if (kind === "ssh") {
    const value = process.env.TEST_DOCKER_SSH_HOST;
    if (!value) return { problem: "TEST_DOCKER_SSH_HOST is not set (scripts/docker-test-hosts.sh starts an sshd for it)" };
    const sshOpts = (process.env.TEST_DOCKER_SSH_OPTS ?? "").split(/\s+/).filter(Boolean);
    host = { label: value, dockerHost: value, dockerConnection: sshOpts.length ? { sshOpts } : undefined, env: {} };
  } else {
    const value = process.env.TEST_DOCKER_TLS_HOST;
    const certPath = process.env.TEST_DOCKER_TLS_CERT_PATH;
    if (!value || !certPath)
      return { problem: "TEST_DOCKER_TLS_HOST and TEST_DOCKER_TLS_CERT_PATH are not set (scripts/docker-test-hosts.sh starts a dockerd with --tlsverify for them)" };
    host = { label: `${value} (TLS)`, env: { DOCKER_HOST: value, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certPath } };
  }
  const resolved = resolveDockerHost({ ...host.dockerConnection, host: host.dockerHost }, { env: { ...process.env, ...host.env } });
  if (!resolved.target) return { problem: resolved.problems.map((p) => `${p.setting}: ${p.text}`).join(" ") };
  return { ...host, kind, target: resolved.target };
}

/** Sets the host's environment (TLS: DOCKER_HOST & co.) until the returned function puts it back. */
export function useEnvironment(env: Readonly<Record<string, string>>): () => void {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** A connection to the engine that answers `_ping`, with the test image imported; throws when it does not answer. */
export async function connectRealDocker(host: RealDockerHost): Promise<DockerEngine> {
  const engine = openDockerEngine(host.target);
  try {
    await engine.docker.ping();
  } catch (e) {
    engine.close();
    throw new Error(`the Docker engine at ${host.label} does not answer _ping: ${(e as Error).message}`);
  }
  await ensureTestImage(engine);
  return engine;
}

/** Imports the busybox test image once per engine (idempotent). */
export async function ensureTestImage(engine: DockerEngine): Promise<string> {
  try {
    await engine.docker.getImage(TEST_IMAGE).inspect();
    return TEST_IMAGE;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
  }
  const root = mkdtempSync(join(tmpdir(), "busybox-rootfs-"));
  try {
    mkdirSync(join(root, "bin"));
    mkdirSync(join(root, "tmp"));
    copyFileSync(BUSYBOX!, join(root, "bin", "busybox"));
    for (const applet of ["sh", "sleep", "test", "true", "false"]) symlinkSync("busybox", join(root, "bin", applet));
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const [repo, tag] = TEST_IMAGE.split(":");
    const progress = await engine.docker.importImage(tar.stdout, { repo, tag });
    await new Promise<void>((resolve, reject) => engine.docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())));
    await engine.docker.getImage(TEST_IMAGE).inspect();
    return TEST_IMAGE;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Creates and starts a container whose health check passes (after about `delayMs`) or never does,
 * restart policy unless-stopped, no network: the Identity Service container in miniature.
 */
export async function runTestContainer(engine: DockerEngine, name: string, healthCheckPasses: boolean, delayMs = 300): Promise<void> {
  const seconds = (delayMs / 1000).toFixed(1);
  const container = await engine.docker.createContainer({
    name,
    Image: TEST_IMAGE,
    Cmd: ["sh", "-c", healthCheckPasses ? `sleep ${seconds}; : > /tmp/healthy; exec sleep 600` : "exec sleep 600"],
    Healthcheck: { Test: ["CMD", "test", "-f", "/tmp/healthy"], Interval: 200_000_000, Timeout: 2_000_000_000, Retries: 2 },
    HostConfig: { NetworkMode: "none", Init: true, RestartPolicy: { Name: "unless-stopped" } },
  });
  await container.start();
}

export async function removeTestContainer(engine: DockerEngine, name: string): Promise<void> {
  await engine.docker.getContainer(name).remove({ force: true });
}
