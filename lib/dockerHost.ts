/**
 * Which Docker engine @pulumi/docker talks to, read the way it reads it, so that the package's own
 * calls (the health gate, the restore's stop and start) reach the engine the containers are created
 * on, and a setting they could not use is found when config is read, not halfway through `up`.
 *
 * Followed (the versions @pulumi/docker 5.2.0 ships): pulumi-docker provider/resources.go (`host`:
 * `docker:host`, else DOCKER_HOST, else the local default) and the terraform-provider-docker it
 * bridges (v4.5.0, internal/provider/provider.go `configure`/`getContextHost`, config.go
 * `MakeClient`):
 * - every setting is the stack's `docker:<key>` config, else its environment variable (table below);
 *   `sshOpts` from the environment is DOCKER_SSH_OPTS split on white space;
 * - a context (`docker:context`/DOCKER_CONTEXT) replaces the host with the `docker` endpoint of the
 *   `~/.docker/contexts/meta/<id>/meta.json` whose Name it is (the home directory of the user, not
 *   $HOME: Go's user.Current);
 * - TLS comes from the certificates alone (DOCKER_TLS_VERIFY is not read): `certMaterial` and
 *   `keyMaterial` (with `caMaterial`, the engine's certificate is checked against it; without, it is
 *   not checked), else `certPath`'s ca.pem, cert.pem and key.pem (checked against ca.pem); both at
 *   once is an error, as is one of the two materials alone;
 * - without TLS, an ssh:// host goes through the `ssh` program (lib/dockerSsh.ts), anything else is
 *   used as given.
 * Pure apart from reading the files those settings name (context metadata, certificates) and
 * looking for `ssh` on PATH; `require` inside the functions: the dynamic providers run this after
 * Pulumi has serialized them into another process.
 */

/** @pulumi/docker's provider settings as the stack's config gives them (`docker:<key>`); each unset one falls back to its environment variable. */
export interface DockerProviderConfig {
  readonly host?: string;
  readonly context?: string;
  readonly certPath?: string;
  readonly caMaterial?: string;
  readonly certMaterial?: string;
  readonly keyMaterial?: string;
  readonly sshOpts?: readonly string[];
}

/** The settings besides the host, as the package's resources take them (`dockerConnection`): set only when the stack sets one of them. */
export type DockerConnectionSettings = Omit<DockerProviderConfig, "host">;

/** The environment variable each setting falls back to (terraform-provider-docker's DefaultFuncs, pulumi-docker's `host` default). */
export const DOCKER_ENVIRONMENT: Readonly<Record<keyof DockerProviderConfig, string>> = {
  host: "DOCKER_HOST",
  context: "DOCKER_CONTEXT",
  certPath: "DOCKER_CERT_PATH",
  caMaterial: "DOCKER_CA_MATERIAL",
  certMaterial: "DOCKER_CERT_MATERIAL",
  keyMaterial: "DOCKER_KEY_MATERIAL",
  sshOpts: "DOCKER_SSH_OPTS",
};

/** Where the Docker CLI and @pulumi/docker look when no host is set (on Windows, the engine's named pipe). */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
export const DEFAULT_WINDOWS_DOCKER_HOST = "npipe:////./pipe/docker_engine";

/** TLS to a tcp:// engine: PEM texts. */
export interface DockerTls {
  /** The engine's CA; without it the engine's certificate is not checked (as @pulumi/docker does with certMaterial alone). */
  readonly ca?: string;
  readonly cert: string;
  readonly key: string;
}

/** The engine, resolved: how to reach it, and how messages name it (`address`). */
export type DockerTarget =
  | { readonly kind: "socket"; readonly address: string; readonly socketPath: string }
  | { readonly kind: "tcp"; readonly address: string; readonly hostname: string; readonly port: number; readonly tls?: DockerTls }
  | {
      readonly kind: "ssh";
      readonly address: string;
      readonly hostname: string;
      readonly user?: string;
      readonly port?: number;
      /** A socket path on the remote host (ssh://host/path/docker.sock), else the remote `docker`'s default. */
      readonly remoteSocket?: string;
      readonly sshOpts: readonly string[];
    };

/** A setting that makes the engine unreachable: the setting's name (`docker:host`, or `DOCKER_HOST` from the environment) and what is wrong, with the fix. */
export interface DockerHostProblem {
  readonly setting: string;
  readonly text: string;
}

