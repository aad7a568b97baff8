/**
 * A stand-in for the Docker Engine API on a unix socket, with the calls the package makes: inspect,
 * stop, start (and `_ping`). It answers as a real engine does; test/dockerEngine.test.ts runs the
 * same cases against it and against a real dockerd, which keeps the two in step:
 * - `GET /containers/{name}/json`: `Id`, `Name` (`/name`), `RestartCount`, `Config.Image`, `State`
 *   {Status, Running, Restarting, ExitCode, StartedAt, FinishedAt, Health {Status, FailingStreak, Log}};
 * - `POST /containers/{name}/stop?t=` 204, or 304 with an empty body when not running; the exit code
 *   is 143 (SIGTERM, as with `--init`) and the health status stays what it last was;
 * - `POST /containers/{name}/start` 204, or 304 when running; health is `starting` until the first check;
 * - 404 `{"message":"No such container: <name>"}`; paths may carry a version prefix (`/v1.41/...`).
 * A container's health check runs every `checkAfterMs` while it runs and passes or fails as the test says
 * (a real engine needs `Retries` failures in a row for `unhealthy`; here one is enough).
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StandInContainer {
  readonly name: string;
  readonly id: string;
  image: string;
  running: boolean;
  status: "created" | "running" | "exited";
  exitCode: number;
  /** Whether its health check passes; undefined: no health check. */
  healthCheckPasses?: boolean;
  health?: { Status: string; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> };
  /** The health check's interval: the first check runs this long after a start, then again every time. */
  checkAfterMs: number;
  startedAt: string;
  finishedAt: string;
  timer?: NodeJS.Timeout;
}

export interface DockerEngineStandIn {
  /** `unix://<socket>`: give it to the code under test as its Docker host. */
  readonly host: string;
  readonly socketPath: string;
  readonly containers: Map<string, StandInContainer>;
  /** Every call, in order: `POST /containers/x/stop`, ... */
  readonly calls: string[];
  /** Removes a container (`docker rm -f`). */
  remove(name: string): void;
  /** Adds a container (running unless `running: false`). */
  add(name: string, options?: { image?: string; running?: boolean; healthCheckPasses?: boolean; checkAfterMs?: number }): StandInContainer;
  stop(): Promise<void>;
}

const now = () => new Date().toISOString();

export async function startDockerEngineStandIn(): Promise<DockerEngineStandIn> {
  const dir = mkdtempSync(join(tmpdir(), "docker-stand-in-"));
  const socketPath = join(dir, "docker.sock");
  const containers = new Map<string, StandInContainer>();
  const calls: string[] = [];

  const runHealthCheck = (c: StandInContainer) => {
    if (c.healthCheckPasses === undefined || !c.running) return;
    const passes = c.healthCheckPasses;
    const h = c.health!;
    h.Log.push({ Start: now(), End: now(), ExitCode: passes ? 0 : 1, Output: passes ? "" : "curl: (7) Failed to connect to 127.0.0.1 port 80: Connection refused" });
    if (h.Log.length > 5) h.Log.shift();
    h.FailingStreak = passes ? 0 : h.FailingStreak + 1;
    h.Status = passes ? "healthy" : "unhealthy";
  };
  const start = (c: StandInContainer) => {
    c.running = true;
    c.status = "running";
    c.startedAt = now();
    if (c.healthCheckPasses !== undefined) {
      c.health = { Status: "starting", FailingStreak: 0, Log: c.health?.Log ?? [] };
      c.timer = setInterval(() => runHealthCheck(c), c.checkAfterMs);
    }
  };
  const find = (idOrName: string) => containers.get(idOrName) ?? [...containers.values()].find((c) => c.id.startsWith(idOrName));

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://docker");
    const path = url.pathname.replace(/^\/v\d+\.\d+/, "");
    calls.push(`${req.method} ${path}`);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { "Content-Type": "application/json" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    req.resume();
    if (req.method === "GET" && path === "/_ping") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      return res.end("OK");
    }
    const m = /^\/containers\/([^/]+)\/(json|stop|start)$/.exec(path);
    if (!m) return send(404, { message: "page not found" });
    const name = decodeURIComponent(m[1]);
    const c = find(name);
    if (!c) return send(404, { message: `No such container: ${name}` });
    if (m[2] === "json" && req.method === "GET") {
      return send(200, {
        Id: c.id,
        Name: `/${c.name}`,
        RestartCount: 0,
        Image: `sha256:${c.id}`,
        Config: { Image: c.image },
        State: {
          Status: c.status,
          Running: c.running,
          Paused: false,
          Restarting: false,
          OOMKilled: false,
          Dead: false,
          Pid: c.running ? 4242 : 0,
          ExitCode: c.exitCode,
          Error: "",
          StartedAt: c.startedAt,
          FinishedAt: c.finishedAt,
          ...(c.health ? { Health: c.health } : {}),
        },
      });
    }
    if (m[2] === "stop" && req.method === "POST") {
      if (!c.running) return send(304);
      clearInterval(c.timer);
      Object.assign(c, { running: false, status: "exited", exitCode: 143, finishedAt: now() });
      return send(204);
    }
    if (m[2] === "start" && req.method === "POST") {
      if (c.running) return send(304);
      start(c);
      return send(204);
    }
    return send(404, { message: "page not found" });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  return {
    host: `unix://${socketPath}`,
    socketPath,
    containers,
    calls,
    remove(name) {
      clearInterval(containers.get(name)?.timer);
      containers.delete(name);
    },
    add(name, options = {}) {
      clearInterval(containers.get(name)?.timer); // a container of that name is replaced
      const c: StandInContainer = {
        name,
        id: randomBytes(32).toString("hex"),
        image: options.image ?? "creatio-identity-service:src-000000000000",
        running: false,
        status: "created",
        exitCode: 0,
        healthCheckPasses: options.healthCheckPasses,
        checkAfterMs: options.checkAfterMs ?? 200,
        startedAt: "0001-01-01T00:00:00Z",
        finishedAt: "0001-01-01T00:00:00Z",
      };
      containers.set(name, c);
      if (options.running !== false) start(c);
      return c;
    },
    async stop() {
      for (const c of containers.values()) clearInterval(c.timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
