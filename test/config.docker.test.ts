/**
 * The Docker engine in config: @pulumi/docker's own settings (`docker:*`, then DOCKER_* from the
 * environment) are read with the rest of the config, a setting that would keep the package's health
 * gate and restore from the engine stops `preview` naming it and the fix, and a dev database
 * container on another machine than the one running Pulumi is refused (its port is published there).
 */
import { envWithSsh, parse, problems } from "./support/stackConfig";
import { valueOf } from "./support/mocks";
import * as pulumi from "@pulumi/pulumi";

/** A PATH with an `ssh` program on it (ssh:// hosts need one), whatever the machine has. */
const sshEnv = envWithSsh();
const env = (more: Record<string, string> = {}) => ({ ...sshEnv, ...more });

const server = { databaseMode: "server", databaseHost: "pg.example.com", databaseAdminUsername: "pulumi_admin", databaseAdminPassword: "pw" };
const secrets = ["databaseAdminPassword", "docker:keyMaterial"];

describe("the Docker engine's settings, read with the rest of the config", () => {
  it("hands nothing on when the stack sets none (the environment is read again where the calls run)", () => {
    const cfg = parse({}, [], undefined, env({ DOCKER_HOST: "tcp://127.0.0.1:2375" }));
    expect(cfg.service.dockerHost).toBeUndefined();
    expect(cfg.service.dockerConnection).toBeUndefined();
  });

  it("hands docker:host and the other docker:* settings on, secret when they hold the key", async () => {
    const ssh = parse({ ...server, "docker:host": "ssh://deploy@docker.example.com", "docker:sshOpts": '["-i","/keys/deploy"]' }, secrets, undefined, env());
    expect(ssh.service.dockerHost).toBe("ssh://deploy@docker.example.com");
    expect(await valueOf(ssh.service.dockerConnection!)).toEqual({ sshOpts: ["-i", "/keys/deploy"] });
    expect(await pulumi.isSecret(ssh.service.dockerConnection!)).toBe(false);
    const tls = parse({ "docker:host": "tcp://127.0.0.1:2376", "docker:certMaterial": "C", "docker:keyMaterial": "K" }, secrets, undefined, env());
    expect(await valueOf(tls.service.dockerConnection!)).toEqual({ certMaterial: "C", keyMaterial: "K" });
    expect(await pulumi.isSecret(tls.service.dockerConnection!)).toBe(true);
  });

  it("reports every setting that keeps the engine out of reach, under its own name with the fix, together with the other problems", () => {
    expect(problems({ httpPort: "eighty", "docker:host": "fd://", "docker:sshOpts": "-i key" }, [], undefined, env())).toEqual([
      expect.stringMatching(/^creatio-identity:httpPort: must be a whole number/),
      expect.stringMatching(/^docker:sshOpts: must be a list of strings, as @pulumi\/docker takes it \(got "-i key"\)\. Fix: set it in Pulumi\.<stack>\.yaml as a YAML list/),
      expect.stringMatching(
        /^docker:host: "fd:\/\/" is not a Docker engine address this package can reach .*Fix: `pulumi config set docker:host ssh:\/\/deploy@docker\.example\.com`\.$/,
      ),
    ]);
    expect(problems({}, [], undefined, env({ DOCKER_HOST: "tcp://10.0.0.5:2376", DOCKER_TLS_VERIFY: "1" }))).toEqual([
      expect.stringMatching(/^DOCKER_TLS_VERIFY \(environment variable\): is set, but no client certificate is .*Fix: `export DOCKER_CERT_PATH=/),
    ]);
    expect(problems({ ...server, "docker:host": "ssh://deploy@docker.example.com" }, secrets, undefined, { PATH: "" })).toEqual([
      expect.stringMatching(/^docker:host: ssh:\/\/deploy@docker\.example\.com is reached through the OpenSSH client \(`ssh`\).*there is no `ssh` on PATH\. Fix: install it/),
    ]);
  });

  it("leaves them to @pulumi/docker on Kubernetes, where the package calls the cluster instead", () => {
    const kubernetes = { ...server, platform: "kubernetes", publicUrl: "https://identity.example.com", image: "registry.example.com/is:8.1", replicas: "1" };
    expect(() => parse(kubernetes, secrets, undefined, env({ DOCKER_HOST: "fd://" }))).not.toThrow();
  });
});

describe("the dev database container needs the Docker engine on this machine", () => {
  it("is refused with a remote engine, with the fix (databaseMode server)", () => {
    const found = problems({ "docker:host": "ssh://deploy@docker.example.com" }, [], undefined, env());
    expect(found).toEqual([
      expect.stringMatching(
        /^creatio-identity:databaseMode: container runs the dev PostgreSQL on the Docker host ssh:\/\/deploy@docker\.example\.com, another machine than this one, which reaches the database at 127\.0\.0\.1:55432 .*Fix: `pulumi config set databaseMode server` with databaseHost and the admin login/,
      ),
    ]);
    expect(problems({}, [], undefined, env({ DOCKER_HOST: "tcp://10.0.0.5:2375" }))).toEqual([
      expect.stringMatching(/^creatio-identity:databaseMode: container runs the dev PostgreSQL on the Docker host tcp:\/\/10\.0\.0\.5:2375,/),
    ]);
  });

  it("is fine on this machine's engine, however it is reached, and a remote engine is fine with a database server", () => {
    expect(() => parse({}, [], undefined, env())).not.toThrow();
    expect(() => parse({ "docker:host": "ssh://root@127.0.0.1:2222" }, [], undefined, env())).not.toThrow();
    expect(() => parse({ "docker:host": "tcp://localhost:2375" }, [], undefined, env())).not.toThrow();
    expect(() => parse({ ...server, "docker:host": "ssh://deploy@docker.example.com" }, secrets, undefined, env())).not.toThrow();
  });
});