/** What resolving reads besides the settings (tests give their own). */
export interface DockerHostSystem {
  /** The environment @pulumi/docker reads its fallbacks from (it runs with the CLI's environment, as the program does). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory (contexts live under it); default: the passwd entry's, as Go's user.Current. */
  readonly homeDir?: string;
  /** Default process.platform (the default host differs on Windows). */
  readonly platform?: string;
}

/** One setting's value and where it came from. */
interface Setting {
  readonly value: string;
  /** `docker:host` or `DOCKER_HOST`. */
  readonly from: string;
}

/** The fix for a setting, in the words of where it came from: `pulumi config set docker:host <v>` or `export DOCKER_HOST=<v>`. */
function setIt(from: string, example: string, secret = false): string {
  return from.startsWith("docker:") ? `\`pulumi config set${secret ? " --secret" : ""} ${from} ${example}\`` : `\`export ${from}=${example}\``;
}
function removeIt(from: string): string {
  return from.startsWith("docker:") ? `\`pulumi config rm ${from}\`` : `\`unset ${from}\``;
}

/** The loopback names: an engine there runs on the machine that runs Pulumi. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::1";
}

/** Whether the engine runs on another machine than the one running Pulumi (a socket, or tcp/ssh to a loopback address, does not). */
export function isRemoteDockerTarget(target: DockerTarget): boolean {
  return target.kind !== "socket" && !isLoopbackHost(target.hostname);
}

/** The `ssh` program on PATH, as Go's exec.LookPath finds it; undefined when there is none. */
function findOnPath(program: string, env: DockerHostSystem["env"]): string | undefined {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** terraform-provider-docker's getContextHost: the `docker` endpoint's Host of the context named `name`. */
function contextHost(name: string, homeDir: string): { host?: string; names: string[]; error?: string } {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const dir = path.join(homeDir, ".docker", "contexts", "meta");
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    return { names: [], error: `could not read ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  const names: string[] = [];
  for (const entry of entries) {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, entry, "meta.json"), "utf8"));
      if (typeof meta?.Name !== "string") continue;
      names.push(meta.Name);
      if (meta.Name === name && typeof meta.Endpoints?.docker?.Host === "string") return { host: meta.Endpoints.docker.Host, names };
    } catch {
      /* skipped, as the provider skips files it cannot read or parse */
    }
  }
  return { names };
}

/** Reads certPath's three files; the problem when one is missing. */
function certPathFiles(certPath: Setting): { tls?: DockerTls; problem?: DockerHostProblem } {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const read: Record<string, string> = {};
  for (const file of ["ca.pem", "cert.pem", "key.pem"]) {
    try {
      read[file] = fs.readFileSync(path.join(certPath.value, file), "utf8");
    } catch (e) {
      return {
        problem: {
          setting: certPath.from,
          text:
            `cannot read ${file} in ${certPath.value} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the folder must hold ca.pem, cert.pem and key.pem, ` +
            `as \`docker --tlsverify\` expects (@pulumi/docker reads the same three, and does not expand ~). Fix: ${setIt(certPath.from, "/home/me/.docker")} (the folder with the three files).`,
        },
      };
    }
  }
  return { tls: { ca: read["ca.pem"], cert: read["cert.pem"], key: read["key.pem"] } };
}

/** A URL's parts that go into the `ssh` command line: nothing an option or a shell could take for syntax. */
const SSH_SAFE = /^[A-Za-z0-9_.@%+:[\]-]+$/;

function sshTarget(host: Setting, url: URL, sshOpts: readonly string[]): { target?: DockerTarget; problem?: DockerHostProblem } {
  const bad = (why: string) => ({
    problem: { setting: host.from, text: `"${host.value}" is not a usable ssh:// address (${why}). Fix: ${setIt(host.from, "ssh://deploy@docker.example.com")}.` },
  });
  // The checks of docker/cli's ssh.ParseURL (which @pulumi/docker uses), and none of the parts may start like an option.
  if (url.password) return bad("a password in the URL is not supported: use a key, as with `docker -H ssh://...`");
  if (url.search) return bad("query parameters are not allowed");
  if (url.hash) return bad("fragments are not allowed");
  const hostname = url.hostname;
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  if (!hostname) return bad("the host name is empty");
  for (const [what, value] of [
    ["host", hostname],
    ["user", user],
  ] as const) {
    if (value !== undefined && (!SSH_SAFE.test(value) || value.startsWith("-"))) return bad(`the ${what} "${value}" holds characters ssh would not take as a ${what}`);
  }
  const remoteSocket = url.pathname && url.pathname.replace(/\/+$/, "") !== "" ? url.pathname : undefined;
  if (remoteSocket !== undefined && !/^\/[A-Za-z0-9_./-]+$/.test(remoteSocket))
    return bad(`the socket path "${remoteSocket}" holds characters other than letters, digits, _ . / -`);
  const port = url.port ? Number(url.port) : undefined;
  const address = `ssh://${user ? `${user}@` : ""}${url.host}${remoteSocket ?? ""}`;
  return { target: { kind: "ssh", address, hostname, user, port, remoteSocket, sshOpts } };
}

