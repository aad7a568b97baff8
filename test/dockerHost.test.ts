/**
 * lib/dockerHost.ts reads the Docker engine's settings as @pulumi/docker 5.2.0 does (the stack's
 * `docker:*` config first, then the environment; a context replaces the host; TLS by the
 * certificates), and names every setting that would keep the package's own calls from the engine.
 * lib/dockerSsh.ts builds the `ssh` command line the Docker CLI's connection helper builds.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_DOCKER_HOST, DockerProviderConfig, isRemoteDockerTarget, resolveDockerHost } from "../lib/dockerHost";
import { sshDialArgs } from "../lib/dockerSsh";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docker-host-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A PATH with an `ssh` program on it, and one without. */
const withSsh = path.join(dir, "bin");
fs.mkdirSync(withSsh);
fs.writeFileSync(path.join(withSsh, "ssh"), "#!/bin/sh\n", { mode: 0o755 });
const withoutSsh = path.join(dir, "empty");
fs.mkdirSync(withoutSsh);

/** A certPath folder with the three files; `missing` leaves one out. */
function certFolder(name: string, missing?: string): string {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  for (const file of ["ca.pem", "cert.pem", "key.pem"]) if (file !== missing) fs.writeFileSync(path.join(folder, file), `${file} of ${name}`);
  return folder;
}

/** A home folder with Docker contexts, as `docker context create` writes them (one folder per context, named by a digest). */
const home = path.join(dir, "home");
for (const [id, name, host] of [
  ["1a2b", "remote", "ssh://deploy@docker.example.com"],
  ["3c4d", "tls-box", "tcp://10.0.0.5:2376"],
]) {
  fs.mkdirSync(path.join(home, ".docker", "contexts", "meta", id), { recursive: true });
  fs.writeFileSync(
    path.join(home, ".docker", "contexts", "meta", id, "meta.json"),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  );
}

const resolve = (config: DockerProviderConfig, env: Record<string, string> = {}, platform = "linux") =>
  resolveDockerHost(config, { env: { PATH: withSsh, ...env }, homeDir: home, platform });
const target = (config: DockerProviderConfig, env?: Record<string, string>) => {
  const r = resolve(config, env);
  if (!r.target) throw new Error(JSON.stringify(r.problems));
  return r.target;
};
const problems = (config: DockerProviderConfig, env?: Record<string, string>) => resolve(config, env).problems.map((p) => `${p.setting}: ${p.text}`);

