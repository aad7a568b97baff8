/**
 * The few Docker Engine API calls the package makes itself, over the engine's socket: inspect a
 * container, stop it, start it, wait until its health check passes. Used by the dynamic providers
 * (which run in their own process, hence `require` inside the functions) to stop the Identity
 * Service during a restore and to gate `pulumi up` on its health. No Pulumi here.
 *
 * Endpoints and answers follow the Docker Engine API reference (v1.41+, unversioned paths, which
 * the engine serves at its own version): `GET /containers/{name}/json`, `POST
 * /containers/{name}/stop?t=N` (204 stopped, 304 already stopped, 404 no such container), `POST
 * /containers/{name}/start` (204, 304 already running, 404); errors carry `{"message": ...}`.
 */

import { Clock, systemClock } from "./clock";

/** Where the Docker CLI and @pulumi/docker look when DOCKER_HOST is unset. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/** How to reach the engine: a unix socket, or plain TCP. */
export type DockerEndpoint = { readonly socketPath: string } | { readonly hostname: string; readonly port: number };

/** The engine named by `host` (docker:host config, else DOCKER_HOST, else the default socket). Throws for schemes it cannot speak. */
export function dockerEndpoint(host: string | undefined = process.env.DOCKER_HOST): DockerEndpoint {
  const value = host || DEFAULT_DOCKER_HOST;
  if (value.startsWith("unix://")) return { socketPath: value.slice("unix://".length) };
  const tcp = /^(?:tcp|http):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(value);
  if (tcp && !process.env.DOCKER_TLS_VERIFY) return { hostname: tcp[1].replace(/^\[|\]$/g, ""), port: Number(tcp[2]) };
  throw new Error(
    `the Docker engine at ${value} cannot be reached by this package's own calls (it speaks to unix:// sockets and plain tcp:// only, not ssh:// or TLS); ` +
      "run `pulumi up` on the Docker host, or expose the engine on a unix socket",
  );
}

/** True when dockerEndpoint(host) would not throw. */
export function dockerHostSupported(host?: string): boolean {
  try {
    dockerEndpoint(host);
    return true;
  } catch {
    return false;
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

function describeEngine(endpoint: DockerEndpoint): string {
  return "socketPath" in endpoint ? `unix://${endpoint.socketPath}` : `tcp://${endpoint.hostname}:${endpoint.port}`;
}

/** One API call; resolves with the status and the parsed body (or the text when it is not JSON). */
export function dockerRequest(endpoint: DockerEndpoint, method: string, path: string, timeoutMs = 60000): Promise<{ status: number; body: any }> {
  const http = require("node:http") as typeof import("node:http");
  return new Promise((resolve, reject) => {
    // agent: false: no kept-alive socket holds the process (Node 20's global agent keeps sockets alive).
    const req = http.request({ ...endpoint, path, method, agent: false, headers: { Host: "docker", "Content-Length": 0 }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) => reject(new Error(`cannot reach the Docker engine at ${describeEngine(endpoint)} (${method} ${path}): ${e.code ?? e.message}`)));
    req.end();
  });
}

function apiError(action: string, name: string, r: { status: number; body: any }): Error {
  return new Error(
    `Docker could not ${action} container ${name}: HTTP ${r.status} ${typeof r.body === "object" ? (r.body?.message ?? "") : String(r.body ?? "").slice(0, 200)}`.trim(),
  );
}

const containerPath = (name: string, action = "json") => `/containers/${encodeURIComponent(name)}/${action}`;

/** `docker inspect`, reduced to what the package needs; `{ exists: false }` for no such container. */
export async function inspectContainer(endpoint: DockerEndpoint, name: string): Promise<ContainerState> {
  const r = await dockerRequest(endpoint, "GET", containerPath(name));
  if (r.status === 404) return { exists: false };
  if (r.status !== 200) throw apiError("inspect", name, r);
  const s = r.body.State ?? {};
  const log: Array<{ Output?: string }> = s.Health?.Log ?? [];
  const lastOutput =
    log.length > 0
      ? String(log[log.length - 1].Output ?? "")
          .trim()
          .slice(0, 300)
      : undefined;
  return {
    exists: true,
    id: r.body.Id,
    image: r.body.Config?.Image,
    status: s.Status,
    running: s.Running === true,
    restartCount: r.body.RestartCount,
    exitCode: s.ExitCode,
    health: s.Health?.Status,
    ...(lastOutput ? { lastHealthOutput: lastOutput } : {}),
  };
}

/** `docker stop -t <seconds>`. */
export async function stopContainer(endpoint: DockerEndpoint, name: string, timeoutSeconds = 30): Promise<"stopped" | "not running" | "missing"> {
  const r = await dockerRequest(endpoint, "POST", `${containerPath(name, "stop")}?t=${timeoutSeconds}`, (timeoutSeconds + 30) * 1000);
  if (r.status === 204) return "stopped";
  if (r.status === 304) return "not running";
  if (r.status === 404) return "missing";
  throw apiError("stop", name, r);
}

/** `docker start`. */
export async function startContainer(endpoint: DockerEndpoint, name: string): Promise<"started" | "already running" | "missing"> {
  const r = await dockerRequest(endpoint, "POST", containerPath(name, "start"));
  if (r.status === 204) return "started";
  if (r.status === 304) return "already running";
  if (r.status === 404) return "missing";
  throw apiError("start", name, r);
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
export async function waitUntilHealthy(endpoint: DockerEndpoint, name: string, timeoutMs: number, intervalMs = 1000, clock: Clock = systemClock): Promise<ContainerState> {
  const deadline = clock.now() + timeoutMs;
  let wait = Math.min(100, intervalMs);
  for (;;) {
    const state = await inspectContainer(endpoint, name);
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
