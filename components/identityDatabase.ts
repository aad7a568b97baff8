import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../lib/defaults";
import { containerNameProblem, portProblem } from "../lib/validators";
import { COMPONENT_TYPES } from "../lib/typeTokens";
import * as docker from "@pulumi/docker";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { checkSuppliedConnectionString, DbProvider, npgsqlConnectionString, sslModeSettings } from "../lib/connectionString";
import type { DockerConnectionSettings } from "../lib/dockerHost";
import { KeptDatabaseCheck } from "./keptDatabaseCheck";
import { ContainerDatabasePassword } from "./containerDatabasePassword";

/** The database the Identity Service keeps its clients, grants and keys in. Set exactly one mode. */
export interface IdentityDatabaseArgs {
  /** Dev: a PostgreSQL container on a private Docker network of its own. */
  readonly container?: {
    /** The PostgreSQL image. Default `postgres:16-alpine`. */
    readonly image?: pulumi.Input<string>;
    /** The container's name, also its host name on the network. Default `${name}-postgres`. */
    readonly containerName?: pulumi.Input<string>;
    /** Default `identity_service`. */
    readonly databaseName?: pulumi.Input<string>;
    /** Default `identity_service`. */
    readonly username?: pulumi.Input<string>;
    /** Published on 127.0.0.1 only, so the Pulumi host (not the world) can reach it; used by later sync steps. Default 55432. */
    readonly hostPort?: pulumi.Input<number>;
    /**
     * The Docker network and volume names (per Docker host: give each stack on one host its own).
     * Default `${name}-network` and `${name}-data`. Fixed once created: a later change is ignored,
     * so the data volume is never replaced by a rename.
     */
    readonly networkName?: string;
    readonly volumeName?: string;
    /** The Docker engine (`docker:host`), for the kept-volume check; default DOCKER_HOST, else the local socket. */
    readonly dockerHost?: pulumi.Input<string | undefined>;
    /** The other `docker:*` connection settings (context, certificates, sshOpts). */
    readonly dockerConnection?: pulumi.Input<DockerConnectionSettings | undefined>;
  };
  /** An existing PostgreSQL server: a login role with a generated password and a database it owns (@pulumi/postgresql). */
  readonly server?: {
    readonly host: pulumi.Input<string>;
    /** Default 5432. */
    readonly port?: pulumi.Input<number>;
    /** A role allowed to create roles and databases (CREATEROLE, CREATEDB); it need not be a superuser. */
    readonly adminUsername: pulumi.Input<string>;
    /** Secret. */
    readonly adminPassword: pulumi.Input<string>;
    /**
     * PostgreSQL sslmode (`disable` ... `verify-full`) for the admin connection; mapped to Npgsql
     * `SSL Mode` for the Identity Service. Unset: each client's own default, which differ (the
     * provider's lib/pq requires TLS, Npgsql prefers it); the stack always sets it (`require`).
     */
    readonly sslMode?: pulumi.Input<string>;
    /** Default `identity_service`. */
    readonly databaseName?: pulumi.Input<string>;
    /** Default `identity_service`. */
    readonly username?: pulumi.Input<string>;
  };
  /** A connection string the user supplies (PostgreSQL in Npgsql syntax or MS SQL in SqlClient syntax). */
  readonly connectionString?: { readonly provider: "Postgres" | "MsSqlServer"; readonly value: pulumi.Input<string> };
  /**
   * Server and container modes: keep the database when this component's resources are deleted
   * (`pulumi destroy`, or a change that replaces them): the role and the database on the server,
   * the data volume of the container. Default true: they hold the clients, keys and snapshots.
   */
  readonly retainOnDelete?: boolean;
  /**
   * Server and container modes: when the database is created and finds one an earlier `pulumi
   * destroy` kept under the same names, take it back (server: import the role and the database and
   * give the role this stack's password; container: use the volume and give its role this stack's
   * password) instead of stopping. Default false: the `up` stops and says what it found.
   */
  readonly takeBack?: boolean;
}

const DEFAULT_IMAGE = DEFAULTS.databaseImage;
const DEFAULT_DATABASE = DEFAULTS.databaseName;
const DEFAULT_USERNAME = DEFAULTS.databaseUsername;
const DEFAULT_HOST_PORT = DEFAULTS.databaseHostPort;
const POSTGRES_PORT = DEFAULTS.databasePort;
/** Where the official postgres image (up to 17) keeps its cluster. */
const POSTGRES_DATA_DIR = "/var/lib/postgresql/data";
/** Generated passwords: long, and only letters and digits so no layer ever needs to quote them. */
const PASSWORD = { length: 32, special: false } as const;

/**
 * Gives the Identity Service a database: a dev PostgreSQL container, a role and database on an
 * existing PostgreSQL server, or a connection string the user supplies. Outputs the `DbProvider`
 * value and the ADO.NET connection string exactly as the container gets it.
 */