describe("which engine: as @pulumi/docker reads it", () => {
  it("takes docker:host, else DOCKER_HOST, else the local socket (the named pipe on Windows)", () => {
    expect(target({})).toEqual({ kind: "socket", address: DEFAULT_DOCKER_HOST, socketPath: "/var/run/docker.sock" });
    expect(target({}, { DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toMatchObject({ kind: "socket", socketPath: "/run/user/1000/docker.sock" });
    expect(target({ host: "tcp://10.0.0.5:2375" }, { DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toEqual({
      kind: "tcp",
      address: "tcp://10.0.0.5:2375",
      hostname: "10.0.0.5",
      port: 2375,
    });
    expect(resolve({}, {}, "win32").target).toEqual({ kind: "socket", address: "npipe:////./pipe/docker_engine", socketPath: "//./pipe/docker_engine" });
  });

  it("lets a context replace the host (docker:context, else DOCKER_CONTEXT), reading its endpoint from ~/.docker/contexts", () => {
    expect(target({ context: "remote", host: "unix:///var/run/docker.sock" })).toMatchObject({ kind: "ssh", hostname: "docker.example.com", user: "deploy" });
    expect(target({}, { DOCKER_CONTEXT: "tls-box", DOCKER_CERT_PATH: certFolder("ctx-certs") })).toMatchObject({
      kind: "tcp",
      hostname: "10.0.0.5",
      tls: { ca: "ca.pem of ctx-certs" },
    });
    expect(problems({ context: "nope" })).toEqual([
      expect.stringMatching(/^docker:context: no Docker context named "nope" .*; the contexts there: (remote, tls-box|tls-box, remote)\. .*Fix: `pulumi config set docker:context/),
    ]);
  });

  it("speaks TLS when certificates are given, whatever DOCKER_TLS_VERIFY says: certPath's three files, or the materials", () => {
    const certs = certFolder("certs");
    expect(target({ host: "tcp://127.0.0.1:2376", certPath: certs })).toEqual({
      kind: "tcp",
      address: "tcp://127.0.0.1:2376 (TLS)",
      hostname: "127.0.0.1",
      port: 2376,
      tls: { ca: "ca.pem of certs", cert: "cert.pem of certs", key: "key.pem of certs" },
    });
    // The environment fills what the stack leaves unset.
    expect(target({ host: "tcp://127.0.0.1:2376" }, { DOCKER_CERT_PATH: certs, DOCKER_TLS_VERIFY: "1" })).toMatchObject({ tls: { ca: "ca.pem of certs" } });
    // Materials without a CA: the engine's certificate is not checked (no `ca`), as the provider does.
    const noCa = target({ host: "tcp://127.0.0.1:2376", certMaterial: "C", keyMaterial: "K" });
    expect(noCa.kind === "tcp" ? noCa.tls : undefined).toEqual({ cert: "C", key: "K" });
    expect(target({ host: "tcp://127.0.0.1:2376" }, { DOCKER_CA_MATERIAL: "A", DOCKER_CERT_MATERIAL: "C", DOCKER_KEY_MATERIAL: "K" })).toMatchObject({
      tls: { ca: "A", cert: "C", key: "K" },
    });
  });

  it("goes through ssh with docker:sshOpts, else DOCKER_SSH_OPTS split on white space", () => {
    expect(target({ host: "ssh://deploy@docker.example.com:2222", sshOpts: ["-i", "/keys/deploy"] })).toEqual({
      kind: "ssh",
      address: "ssh://deploy@docker.example.com:2222",
      hostname: "docker.example.com",
      user: "deploy",
      port: 2222,
      remoteSocket: undefined,
      sshOpts: ["-i", "/keys/deploy"],
    });
    expect(target({ host: "ssh://docker.example.com/run/docker.sock" }, { DOCKER_SSH_OPTS: " -o  StrictHostKeyChecking=yes " })).toMatchObject({
      user: undefined,
      remoteSocket: "/run/docker.sock",
      sshOpts: ["-o", "StrictHostKeyChecking=yes"],
    });
  });

  it("tells a remote engine from one on this machine", () => {
    expect(isRemoteDockerTarget(target({}))).toBe(false);
    expect(isRemoteDockerTarget(target({ host: "tcp://127.0.0.1:2375" }))).toBe(false);
    expect(isRemoteDockerTarget(target({ host: "ssh://root@localhost:2222" }))).toBe(false);
    expect(isRemoteDockerTarget(target({ host: "tcp://[::1]:2375" }))).toBe(false);
    expect(isRemoteDockerTarget(target({ host: "tcp://10.0.0.5:2375" }))).toBe(true);
    expect(isRemoteDockerTarget(target({ host: "ssh://deploy@docker.example.com" }))).toBe(true);
  });
});

describe("what keeps the package from the engine, with the setting and the fix", () => {
  it("an address it cannot use", () => {
    expect(problems({ host: "fd://" })).toEqual([
      expect.stringMatching(/^docker:host: "fd:\/\/" is not a Docker engine address .*Fix: `pulumi config set docker:host ssh:\/\/deploy@docker\.example\.com`\.$/),
    ]);
    expect(problems({}, { DOCKER_HOST: "npipe:////./pipe/docker_engine" })).toEqual([
      expect.stringMatching(/^DOCKER_HOST: .*npipe:\/\/ is Windows only.*Fix: `export DOCKER_HOST=/),
    ]);
    expect(problems({ host: "tcp://10.0.0.5" })).toEqual([
      expect.stringMatching(/^docker:host: "tcp:\/\/10\.0\.0\.5" names no port: .*Fix: `pulumi config set docker:host tcp:\/\/docker\.example\.com:2376`\.$/),
    ]);
  });

  it("an ssh:// address ssh would not take, or no ssh program", () => {
    expect(problems({ host: "ssh://deploy:secret@docker.example.com" })).toEqual([expect.stringContaining("a password in the URL is not supported")]);
    expect(problems({ host: "ssh://-oProxyCommand=x@docker.example.com" })).toEqual([expect.stringContaining('the user "-oProxyCommand=x" holds characters ssh would not take')]);
    expect(problems({ host: "ssh://docker.example.com?x=1" })).toEqual([expect.stringContaining("query parameters are not allowed")]);
    expect(resolveDockerHost({ host: "ssh://deploy@docker.example.com" }, { env: { PATH: withoutSsh }, homeDir: home }).problems).toEqual([
      { setting: "docker:host", text: expect.stringMatching(/there is no `ssh` on PATH\. Fix: install it/) },
    ]);
  });

  it("TLS settings that contradict each other, or a certPath without its files", () => {
    const certs = certFolder("both");
    expect(problems({ host: "tcp://h:2376", certMaterial: "C" })).toEqual([
      expect.stringMatching(/^docker:certMaterial: is set without docker:keyMaterial: .*Fix: `pulumi config set --secret docker:keyMaterial "\$\(cat key\.pem\)"`\.$/),
    ]);
    expect(problems({ host: "tcp://h:2376", certMaterial: "C", keyMaterial: "K" }, { DOCKER_CERT_PATH: certs })).toEqual([
      expect.stringMatching(/^DOCKER_CERT_PATH: must not be set together with the certificate materials .*Fix: `unset DOCKER_CERT_PATH`/),
    ]);
    expect(problems({ host: "tcp://h:2376", certPath: certFolder("no-key", "key.pem") })).toEqual([
      expect.stringMatching(/^docker:certPath: cannot read key\.pem in .*no-key \(ENOENT\): .*Fix: `pulumi config set docker:certPath/),
    ]);
    expect(problems({ host: "ssh://deploy@docker.example.com" }, { DOCKER_CERT_PATH: certs })).toEqual([
      expect.stringMatching(/^DOCKER_CERT_PATH: is set, with the ssh:\/\/ host .*Fix: `unset DOCKER_CERT_PATH`/),
    ]);
  });

  it("DOCKER_TLS_VERIFY without a certificate: the provider would talk plain TCP", () => {
    expect(problems({}, { DOCKER_HOST: "tcp://10.0.0.5:2376", DOCKER_TLS_VERIFY: "1" })).toEqual([
      expect.stringMatching(/^DOCKER_TLS_VERIFY: is set, but no client certificate is .*Fix: `export DOCKER_CERT_PATH=/),
    ]);
    // On the engine's socket there is no TLS to speak: a stray setting does not matter.
    expect(problems({}, { DOCKER_TLS_VERIFY: "1" })).toEqual([]);
  });
});

describe("the ssh command, as the Docker CLI's connection helper builds it", () => {
  it("puts user, port, the options, a connect timeout and -T before the host, and runs dial-stdio there", () => {
    expect(sshDialArgs({ hostname: "docker.example.com", user: "deploy", port: 2222, sshOpts: ["-i", "/keys/deploy"] })).toEqual([
      "-l",
      "deploy",
      "-p",
      "2222",
      "-i",
      "/keys/deploy",
      "-o",
      "ConnectTimeout=30",
      "-T",
      "--",
      "docker.example.com",
      "docker system dial-stdio",
    ]);
    // Options that set their own timeout or -T are not doubled; a socket path goes to the remote docker.
    expect(sshDialArgs({ hostname: "h", sshOpts: ["-o", "ConnectTimeout=5", "-T"], remoteSocket: "/run/docker.sock" })).toEqual([
      "-o",
      "ConnectTimeout=5",
      "-T",
      "--",
      "h",
      "docker --host=unix:///run/docker.sock system dial-stdio",
    ]);
  });
});
