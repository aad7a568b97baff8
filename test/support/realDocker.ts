/**
 * A real Docker engine for tests, when there is one: TEST_DOCKER_HOST, else DOCKER_HOST, else the
 * default socket. No image can be pulled on the machines this runs on, so the test image is made
 * here: a root filesystem holding only a static busybox (Debian's busybox-static) and /tmp,
 * imported with `POST /images/create?fromSrc=-` (what `docker import` does). Containers run with
 * `--init`, so `docker stop` ends them at once.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, symlinkSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DOCKER_HOST, dockerEndpoint, DockerEndpoint, dockerRequest } from "../../lib/dockerEngine";

export const TEST_IMAGE = "creatio-identity-test-busybox:1";
const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => existsSync(p));

/** The engine to test against, or why there is none (a sentence for the skip message). */
export async function realDocker(): Promise<{ host: string; endpoint: DockerEndpoint } | { problem: string }> {
  const host = process.env.TEST_DOCKER_HOST || process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
  let endpoint: DockerEndpoint;
  try {
    endpoint = dockerEndpoint(host);
  } catch (e) {
    return { problem: (e as Error).message };
  }
  if ("socketPath" in endpoint && !existsSync(endpoint.socketPath)) return { problem: `no Docker engine at ${host} (set TEST_DOCKER_HOST to one)` };
  try {
    const ping = await dockerRequest(endpoint, "GET", "/_ping", 5000);
    if (ping.status !== 200) return { problem: `the Docker engine at ${host} answered /_ping with HTTP ${ping.status}` };
  } catch (e) {
    return { problem: (e as Error).message };
  }
  if (!BUSYBOX) return { problem: "no static busybox to build the test image from (apt-get install busybox-static)" };
  return { host, endpoint };
}

/** Sends `body` (a stream) with a request to the engine; resolves with the status and text. */
function send(endpoint: DockerEndpoint, method: string, path: string, body?: NodeJS.ReadableStream | string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: "docker" };
    if (typeof body === "string") headers["Content-Type"] = "application/json";
    const req = http.request({ ...endpoint, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (typeof body === "string") req.end(body);
    else body.pipe(req);
  });
}

/** Imports the busybox test image once (idempotent). */
export async function ensureTestImage(endpoint: DockerEndpoint): Promise<string> {
  const found = await send(endpoint, "GET", `/images/${encodeURIComponent(TEST_IMAGE)}/json`);
  if (found.status === 200) return TEST_IMAGE;
  const root = mkdtempSync(join(tmpdir(), "busybox-rootfs-"));
  try {
    mkdirSync(join(root, "bin"));
    mkdirSync(join(root, "tmp"));
    copyFileSync(BUSYBOX!, join(root, "bin", "busybox"));
    for (const applet of ["sh", "sleep", "test", "true", "false"]) symlinkSync("busybox", join(root, "bin", applet));
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const [repo, tag] = TEST_IMAGE.split(":");
    const r = await send(endpoint, "POST", `/images/create?fromSrc=-&repo=${repo}&tag=${tag}`, tar.stdout);
    if (r.status !== 200) throw new Error(`importing the test image failed: HTTP ${r.status} ${r.text}`);
    return TEST_IMAGE;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Creates and starts a container whose health check passes (after about `delayMs`) or never does,
 * restart policy unless-stopped, no network: the Identity Service container in miniature.
 */
export async function runTestContainer(endpoint: DockerEndpoint, name: string, healthCheckPasses: boolean, delayMs = 300): Promise<void> {
  const seconds = (delayMs / 1000).toFixed(1);
  const body = {
    Image: TEST_IMAGE,
    Cmd: ["sh", "-c", healthCheckPasses ? `sleep ${seconds}; : > /tmp/healthy; exec sleep 600` : "exec sleep 600"],
    Healthcheck: { Test: ["CMD", "test", "-f", "/tmp/healthy"], Interval: 200_000_000, Timeout: 2_000_000_000, Retries: 2 },
    HostConfig: { NetworkMode: "none", Init: true, RestartPolicy: { Name: "unless-stopped" } },
  };
  const created = await send(endpoint, "POST", `/containers/create?name=${encodeURIComponent(name)}`, JSON.stringify(body));
  if (created.status !== 201) throw new Error(`creating ${name} failed: HTTP ${created.status} ${created.text}`);
  const started = await send(endpoint, "POST", `/containers/${encodeURIComponent(name)}/start`);
  if (started.status !== 204) throw new Error(`starting ${name} failed: HTTP ${started.status} ${started.text}`);
}

export async function removeTestContainer(endpoint: DockerEndpoint, name: string): Promise<void> {
  await send(endpoint, "DELETE", `/containers/${encodeURIComponent(name)}?force=1`);
}
