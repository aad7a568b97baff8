/**
 * An ssh:// Docker engine, reached the way the Docker CLI and @pulumi/docker reach it: the OpenSSH
 * client runs `docker system dial-stdio` on the remote host, and HTTP goes over its stdin and stdout
 * (docker/cli v28.5.2 cli/connhelper, which terraform-provider-docker uses). The same program, so the
 * same ~/.ssh/config (host aliases, User, Port, IdentityFile, ProxyJump), keys, agent and known_hosts
 * apply, and `docker:sshOpts` is passed as the provider passes it: the package reaches exactly the
 * host @pulumi/docker reaches, or fails the same way.
 *
 * Why not docker-modem's own ssh (ssh2): it reads none of ~/.ssh (no config, no default keys), checks
 * no host key unless given a verifier, and takes no sshOpts; a host alias or a key named in
 * ~/.ssh/config that works for @pulumi/docker would fail here, or reach another machine.
 */
import type { Agent } from "node:http";
import type { Duplex } from "node:stream";

/** What lib/dockerHost.ts resolved an ssh:// host to. */
export interface SshEndpoint {
  readonly hostname: string;
  readonly user?: string;
  readonly port?: number;
  readonly remoteSocket?: string;
  readonly sshOpts: readonly string[];
}

/**
 * `ssh`'s arguments, as connhelper builds them: `-l user`, `-p port`, the sshOpts, a 30 s connect
 * timeout unless they set one, `-T` (no terminal, so no login shell) unless they have it, then
 * `-- host` and the remote command (`docker --host=unix://<path> system dial-stdio` for a URL with a
 * socket path). connhelper passes the timeout as the one argument "-o ConnectTimeout=30"; here it is
 * two, which ssh reads the same.
 */
export function sshDialArgs(endpoint: SshEndpoint): string[] {
  const args: string[] = [];
  if (endpoint.user) args.push("-l", endpoint.user);
  if (endpoint.port !== undefined) args.push("-p", String(endpoint.port));
  args.push(...endpoint.sshOpts);
  if (!endpoint.sshOpts.join("").includes("ConnectTimeout")) args.push("-o", "ConnectTimeout=30");
  if (!endpoint.sshOpts.includes("-T")) args.push("-T");
  const remote = endpoint.remoteSocket ? `docker --host=unix://${endpoint.remoteSocket} system dial-stdio` : "docker system dial-stdio";
  return [...args, "--", endpoint.hostname, remote];
}

/**
 * One connection: `ssh <args>` as a socket for Node's HTTP client. Like connhelper's commandconn, it
 * runs in a session of its own (no terminal: ssh cannot stop to ask for a password or a host key; it
 * fails, and its message is the error). Ending the socket ends ssh's stdin, which ends dial-stdio.
 */
export function sshSocket(args: readonly string[], label: string): Duplex {
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const { Duplex: DuplexStream } = require("node:stream") as typeof import("node:stream");
  const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString("utf8")).slice(-2000)));
  const socket = new DuplexStream({
    allowHalfOpen: false,
    read() {
      child.stdout.resume();
    },
    write(chunk, _encoding, callback) {
      child.stdin.write(chunk, callback);
    },
    final(callback) {
      child.stdin.end(callback);
    },
    destroy(error, callback) {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      callback(error);
    },
  });
  child.stdout.on("data", (d: Buffer) => {
    if (!socket.push(d)) child.stdout.pause();
  });
  // A write after ssh has gone fails with EPIPE; how it went is reported once it has gone.
  child.stdin.on("error", () => undefined);
  child.on("error", (e) => socket.destroy(new Error(`cannot run ssh for ${label}: ${e.message}`)));
  // The end of the stream waits for ssh's exit status: ended by ssh's failure (a refused login, an
  // unknown host key, no docker there), the socket fails with ssh's own words, not a bare hang-up.
  child.on("close", (code, signal) => {
    if (socket.destroyed) return;
    if (code === 0) return void socket.push(null);
    const said = stderr
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-3)
      .join(" ");
    socket.destroy(new Error(`ssh to ${label} ended (${signal ?? `exit code ${code}`})${said ? `: ${said}` : ""}`));
  });
  // What Node's HTTP client and agent call on a socket; ssh's own timeouts and the callers' abort signals do the rest.
  const handles = [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?: () => void; unref?: () => void }>;
  return Object.assign(socket, {
    setTimeout: () => socket,
    setNoDelay: () => socket,
    setKeepAlive: () => socket,
    ref: () => (handles.forEach((h) => h.ref?.()), socket),
    unref: () => (handles.forEach((h) => h.unref?.()), socket),
  });
}

/** An HTTP agent whose connections are ssh processes (one at a time, kept for the next request until the agent is destroyed). */
export function sshAgent(endpoint: SshEndpoint, label: string): Agent {
  const http = require("node:http") as typeof import("node:http");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const args = sshDialArgs(endpoint);
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () => sshSocket(args, label);
  return agent;
}
