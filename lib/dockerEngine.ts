/**
 * The few Docker Engine API calls the package makes itself: inspect a container, stop it, start it,
 * wait until its health check passes. Used by the dynamic providers (which run in their own process,
 * hence `require` inside the functions) to stop the Identity Service during a restore and to gate
 * `pulumi up` on its health. No Pulumi here.
 *
 * The calls go through dockerode (docker-modem underneath), to the engine lib/dockerHost.ts resolves
 * as @pulumi/docker does: a unix socket (or Windows named pipe), tcp:// with or without TLS, or
 * ssh:// through the `ssh` program (lib/dockerSsh.ts). Answers, per the Docker Engine API reference
 * (v1.41+, unversioned paths, which the engine serves at its own version): inspect 404 for no such
 * container; stop 204 stopped, 304 already stopped, 404; start 204, 304 already running, 404.
 */
import type Dockerode from "dockerode";
import { Clock, systemClock } from "./clock";
import type { DockerTarget } from "./dockerHost";
import { sshAgent } from "./dockerSsh";

/** A connection to one engine: the client, how messages name the engine, and the way to let go of it. */
export interface DockerEngine {
  readonly docker: Dockerode;
  /** `unix:///var/run/docker.sock`, `tcp://host:2376 (TLS)`, `ssh://deploy@host`. */
  readonly address: string;
  /** Ends its connections (for ssh://, the ssh processes). */
  close(): void;
}

/**
 * Opens a client for the engine. Every connection setting is given here: docker-modem's constructor
 * also reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH by rules of its own (TLS for port
 * 2376 alone, say), and each value given overrides what it read.
 */
export function openDockerEngine(target: DockerTarget): DockerEngine {
  const Docker = require("dockerode") as typeof import("dockerode");
  const http = require("node:http") as typeof import("node:http");
  const https = require("node:https") as typeof import("node:https");
  // keepAlive: the requests of one wait reuse one connection (one TLS handshake, one ssh login);
  // close() lets it go, so no socket or process outlives the operation.
  let agent: import("node:http").Agent;
  let where: { socketPath?: string; host?: string; port?: number; protocol?: "http" | "https" };
  if (target.kind === "socket") {
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    where = { socketPath: target.socketPath };
  } else if (target.kind === "tcp") {
    // The TLS settings on the agent: Node merges them into every connection it makes. Without a CA
    // the engine's certificate is not checked, as @pulumi/docker does with certMaterial alone.
    agent = target.tls
      ? new https.Agent({ keepAlive: true, maxSockets: 1, ca: target.tls.ca, cert: target.tls.cert, key: target.tls.key, rejectUnauthorized: target.tls.ca !== undefined })
      : new http.Agent({ keepAlive: true, maxSockets: 1 });
    where = { host: target.hostname, port: target.port, protocol: target.tls ? "https" : "http" };
  } else {
    agent = sshAgent(target, target.address);
    where = { host: "docker", port: 80, protocol: "http" };
  }
  let docker: Dockerode;
  try {
    docker = new Docker({
      socketPath: undefined,
      host: undefined,
      port: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      timeout: undefined,
      version: undefined,
      ...where,
      agent,
    } as Dockerode.DockerOptions);
  } catch (e) {
    agent.destroy();
    throw new Error(`cannot set up a client for the Docker engine at ${target.address}: ${(e as Error).message}`);
  }
  return { docker, address: target.address, close: () => agent.destroy() };
}

/** Runs `work` with a client for the engine, and lets go of it afterwards. */
export async function withDockerEngine<T>(target: DockerTarget, work: (engine: DockerEngine) => Promise<T>): Promise<T> {
  const engine = openDockerEngine(target);
  try {
    return await work(engine);
  } finally {
    engine.close();
  }
}

/** What the package reads of `docker inspect`. */
export interface ContainerState {
  readonly exists: boolean;
  readonly id?: string;
  readonly image?: string;
  /** created, running, restarting, exited, paused, dead. */
  readonly status?: string;
  readonly running?: boolean;
  readonly restartCount?: number;
  readonly exitCode?: number;
  /** starting, healthy, unhealthy; undefined without a health check. */
  readonly health?: string;
  /** The last health check's output, trimmed (the check requests the discovery document; no secrets). */
  readonly lastHealthOutput?: string;
}

