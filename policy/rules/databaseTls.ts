/**
 * database-tls-in-production: on production stacks no database connection turns TLS off.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { npgsqlSslMode, sqlClientEncrypt } from "../../lib/connectionString";
import { productionStacksSchema, ProductionStacksConfig, resourceRule, stackContext } from "../adapter";
import {
  containerEnv,
  ENV,
  isIdentityServiceContainer,
  isProductionStack,
  known,
  label,
  PlainResource,
  productionPrefix,
  RESOURCE_TYPES,
  StackContext,
  Violation,
} from "../resources";

/** Why an Npgsql connection string runs without TLS, or undefined (unparseable strings are left to the program's own check). */
export function npgsqlTlsProblem(connectionString: string): string | undefined {
  const mode = npgsqlSslMode(connectionString);
  if (mode === "disable") return "sets SSL Mode=Disable";
  if (mode === "allow") return "sets SSL Mode=Allow, which tries an unencrypted connection first";
  return undefined;
}

/** Why a SqlClient connection string runs without TLS, or undefined. */
export function sqlClientTlsProblem(connectionString: string): string | undefined {
  const encrypt = sqlClientEncrypt(connectionString);
  return encrypt !== undefined && /^(false|no|optional)$/i.test(encrypt) ? `sets Encrypt=${encrypt}` : undefined;
}

const USE_TLS =
  "Use TLS: for PostgreSQL `SSL Mode=Require` or `VerifyFull` (`pulumi config set databaseSslMode verify-full` with databaseMode server), for MS SQL `Encrypt=true`; or fix databaseConnectionString.";

/**
 * On production stacks, no database connection may turn TLS off: the Identity Service container's
 * `PostgresConnection`/`MsSqlConnection` and IdentityClientSync's connection string.
 */
export function databaseTlsViolations(r: PlainResource, ctx: StackContext): Violation[] {
  if (!isProductionStack(ctx)) return [];
  const production = productionPrefix(ctx);
  const found: { where: string; problem: string }[] = [];
  if (isIdentityServiceContainer(r)) {
    const env = containerEnv(r);
    const pg = env.get(ENV.postgresConnection);
    const ms = env.get(ENV.msSqlConnection);
    const pgProblem = pg === undefined ? undefined : npgsqlTlsProblem(pg);
    const msProblem = ms === undefined ? undefined : sqlClientTlsProblem(ms);
    if (pgProblem) found.push({ where: `${ENV.postgresConnection} of the Identity Service container ${label(r)}`, problem: pgProblem });
    if (msProblem) found.push({ where: `${ENV.msSqlConnection} of the Identity Service container ${label(r)}`, problem: msProblem });
  } else if (r.type === RESOURCE_TYPES.identityClientSync) {
    const cs = known(r.props.connectionString, "connectionString");
    const provider = known(r.props.dbProvider, "dbProvider");
    if (typeof cs === "string") {
      const problem = provider === "MsSqlServer" ? sqlClientTlsProblem(cs) : npgsqlTlsProblem(cs);
      if (problem) found.push({ where: `the connection string of ${label(r)} (the Identity Service database)`, problem });
    }
  }
  return found.map(({ where, problem }) => ({
    message: `${production}, but ${where} ${problem}: database passwords and the tokens the Identity Service stores would cross the network unencrypted. ${USE_TLS}`,
  }));
}

export const databaseTlsInProduction: ResourceValidationPolicy = {
  name: "database-tls-in-production",
  description: "On production stacks no database connection turns TLS off (SSL Mode=Disable/Allow, Encrypt=false, sslmode=disable).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: productionStacksSchema,
  validateResource: resourceRule((r, args) => databaseTlsViolations(r, stackContext(args.getConfig<ProductionStacksConfig>()))),
};
