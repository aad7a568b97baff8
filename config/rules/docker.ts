/**
 * The Docker engine: @pulumi/docker's own settings (`docker:host`, `docker:context`, `docker:certPath`,
 * the certificate materials, `docker:sshOpts`, else their environment variables), which name the
 * engine the containers are created on, and which the package's health gate and restore call too.
 * Read here as lib/dockerHost.ts reads them, so an engine they could not reach stops `preview`
 * before anything is created.
 */
import * as pulumi from "@pulumi/pulumi";
import { DockerConnectionSettings, DockerTarget, isRemoteDockerTarget, resolveDockerHost } from "../../lib/dockerHost";
import { ConfigContext } from "../values";

/** What the rest of config and the stack take from the Docker settings. */
export interface DockerSettings {
  /** `docker:host` as the stack sets it (unset: DOCKER_HOST or the default, read where the calls run). */
  readonly host?: string;
  /** The other `docker:*` connection settings the stack sets; undefined when it sets none. Secret when it holds a key. */
  readonly connection?: pulumi.Output<DockerConnectionSettings>;
  /** platform docker: the engine these settings reach with this environment (undefined when they reach none: reported). */
  readonly target?: DockerTarget;
}

const STRING_KEYS = ["context", "certPath", "caMaterial", "certMaterial", "keyMaterial"] as const;

export function dockerConfig(ctx: ConfigContext): DockerSettings {
  const values = ctx.raw.values;
  const host = values["docker:host"] || undefined;
  const connection: { -readonly [K in keyof DockerConnectionSettings]: DockerConnectionSettings[K] } = {};
  for (const key of STRING_KEYS) if (values[`docker:${key}`]) connection[key] = values[`docker:${key}`];
  // Lists reach the program as JSON (as every structured config value does).
  const sshOptsText = values["docker:sshOpts"];
  if (sshOptsText) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(sshOptsText);
    } catch {
      parsed = undefined;
    }
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) {
      if (parsed.length > 0) connection.sshOpts = parsed;
    } else {
      ctx.problemWith(
        "docker:sshOpts",
        `must be a list of strings, as @pulumi/docker takes it (got ${JSON.stringify(sshOptsText.slice(0, 80))}). Fix: set it in Pulumi.<stack>.yaml as a YAML list, or \`pulumi config set --path 'docker:sshOpts[0]' -i\` and so on per item.`,
      );
    }
  }

  let target: DockerTarget | undefined;
  // On Kubernetes the Docker engine only builds the image (@pulumi/docker's own business); the gate and the restore use the cluster.
  if (ctx.typed.platform === "docker") {
    const resolved = resolveDockerHost({ ...connection, host }, { env: ctx.raw.env ?? process.env });
    for (const p of resolved.problems) ctx.problemWith(p.setting, p.text);
    target = resolved.target;
  }
  const given = Object.keys(connection).length > 0;
  return {
    host,
    connection: !given ? undefined : connection.keyMaterial !== undefined ? pulumi.secret(connection) : pulumi.output(connection),
    target,
  };
}

/** Whether the containers run on another machine than the one running Pulumi (a remote engine). */
export function dockerIsRemote(docker: DockerSettings): boolean {
  return docker.target !== undefined && isRemoteDockerTarget(docker.target);
}