/** A failed call, as dockerode reports it: an HTTP status from the engine, or no answer at all. */
interface CallError extends Error {
  statusCode?: number;
  json?: { message?: string };
  code?: string;
}

/**
 * One call: its result, or the engine's HTTP status when it answered with one of `expected` (the
 * answers that are not failures here), else an error that names the engine and the call.
 */
async function call<T>(
  engine: DockerEngine,
  what: string,
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<T>,
  expected: number[] = [],
): Promise<{ value?: T; status?: number }> {
  try {
    return { value: await run(AbortSignal.timeout(timeoutMs)) };
  } catch (e) {
    const err = e as CallError;
    if (err.statusCode !== undefined) {
      if (expected.includes(err.statusCode)) return { status: err.statusCode };
      // The engine's `{"message": ...}`, or the text of an answer that is not JSON (a TLS port spoken to in plain HTTP, a proxy).
      const body = err.json as unknown;
      const text =
        typeof (body as { message?: unknown })?.message === "string"
          ? (body as { message: string }).message
          : Buffer.isBuffer(body) || typeof body === "string"
            ? String(body).trim().slice(0, 200)
            : "";
      throw new Error(`Docker could not ${what}: HTTP ${err.statusCode} ${text}`.trim());
    }
    const why =
      err.name === "AbortError" || err.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : err.code && !err.message.includes(err.code)
          ? `${err.code}: ${err.message}`
          : err.message;
    throw new Error(`cannot reach the Docker engine at ${engine.address} (${what}): ${why}`);
  }
}

/** `docker inspect`, reduced to what the package needs; `{ exists: false }` for no such container. */
export async function inspectContainer(engine: DockerEngine, name: string): Promise<ContainerState> {
  const r = await call(engine, `inspect container ${name}`, 60000, (abortSignal) => engine.docker.getContainer(name).inspect({ abortSignal }), [404]);
  if (r.status === 404) return { exists: false };
  const body = r.value!;
  const s = body.State ?? ({} as Dockerode.ContainerInspectInfo["State"]);
  const log: Array<{ Output?: string }> = s.Health?.Log ?? [];
  const lastOutput =
    log.length > 0
      ? String(log[log.length - 1].Output ?? "")
          .trim()
          .slice(0, 300)
      : undefined;
  return {
    exists: true,
    id: body.Id,
    image: body.Config?.Image,
    status: s.Status,
    running: s.Running === true,
    restartCount: body.RestartCount,
    exitCode: s.ExitCode,
    health: s.Health?.Status,
    ...(lastOutput ? { lastHealthOutput: lastOutput } : {}),
  };
}

/** `docker stop -t <seconds>`. */
export async function stopContainer(engine: DockerEngine, name: string, timeoutSeconds = 30): Promise<"stopped" | "not running" | "missing"> {
  const r = await call(
    engine,
    `stop container ${name}`,
    (timeoutSeconds + 30) * 1000,
    (abortSignal) => engine.docker.getContainer(name).stop({ t: timeoutSeconds, abortSignal }),
    [304, 404],
  );
  return r.status === 304 ? "not running" : r.status === 404 ? "missing" : "stopped";
}

/** `docker start`. */
export async function startContainer(engine: DockerEngine, name: string): Promise<"started" | "already running" | "missing"> {
  const r = await call(engine, `start container ${name}`, 60000, (abortSignal) => engine.docker.getContainer(name).start({ abortSignal }), [304, 404]);
  return r.status === 304 ? "already running" : r.status === 404 ? "missing" : "started";
}

/** Healthy: the health check passes, or, for a container without one, it runs. */
export function isHealthy(state: ContainerState): boolean {
  return state.exists && state.running === true && (state.health === undefined || state.health === "healthy");
}

