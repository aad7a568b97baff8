/** The Identity Service database (container, server or a supplied string) and its snapshots. */
import * as pulumi from "@pulumi/pulumi";
import { checkSuppliedConnectionString, DbProvider } from "../../lib/connectionString";
import { DATABASE_SUPPORT, SNAPSHOTS_UNSUPPORTED } from "../../lib/databaseSupport";
import { ConfigKey } from "../keys";
import { StackConfig } from "../types";
import { ConfigContext } from "../values";
import { DockerSettings, dockerIsRemote } from "./docker";

const SERVER_KEYS: ConfigKey[] = ["databaseHost", "databasePort", "databaseAdminUsername", "databaseAdminPassword", "databaseSslMode"];
const CONTAINER_KEYS: ConfigKey[] = ["databaseImage", "databaseHostPort"];
const SUPPLIED_KEYS: ConfigKey[] = ["databaseProvider", "databaseConnectionString"];

/** The database settings as IdentityDatabase takes them, and the DbProvider they mean. */
export function databaseConfig(ctx: ConfigContext, service: StackConfig["service"], docker: DockerSettings): Pick<StackConfig, "database" | "dbProvider" | "databaseSnapshots"> {
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
        takeBack: typed.databaseTakeBack,
      };
      break;
    case "connectionString":
      ctx.need("databaseConnectionString", "when databaseMode is connectionString");
      ctx.onlyWith([...CONTAINER_KEYS, ...SERVER_KEYS, "databaseName", "databaseUsername", "databaseRetainOnDelete", "databaseTakeBack"], "with another databaseMode");
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
      // The client sync and the snapshots reach the dev database on 127.0.0.1 of the machine running
      // Pulumi, where its port is published only when the containers run there too.
      if (dockerIsRemote(docker)) {
        ctx.problem(
          "databaseMode",
          `container runs the dev PostgreSQL on the Docker host ${docker.target!.address}, another machine than this one, which reaches the database at 127.0.0.1:${typed.databaseHostPort} ` +
            "(the client sync and the snapshots need it; its port is published on the Docker host's 127.0.0.1 only). " +
            "Fix: `pulumi config set databaseMode server` with databaseHost and the admin login (a PostgreSQL server this machine and the Docker host both reach), or run `pulumi up` on the Docker host.",
        );
      }
      database = {
        container: {
          image: typed.databaseImage,
          hostPort: typed.databaseHostPort,
          databaseName: typed.databaseName,
          username: typed.databaseUsername,
          containerName: `${service.containerName}-db`,
          dockerHost: docker.host,
          dockerConnection: docker.connection,
        },
        retainOnDelete: typed.databaseRetainOnDelete,
        takeBack: typed.databaseTakeBack,
      };
  }
  if (!DATABASE_SUPPORT[dbProvider].snapshots) {
    ctx.onlyWith(["databaseSnapshotsToKeep"], `with a PostgreSQL Identity Service database (${SNAPSHOTS_UNSUPPORTED})`);
    if (typed.restoreDatabaseSnapshot !== undefined) ctx.problem("restoreDatabaseSnapshot", `${SNAPSHOTS_UNSUPPORTED}. Fix: \`pulumi config rm restoreDatabaseSnapshot\`.`);
  }
  return { database, dbProvider, databaseSnapshots: { keep: typed.databaseSnapshotsToKeep, restore: typed.restoreDatabaseSnapshot } };
}
