/** The Identity Service database (container, server or a supplied string) and its snapshots. */
import * as pulumi from "@pulumi/pulumi";
import { checkSuppliedConnectionString, DbProvider } from "../../lib/connectionString";
import { DATABASE_SUPPORT, SNAPSHOTS_UNSUPPORTED } from "../../lib/databaseSupport";
import { ConfigKey } from "../keys";
import { StackConfig } from "../types";
import { ConfigContext } from "../values";

const SERVER_KEYS: ConfigKey[] = ["databaseHost", "databasePort", "databaseAdminUsername", "databaseAdminPassword", "databaseSslMode"];
const CONTAINER_KEYS: ConfigKey[] = ["databaseImage", "databaseHostPort"];
const SUPPLIED_KEYS: ConfigKey[] = ["databaseProvider", "databaseConnectionString"];

/** The database settings as IdentityDatabase takes them, and the DbProvider they mean. */
export function databaseConfig(ctx: ConfigContext, service: StackConfig["service"]): Pick<StackConfig, "database" | "dbProvider" | "databaseSnapshots"> {
  const { typed } = ctx;
  let database: StackConfig["database"];
  let dbProvider: DbProvider = "Postgres";
  switch (typed.databaseMode) {
    case "server":
      ctx.need("databaseHost", "when databaseMode is server");
      ctx.need("databaseAdminUsername", "when databaseMode is server");
      ctx.need("databaseAdminPassword", "when databaseMode is server");
      ctx.onlyWith([...CONTAINER_KEYS, ...SUPPLIED_KEYS], "with another databaseMode");
      database = {
        server: {
          host: typed.databaseHost,
          port: typed.databasePort,
          adminUsername: typed.databaseAdminUsername,
          adminPassword: ctx.secret("databaseAdminPassword") ?? pulumi.secret(""),
          sslMode: typed.databaseSslMode,
          databaseName: typed.databaseName,
          username: typed.databaseUsername,
        },
        retainOnDelete: typed.databaseRetainOnDelete,
      };
      break;
    case "connectionString":
      ctx.need("databaseConnectionString", "when databaseMode is connectionString");
      ctx.onlyWith([...CONTAINER_KEYS, ...SERVER_KEYS, "databaseName", "databaseUsername", "databaseRetainOnDelete"], "with another databaseMode");
      dbProvider = typed.databaseProvider;
      if (typed.databaseConnectionString !== undefined) {
        try {
          checkSuppliedConnectionString(dbProvider, typed.databaseConnectionString);
        } catch (e) {
          // The message starts with the key and names the missing part, never the value.
          const [key, ...rest] = (e as Error).message.split(" ");
          ctx.problem(key, rest.join(" "));
        }
      }
      database = { connectionString: { provider: dbProvider, value: ctx.secret("databaseConnectionString") ?? pulumi.secret("") } };
      break;
    default:
      ctx.onlyWith([...SERVER_KEYS, ...SUPPLIED_KEYS], "with another databaseMode");
      if (typed.databaseHostPort === typed.httpPort || typed.databaseHostPort === typed.httpsPort) {
        ctx.problem("databaseHostPort", `${typed.databaseHostPort} is already used by the Identity Service. Fix: \`pulumi config set databaseHostPort 55432\`.`);
      }
      database = {
        container: {
          image: typed.databaseImage,
          hostPort: typed.databaseHostPort,
          databaseName: typed.databaseName,
          username: typed.databaseUsername,
          containerName: `${service.containerName}-db`,
        },
        retainOnDelete: typed.databaseRetainOnDelete,
      };
  }
  if (!DATABASE_SUPPORT[dbProvider].snapshots) {
    ctx.onlyWith(["databaseSnapshotsToKeep"], `with a PostgreSQL Identity Service database (${SNAPSHOTS_UNSUPPORTED})`);
    if (typed.restoreDatabaseSnapshot !== undefined) ctx.problem("restoreDatabaseSnapshot", `${SNAPSHOTS_UNSUPPORTED}. Fix: \`pulumi config rm restoreDatabaseSnapshot\`.`);
  }
  return { database, dbProvider, databaseSnapshots: { keep: typed.databaseSnapshotsToKeep, restore: typed.restoreDatabaseSnapshot } };
}
