/**
 * One validation pass over the whole configuration, before any resource exists: every key on its
 * own (values.ts), then the rules between keys, area by area (rules/). Every problem is collected
 * and reported at once, each naming its key and the fix.
 */
import { certificateConfig } from "./rules/certificate";
import { clientConfig } from "./rules/client";
import { creatioConfig } from "./rules/creatio";
import { databaseConfig } from "./rules/database";
import { dockerConfig } from "./rules/docker";
import { platformConfig } from "./rules/platform";
import { serviceConfig } from "./rules/service";
import { ConfigError, RawConfig, StackConfig } from "./types";
import { readConfig } from "./values";

/**
 * Validates raw config and returns the typed configuration, or throws one ConfigError that lists
 * every problem. Pure apart from reading the files config points at (the Identity Service folder,
 * a supplied PFX, the Docker engine's certificates or context) and the environment @pulumi/docker
 * falls back to (`raw.env`).
 */
export function parseStackConfig(raw: RawConfig): StackConfig {
  const { ctx, problems } = readConfig(raw);
  const docker = dockerConfig(ctx);
  const service = serviceConfig(ctx, docker);
  const kubernetes = platformConfig(ctx, service);
  const certificate = certificateConfig(ctx, service.publicUrl);
  const { database, dbProvider, databaseSnapshots } = databaseConfig(ctx, service, docker);
  const client = clientConfig(ctx, dbProvider);
  const creatio = creatioConfig(ctx, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { creatioUrl: ctx.typed.creatioUrl, platform: ctx.typed.platform, kubernetes, client, service, databaseSnapshots, certificate, database, dbProvider, creatio };
}