/** The sshOpts setting: the stack's list, else DOCKER_SSH_OPTS split on white space (strings.Fields). */
function sshOptsOf(config: DockerProviderConfig, env: DockerHostSystem["env"]): readonly string[] {
  if (config.sshOpts && config.sshOpts.length > 0) return config.sshOpts;
  return (env.DOCKER_SSH_OPTS ?? "").split(/\s+/).filter((s) => s !== "");
}

/**
 * The engine @pulumi/docker reaches with these settings and this environment, or every setting that
 * keeps it (or this package) from reaching one, each with its fix.
 */
export function resolveDockerHost(
  config: DockerProviderConfig,
  system: DockerHostSystem,
): { target: DockerTarget; problems: [] } | { target?: undefined; problems: DockerHostProblem[] } {
  const { env } = system;
  const get = (key: Exclude<keyof DockerProviderConfig, "sshOpts">): Setting | undefined => {
    const fromConfig = config[key];
    if (fromConfig !== undefined && fromConfig !== "") return { value: fromConfig, from: `docker:${key}` };
    const name = DOCKER_ENVIRONMENT[key];
    const fromEnv = env[name];
    return fromEnv ? { value: fromEnv, from: name } : undefined;
  };
  const problems: DockerHostProblem[] = [];
  const fail = () => ({ problems });

  // The host: a context's endpoint when a context is named, else host, else the default.
  const platform = system.platform ?? process.platform;
  let host: Setting = get("host") ?? { value: platform === "win32" ? DEFAULT_WINDOWS_DOCKER_HOST : DEFAULT_DOCKER_HOST, from: "DOCKER_HOST" };
  const context = get("context");
  if (context) {
    const homeDir = system.homeDir ?? (require("node:os") as typeof import("node:os")).userInfo().homedir;
    const found = contextHost(context.value, homeDir);
    if (found.host === undefined) {
      problems.push({
        setting: context.from,
        text:
          `no Docker context named "${context.value}" with a docker endpoint ${found.error ? `(${found.error})` : `in ${homeDir}/.docker/contexts`}` +
          `${found.names.length ? `; the contexts there: ${found.names.join(", ")}` : ""}. @pulumi/docker reads the context's host from there. ` +
          `Fix: ${setIt(context.from, "<one of `docker context ls`>")}, or ${removeIt(context.from)} to use docker:host / DOCKER_HOST.`,
      });
      return fail();
    }
    host = { value: found.host, from: `${context.from} (context "${context.value}")` };
  }

  // TLS, decided by the certificates as @pulumi/docker decides it.
  const certMaterial = get("certMaterial");
  const keyMaterial = get("keyMaterial");
  const caMaterial = get("caMaterial");
  const certPath = get("certPath");
  let tls: DockerTls | undefined;
  if (certMaterial || keyMaterial) {
    if (!certMaterial || !keyMaterial) {
      const missing = certMaterial ? "keyMaterial" : "certMaterial";
      const given = (certMaterial ?? keyMaterial)!;
      problems.push({
        setting: given.from,
        text: `is set without ${given.from.startsWith("docker:") ? `docker:${missing}` : DOCKER_ENVIRONMENT[missing]}: @pulumi/docker needs the client certificate and its key together. Fix: ${setIt(
          given.from.startsWith("docker:") ? `docker:${missing}` : DOCKER_ENVIRONMENT[missing],
          missing === "keyMaterial" ? '"$(cat key.pem)"' : '"$(cat cert.pem)"',
          missing === "keyMaterial",
        )}.`,
      });
    }
    if (certPath) {
      problems.push({
        setting: certPath.from,
        text: `must not be set together with the certificate materials (${[certMaterial, keyMaterial]
          .filter(Boolean)
          .map((s) => s!.from)
          .join(", ")}): @pulumi/docker refuses the two at once. Fix: ${removeIt(certPath.from)}, or remove the materials.`,
      });
    }
    if (problems.length) return fail();
    tls = { ...(caMaterial ? { ca: caMaterial.value } : {}), cert: certMaterial!.value, key: keyMaterial!.value };
  } else if (certPath) {
    const read = certPathFiles(certPath);
    if (read.problem) return { problems: [read.problem] };
    tls = read.tls;
  }
  const tlsFrom = certMaterial?.from ?? certPath?.from;

  let url: URL | undefined;
  try {
    url = new URL(host.value);
  } catch {
    url = undefined;
  }
  const scheme = url?.protocol.replace(/:$/, "");
  const usable = "unix:///path/to/docker.sock, tcp://host:port (TLS with docker:certPath or DOCKER_CERT_PATH) or ssh://user@host";

  if (scheme === "unix" || (scheme === "npipe" && platform === "win32")) {
    // The engine's own socket: no TLS on it (certificate settings left in the environment do not matter here).
    const socketPath = host.value.slice(`${scheme}://`.length);
    if (!socketPath) {
      problems.push({ setting: host.from, text: `"${host.value}" names no socket. Fix: ${setIt(host.from, DEFAULT_DOCKER_HOST)}.` });
      return fail();
    }
    return { target: { kind: "socket", address: host.value, socketPath }, problems: [] };
  }
  if (scheme === "ssh") {
    if (tlsFrom) {
      problems.push({
        setting: tlsFrom,
        text: `is set, with the ssh:// host ${host.value} (${host.from}): @pulumi/docker then talks TLS instead of going through ssh, and reaches no engine. Fix: ${removeIt(tlsFrom)} (ssh needs no certificates).`,
      });
      return fail();
    }
    const found = sshTarget(host, url!, sshOptsOf(config, env));
    if (found.problem) return { problems: [found.problem] };
    if (!findOnPath("ssh", env)) {
      problems.push({
        setting: host.from,
        text: `${host.value} is reached through the OpenSSH client (\`ssh\`), as @pulumi/docker and the Docker CLI reach it, and there is no \`ssh\` on PATH. Fix: install it (Debian/Ubuntu: \`apt-get install openssh-client\`).`,
      });
      return fail();
    }
    return { target: found.target!, problems: [] };
  }
  if (scheme === "tcp" || scheme === "http" || scheme === "https") {
    const port = url!.port ? Number(url!.port) : undefined;
    if (!url!.hostname || port === undefined) {
      problems.push({
        setting: host.from,
        text: `"${host.value}" names no ${url!.hostname ? "port" : "host"}: @pulumi/docker dials the address as given (the Docker CLI's 2375/2376 defaults do not apply). Fix: ${setIt(host.from, "tcp://docker.example.com:2376")}.`,
      });
      return fail();
    }
    const hostname = url!.hostname.replace(/^\[|\]$/g, "");
    if (!tls && env.DOCKER_TLS_VERIFY) {
      problems.push({
        setting: "DOCKER_TLS_VERIFY",
        text:
          `is set, but no client certificate is (docker:certPath, DOCKER_CERT_PATH, docker:certMaterial/keyMaterial): @pulumi/docker decides TLS by the certificates alone, so it would talk plain TCP to ${host.value}. ` +
          "Fix: `export DOCKER_CERT_PATH=/home/me/.docker` (the folder with ca.pem, cert.pem, key.pem; the Docker CLI's default), or `pulumi config set docker:certPath <that folder>`; or `unset DOCKER_TLS_VERIFY` for an engine without TLS.",
      });
      return fail();
    }
    const address = `tcp://${url!.host}${tls ? " (TLS)" : ""}`;
    return { target: { kind: "tcp", address, hostname, port, ...(tls ? { tls } : {}) }, problems: [] };
  }
  problems.push({
    setting: host.from,
    text: `"${host.value}" is not a Docker engine address this package can reach (${scheme ? `${scheme}://` : "no scheme"}${scheme === "npipe" ? " is Windows only" : ""}). It reaches ${usable}. Fix: ${setIt(host.from, "ssh://deploy@docker.example.com")}.`,
  });
  return fail();
}

/** resolveDockerHost for the dynamic providers: the engine, or an error listing what keeps it out of reach. */
export function dockerTarget(config: DockerProviderConfig, env: DockerHostSystem["env"] = process.env): DockerTarget {
  const resolved = resolveDockerHost(config, { env });
  if (resolved.target) return resolved.target;
  throw new Error(`the Docker engine cannot be reached as configured: ${resolved.problems.map((p) => `${p.setting}: ${p.text}`).join(" ")}`);
}