/** What `pulumi destroy` says it left on the server, and how to remove it. */
export function keptServerDatabaseNotice(host: string, port: number, database: string, role: string): string {
  return (
    `pulumi destroy kept the Identity Service database "${database}" and its role "${role}" on ${host}:${port} (databaseRetainOnDelete), with its clients, keys and snapshots. ` +
    `To remove them, as the admin role: DROP DATABASE "${database}"; DROP ROLE "${role}";. ` +
    `An \`up\` of a stack with the same names stops and says so; to take them back, with their clients, keys and snapshots: \`pulumi config set databaseTakeBack true\`, then \`pulumi up\`.`
  );
}

/** What `pulumi destroy` says it left on the Docker host, and how to remove it. */
export function keptVolumeNotice(volume: string): string {
  return (
    `pulumi destroy kept the Docker volume "${volume}" with the Identity Service database, its clients, keys and snapshots (databaseRetainOnDelete). ` +
    `To remove it: docker volume rm ${volume}. An \`up\` of this stack stops and says so; to take it back, with its clients, keys and snapshots: \`pulumi config set databaseTakeBack true\`, then \`pulumi up\`.`
  );
}

export class IdentityDatabase extends pulumi.ComponentResource {
  /** `DbProvider` for the Identity Service. */
  public readonly dbProvider: pulumi.Output<DbProvider>;
  /** Secret. The ADO.NET string for `PostgresConnection` / `MsSqlConnection`. */
  public readonly connectionString: pulumi.Output<string>;
  /** Secret. The same database reached from the machine running Pulumi (container mode: 127.0.0.1 and the published port). */
  public readonly connectionStringFromHost: pulumi.Output<string>;
  /** Container mode: the Docker network the Identity Service container must join; otherwise undefined. */
  public readonly networkName: pulumi.Output<string | undefined>;
  /**
   * What `pulumi destroy` leaves behind and how to remove it, in words (retainOnDelete on); undefined
   * when nothing is kept. No secret in it.
   */
  public readonly keptOnDelete: pulumi.Output<string | undefined>;

  constructor(name: string, args: IdentityDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.identityDatabase, name, {}, opts);

    const modes = (["container", "server", "connectionString"] as const).filter((m) => args[m] !== undefined);
    if (modes.length !== 1) {
      throw new Error(
        `IdentityDatabase ${name}: set exactly one of container (a dev PostgreSQL container), server (an existing PostgreSQL server) ` +
          `or connectionString (a connection string you supply); ${modes.length === 0 ? "none is set" : `${modes.join(" and ")} are set`}`,
      );
    }

    let result: {
      dbProvider: pulumi.Output<DbProvider>;
      connectionString: pulumi.Output<string>;
      connectionStringFromHost: pulumi.Output<string>;
      networkName: pulumi.Output<string | undefined>;
      keptOnDelete: pulumi.Output<string | undefined>;
    };
    const retain = args.retainOnDelete ?? DEFAULTS.databaseRetainOnDelete;
    const takeBack = args.takeBack ?? DEFAULTS.databaseTakeBack;
    if (args.container) result = this.createContainer(name, args.container, retain, takeBack);
    else if (args.server) result = this.createOnServer(name, args.server, retain, takeBack);
    else result = this.useSupplied(args.connectionString!);