/**
 * Polls until the container is healthy or `timeoutMs` has passed; returns the last state seen (check
 * it with isHealthy). The first looks come quickly (100 ms, doubling) and then every `intervalMs`: a
 * container that is healthy a moment after it starts is seen at once, and a slow one costs the engine
 * one request per interval. Time is read from `clock` (lib/clock.ts's systemClock unless given).
 */
export async function waitUntilHealthy(engine: DockerEngine, name: string, timeoutMs: number, intervalMs = 1000, clock: Clock = systemClock): Promise<ContainerState> {
  const deadline = clock.now() + timeoutMs;
  let wait = Math.min(100, intervalMs);
  for (;;) {
    const state = await inspectContainer(engine, name);
    const remaining = deadline - clock.now();
    if (isHealthy(state) || !state.exists || remaining <= 0) return state;
    await clock.sleep(Math.min(wait, remaining));
    wait = Math.min(wait * 2, intervalMs);
  }
}

/** The state in words, for error messages: `running, health unhealthy (last check: ...)`. */
export function describeState(state: ContainerState): string {
  if (!state.exists) return "no such container";
  const parts = [state.status ?? "unknown"];
  if (state.health) parts.push(`health ${state.health}`);
  if (state.restartCount) parts.push(`restarted ${state.restartCount} times`);
  if (state.status === "exited") parts.push(`exit code ${state.exitCode}`);
  return `${parts.join(", ")}${state.lastHealthOutput ? ` (last health check: ${state.lastHealthOutput})` : ""}`;
}

/** `docker volume inspect` and `docker ps -a --filter volume=`: whether the volume exists, and which containers (running or not) use it. */
export async function volumeUsage(engine: DockerEngine, volume: string): Promise<{ exists: boolean; usedBy: string[] }> {
  const r = await call(engine, `inspect volume ${volume}`, 60000, (abortSignal) => engine.docker.getVolume(volume).inspect({ abortSignal }), [404]);
  if (r.status === 404) return { exists: false, usedBy: [] };
  const users = await call(engine, `list the containers using volume ${volume}`, 60000, (abortSignal) =>
    engine.docker.listContainers({ all: true, filters: JSON.stringify({ volume: [volume] }), abortSignal }),
  );
  return { exists: true, usedBy: (users.value ?? []).map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, "")).sort() };
}

/**
 * `docker exec <container> <command>`: runs it in the container's environment and waits for it;
 * returns its exit code and its output (stdout and stderr together, the last 2000 characters).
 */
export async function execInContainer(engine: DockerEngine, container: string, command: readonly string[], timeoutMs = 60000): Promise<{ exitCode: number; output: string }> {
  const created = await call(engine, `create an exec in container ${container}`, timeoutMs, (abortSignal) =>
    engine.docker.getContainer(container).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true, abortSignal }),
  );
  const exec = created.value!;
  const chunks: Buffer[] = [];
  await call(engine, `run an exec in container ${container}`, timeoutMs, async () => {
    const stream = await exec.start({ hijack: false, stdin: false, Detach: false });
    await new Promise<void>((resolve, reject) => {
      // Not a TTY: the engine multiplexes stdout and stderr in frames of 8-byte headers.
      const sink = new (require("node:stream").Writable)({
        write(chunk: Buffer, _enc: string, done: () => void) {
          chunks.push(chunk);
          done();
        },
      });
      engine.docker.modem.demuxStream(stream, sink, sink);
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", reject);
    });
  });
  // The output can end a moment before the engine records the exit code.
  let info = await call(engine, `inspect an exec in container ${container}`, timeoutMs, () => exec.inspect());
  for (let i = 0; i < 50 && info.value!.Running; i++) {
    await new Promise((r) => setTimeout(r, 100));
    info = await call(engine, `inspect an exec in container ${container}`, timeoutMs, () => exec.inspect());
  }
  const output = Buffer.concat(chunks).toString("utf8").trim();
  return { exitCode: info.value!.ExitCode ?? -1, output: output.length > 2000 ? output.slice(-2000) : output };
}