    this.dbProvider = result.dbProvider;
    this.connectionString = pulumi.secret(result.connectionString);
    this.connectionStringFromHost = pulumi.secret(result.connectionStringFromHost);
    this.networkName = result.networkName;
    this.keptOnDelete = result.keptOnDelete;
    this.registerOutputs({
      dbProvider: this.dbProvider,
      connectionString: this.connectionString,
      connectionStringFromHost: this.connectionStringFromHost,
      networkName: this.networkName,
      keptOnDelete: this.keptOnDelete,
    });
  }

  private createContainer(name: string, c: NonNullable<IdentityDatabaseArgs["container"]>, retain: boolean, takeBack: boolean) {
    const containerName = checked(c.containerName ?? `${name}-postgres`, checkContainerName);
    const databaseName = checked(c.databaseName ?? DEFAULT_DATABASE, (v) => checkNonEmpty(v, "container.databaseName"));
    const username = checked(c.username ?? DEFAULT_USERNAME, (v) => checkNonEmpty(v, "container.username"));
    const hostPort = checked(c.hostPort ?? DEFAULT_HOST_PORT, (v) => checkPort(v, "container.hostPort"));

    const password = newPassword(name, this);
    const volumeName = c.volumeName ?? `${name}-data`;
    // Before the volume: Docker would hand a kept volume of the same name to the new container
    // without a word (lib/keptDatabase.ts).
    const keptCheck = new KeptDatabaseCheck(`${name}-kept-check`, { volumeName, dockerHost: c.dockerHost, dockerConnection: c.dockerConnection, takeBack }, { parent: this });
    // The names stay what they were when created (ignoreChanges): a stack made before they were
    // derived from the stack keeps its network and, above all, its data volume, instead of having
    // them replaced (a new, empty volume) on the next `up`.
    const network = new docker.Network(`${name}-network`, { name: c.networkName ?? `${name}-network` }, { parent: this, deleteBeforeReplace: true, ignoreChanges: ["name"] });
    const image = new docker.RemoteImage(`${name}-postgres-image`, { name: c.image ?? DEFAULT_IMAGE, keepLocally: true }, { parent: this });
    // A named volume keeps the Identity Service's clients and keys across container replacements
    // (and, retained, across `pulumi destroy`).
    const volume = new docker.Volume(`${name}-data`, { name: volumeName }, { parent: this, ignoreChanges: ["name"], retainOnDelete: retain, dependsOn: keptCheck });
    const container = new docker.Container(
      `${name}-postgres`,
      {
        name: containerName,
        image: image.imageId,
        // POSTGRES_* apply only when the volume is empty: the password must stay stable (it does,
        // RandomPassword keeps its result in state).
        envs: [pulumi.interpolate`POSTGRES_DB=${databaseName}`, pulumi.interpolate`POSTGRES_USER=${username}`, pulumi.interpolate`POSTGRES_PASSWORD=${password}`],
        volumes: [{ volumeName: volume.name, containerPath: POSTGRES_DATA_DIR }],
        networksAdvanced: [{ name: network.name, aliases: [containerName] }],
        ports: [{ internal: POSTGRES_PORT, external: hostPort, ip: "127.0.0.1", protocol: "tcp" }],
        restart: "unless-stopped",
        // Over TCP on purpose: the image's first-start initialisation runs a temporary server on the
        // Unix socket only, which a socket check would already report as ready.
        healthcheck: {
          tests: pulumi.all([username, databaseName]).apply(([u, d]) => ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(POSTGRES_PORT), "-U", u, "-d", d]),
          interval: "5s",
          timeout: "5s",
          retries: 12,
          startPeriod: "30s",
        },
        // Created means healthy, so the Identity Service (which depends on the connection string)
        // never starts against a database that is still initialising.
        wait: true,
        waitTimeout: 180,
      },
      // Fixed name and host port: the old container must go before its replacement can start.
      { parent: this, deleteBeforeReplace: true },
    );

    // A taken-back volume keeps the password of the stack that made it: give its role this one's.
    const readyName = takeBack
      ? new ContainerDatabasePassword(
          `${name}-password-set`,
          { containerName: container.name, containerId: container.id, dockerHost: c.dockerHost, dockerConnection: c.dockerConnection },
          { parent: this },
        ).containerName
      : container.name;

    // Built from the container's outputs so anything using them waits for the healthy container
    // (and, taken back, for its password).
    const connectionString = pulumi
      .all([readyName, databaseName, username, password])
      .apply(([host, database, user, pw]) => npgsqlConnectionString({ host, port: POSTGRES_PORT, database, username: user, password: pw }));
    const connectionStringFromHost = pulumi
      .all([readyName, hostPort, databaseName, username, password])
      .apply(([, port, database, user, pw]) => npgsqlConnectionString({ host: "127.0.0.1", port, database, username: user, password: pw }));
    return {
      dbProvider: pulumi.output<DbProvider>("Postgres"),
      connectionString,
      connectionStringFromHost,
      networkName: network.name.apply((n): string | undefined => n),
      keptOnDelete: retain ? volume.name.apply(keptVolumeNotice) : pulumi.output<string | undefined>(undefined),
    };
  }

  private createOnServer(name: string, s: NonNullable<IdentityDatabaseArgs["server"]>, retain: boolean, takeBack: boolean) {
    const port = checked(s.port ?? POSTGRES_PORT, (v) => checkPort(v, "server.port"));
    const host = checked(s.host, (v) => checkNonEmpty(v, "server.host"));
    const ssl = s.sslMode === undefined ? undefined : checked(s.sslMode, checkSslMode);

    const password = newPassword(name, this);
    const provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host,
        port,
        username: s.adminUsername,
        password: pulumi.secret(s.adminPassword),
        database: "postgres",
        ...(ssl ? { sslmode: ssl.apply((m) => m.libpq) } : {}),
        // Managed servers (RDS, Azure, Cloud SQL) give no superuser; the provider then avoids
        // superuser-only statements and grants itself membership where ownership needs it.
        superuser: false,
      },
      { parent: this },
    );
    const roleName = s.username ?? DEFAULT_USERNAME;
    const databaseName = s.databaseName ?? DEFAULT_DATABASE;
    const keptCheck = new KeptDatabaseCheck(
      `${name}-kept-check`,
      {
        server: pulumi.all([host, port, s.adminUsername, ssl ?? pulumi.output(undefined), databaseName, roleName]).apply(([h, p, admin, mode, db, user]) => ({
          host: h,
          port: p,
          adminUsername: admin,
          ...(mode ? { sslMode: mode.libpq } : {}),
          databaseName: db,
          username: user,
        })),
        adminPassword: pulumi.secret(s.adminPassword),
        password,
        takeBack,
      },
      { parent: this },
    );
    // Taking back: the engine imports the kept role and database (by name, their ids), then updates
    // the role's password to this stack's. On a stack that already has them, `import` does nothing.
    const importAs = (value: pulumi.Input<string>, key: string): { import?: string } => {
      if (!takeBack) return {};
      if (typeof value !== "string") throw new Error(`IdentityDatabase ${name}: with takeBack, server.${key} must be a plain string (the id the kept one is imported by)`);
      return { import: value };
    };
    const role = new postgresql.Role(
      `${name}-role`,
      { name: roleName, login: true, password },
      { parent: this, provider, retainOnDelete: retain, dependsOn: keptCheck, ...importAs(roleName, "username") },
    );
    // Owning the database lets the Identity Service create and migrate its tables (PostgreSQL 15+
    // gives the public schema to the database owner).
    const database = new postgresql.Database(
      `${name}-db`,
      { name: databaseName, owner: role.name },
      { parent: this, provider, retainOnDelete: retain, dependsOn: keptCheck, ...importAs(databaseName, "databaseName") },
    );

    const connectionString = pulumi
      .all([host, port, database.name, role.name, password, ssl ?? pulumi.output(undefined)])
      .apply(([h, p, db, user, pw, mode]) => npgsqlConnectionString({ host: h, port: p, database: db, username: user, password: pw, ...(mode ? mode.npgsql : {}) }));
    return {
      dbProvider: pulumi.output<DbProvider>("Postgres"),
      connectionString,
      connectionStringFromHost: connectionString,
      networkName: pulumi.output<string | undefined>(undefined),
      keptOnDelete: retain
        ? pulumi.all([host, port, database.name, role.name]).apply(([h, p, db, user]): string | undefined => keptServerDatabaseNotice(h, p, db, user))
        : pulumi.output<string | undefined>(undefined),
    };
  }

  private useSupplied(s: NonNullable<IdentityDatabaseArgs["connectionString"]>) {
    if (s.provider !== "Postgres" && s.provider !== "MsSqlServer") {
      throw new Error(`IdentityDatabase: connectionString.provider must be "Postgres" or "MsSqlServer" (the Identity Service's DbProvider values)`);
    }
    const provider = s.provider;
    const value = checked(s.value, (v) => checkSuppliedConnectionString(provider, v));
    return {
      dbProvider: pulumi.output<DbProvider>(provider),
      connectionString: value,
      connectionStringFromHost: value,
      networkName: pulumi.output<string | undefined>(undefined),
      // Not the stack's: nothing to keep or delete.
      keptOnDelete: pulumi.output<string | undefined>(undefined),
    };
  }
}

/** The generated password, secret wherever it flows (not only once the engine has marked `result`). */
function newPassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
  return pulumi.secret(new random.RandomPassword(`${name}-password`, PASSWORD, { parent }).result);
}

/**
 * Validates an input: a plain value at once (the constructor throws, nothing is created), an
 * Output or promise when it resolves (the deployment fails before any resource uses the value).
 */
function checked<T, R>(input: pulumi.Input<T>, check: (value: T) => R): pulumi.Output<R> {
  if (!pulumi.Output.isInstance(input) && !(input instanceof Promise)) {
    const result = check(input);
    return pulumi.output(input).apply(() => result);
  }
  return pulumi.output(input).apply((v) => check(v as T));
}

function checkPort(value: number, property: string): number {
  const problem = portProblem(value);
  if (problem) throw new Error(`IdentityDatabase: ${property} ${problem}, got ${JSON.stringify(value)}`);
  return value;
}

function checkNonEmpty(value: string, property: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new Error(`IdentityDatabase: ${property} must be a non-empty string`);
  return value;
}

function checkContainerName(value: string): string {
  const problem = containerNameProblem(value);
  if (problem) throw new Error(`IdentityDatabase: container.containerName ${problem}, got ${JSON.stringify(value)}`);
  return value;
}

function checkSslMode(value: string) {
  const settings = sslModeSettings(value);
  if (!settings) {
    throw new Error(`IdentityDatabase: server.sslMode must be one of disable, allow, prefer, require, verify-ca, verify-full; got ${JSON.stringify(value)}`);
  }
  return settings;
}
