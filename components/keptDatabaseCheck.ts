import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "./declaredDynamicResource";
import { changedInputs, DynamicOutputs, DynamicResourceSpec } from "../lib/dynamicResource";
import { DYNAMIC_TYPE_NAMES } from "../lib/typeTokens";
import { ContainerFindings, decideKeptDatabase, KeptDatabaseFindings, ServerFindings, tookBackNotice } from "../lib/keptDatabase";
import { npgsqlConnectionString, pgClientConfig, sslModeSettings } from "../lib/connectionString";
import { DockerConnectionSettings, dockerTarget } from "../lib/dockerHost";
import { volumeUsage, withDockerEngine } from "../lib/dockerEngine";
import { providerLog } from "../lib/providerLog";
import { INVALID_PASSWORD_SQLSTATE, postgresErrorText } from "../lib/postgresErrors";

/**
 * KeptDatabaseCheck: before a stack creates its Identity Service database, looks for one that an
 * earlier `pulumi destroy` kept (databaseRetainOnDelete) under the same names, and either lets the
 * stack take it back (databaseTakeBack) or stops the `up` saying what it found and the ways on
 * (lib/keptDatabase.ts decides and words it). Without it, a server-mode `up` stopped at the
 * PostgreSQL provider's "role already exists", and a container-mode `up` started the database on
 * the kept volume, whose password went with the old stack.
 *
 * It acts once, when created (with the database's resources, which depend on it); later changes of
 * its inputs are only recorded. On a stack that already has its database (an upgrade of this
 * package adds the check to it), the stack's own password opens the role, or its own container
 * uses the volume: nothing is refused.
 */

export interface KeptDatabaseCheckInputs {
  /** Server mode: where the role and the database are, and the admin login that looks. */
  readonly server?: {
    readonly host: string;
    readonly port: number;
    readonly adminUsername: string;
    /** libpq `sslmode`, as the PostgreSQL provider gets it. */
    readonly sslMode?: string;
    readonly databaseName: string;
    readonly username: string;
  };
  /** Server mode: secret. */
  readonly adminPassword?: string;
  /** Server mode: secret. The stack's password of the role (opens it when the role is this stack's). */
  readonly password?: string;
  /** Container mode: the data volume. */
  readonly volumeName?: string;
  /** Container mode: `docker:host`; unset: DOCKER_HOST, else the default (lib/dockerHost.ts). */
  readonly dockerHost?: string;
  /** Container mode: the other `docker:*` connection settings; secret when given (may hold a key). */
  readonly dockerConnection?: DockerConnectionSettings;
  /** databaseTakeBack: take a kept database back instead of stopping. */
  readonly takeBack: boolean;
}

export interface KeptDatabaseCheckOutputs extends KeptDatabaseCheckInputs {
  /** What was taken back, in words; undefined when nothing was. */
  readonly tookBack?: string;
}

/** Every property, declared once (lib/dynamicResource.ts). All inputs are only recorded: the check acts when created. */
export const KEPT_DATABASE_CHECK_PROPERTIES = {
  inputs: {
    server: { recordOnly: true },
    adminPassword: { secret: "whenSet", recordOnly: true },
    password: { secret: "whenSet", recordOnly: true },
    volumeName: { recordOnly: true },
    dockerHost: { recordOnly: true },
    dockerConnection: { secret: "whenSet", recordOnly: true },
    takeBack: { recordOnly: true },
  },
  outputs: { tookBack: {} },
} satisfies DynamicResourceSpec<KeptDatabaseCheckInputs, KeptDatabaseCheckOutputs>;

const SERVER_OBJECTS_SQL = `SELECT
  EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS "roleExists",
  (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $2) AS "databaseOwner",
  EXISTS (SELECT 1 FROM pg_database WHERE datname = $2) AS "databaseExists"`;

function pgConfig(s: NonNullable<KeptDatabaseCheckInputs["server"]>, user: string, password: string, database: string) {
  const ssl = s.sslMode ? sslModeSettings(s.sslMode)?.npgsql : undefined;
  const config = pgClientConfig(npgsqlConnectionString({ host: s.host, port: s.port, database, username: user, password, ...ssl }));
  return { ...config, connectionTimeoutMillis: 30000, application_name: "creatio-identity KeptDatabaseCheck" };
}

/** What the server has under the stack's names, seen by the admin role; and whether the stack's password opens the role. */
export async function findOnServer(inputs: KeptDatabaseCheckInputs): Promise<ServerFindings> {
  const s = inputs.server!;
  const where = `${s.host}:${s.port}`;
  // Built here, not at module load: the provider runs in another process after serialization.
  const { Client } = require("pg");
  const admin = new Client(pgConfig(s, s.adminUsername, inputs.adminPassword ?? "", "postgres"));
  let row: { roleExists: boolean; databaseExists: boolean; databaseOwner: string | null };
  try {
    await admin.connect();
    row = (await admin.query(SERVER_OBJECTS_SQL, [s.username, s.databaseName])).rows[0];
  } catch (e) {
    throw new Error(
      `Could not look for a kept Identity Service database on the PostgreSQL server ${where} as "${s.adminUsername}": ${postgresErrorText(e)}. ` +
        "Fix: check databaseHost, databasePort, databaseAdminUsername, databaseAdminPassword and databaseSslMode (`pulumi config set …`), then run `pulumi up` again.",
    );
  } finally {
    await admin.end().catch(() => undefined);
  }
  const found: ServerFindings = {
    kind: "server",
    where,
    role: s.username,
    database: s.databaseName,
    roleExists: row.roleExists,
    databaseExists: row.databaseExists,
    ...(row.databaseOwner ? { databaseOwner: row.databaseOwner } : {}),
  };
  if (!row.roleExists || inputs.password === undefined) return found;
  const login = new Client(pgConfig(s, s.username, inputs.password, row.databaseExists ? s.databaseName : "postgres"));
  try {
    await login.connect();
    return { ...found, passwordOpensRole: true };
  } catch (e) {
    // Refused for its password: not this stack's. Any other refusal (pg_hba.conf, no CONNECT
    // privilege) says nothing about whose it is.
    return (e as { code?: string }).code === INVALID_PASSWORD_SQLSTATE ? { ...found, passwordOpensRole: false } : found;
  } finally {
    await login.end().catch(() => undefined);
  }
}

/** What the Docker host has under the volume's name. */
export async function findOnDockerHost(inputs: KeptDatabaseCheckInputs): Promise<ContainerFindings> {
  const target = dockerTarget({ ...inputs.dockerConnection, host: inputs.dockerHost });
  const usage = await withDockerEngine(target, (engine) => volumeUsage(engine, inputs.volumeName!));
  return { kind: "container", where: target.address, volume: inputs.volumeName!, volumeExists: usage.exists, usedBy: usage.usedBy };
}

async function check(inputs: KeptDatabaseCheckInputs): Promise<KeptDatabaseCheckOutputs> {
  const found: KeptDatabaseFindings = inputs.server ? await findOnServer(inputs) : await findOnDockerHost(inputs);
  const decision = decideKeptDatabase(found, inputs.takeBack);
  if (decision.outcome === "refuse") throw new Error(decision.message);
  // Said once, when it happens: an output the program warned about would be said again on every `up`.
  if (decision.outcome === "takeBack") providerLog("warn", tookBackNotice(decision.kept));
  // JSON round trip: protobuf's Struct (the engine's wire format) refuses `undefined` values.
  return JSON.parse(JSON.stringify({ ...inputs, tookBack: decision.outcome === "takeBack" ? decision.kept : undefined }));
}

export const keptDatabaseCheckProvider: pulumi.dynamic.ResourceProvider<KeptDatabaseCheckInputs, KeptDatabaseCheckOutputs> = {
  async check(_olds, news) {
    const failures: { property: string; reason: string }[] = [];
    if ((news.server === undefined) === (news.volumeName === undefined)) failures.push({ property: "server", reason: "set exactly one of server and volumeName" });
    return { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    return { changes: changedInputs(KEPT_DATABASE_CHECK_PROPERTIES, olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs) {
    const { randomUUID } = require("crypto");
    return { id: randomUUID() as string, outs: await check(inputs) };
  },

  async read(id, props) {
    return { id, props };
  },

  async update(_id, olds, news) {
    // Acts only when created: a later change (databaseTakeBack removed, a new admin password) is recorded.
    return { outs: JSON.parse(JSON.stringify({ ...news, tookBack: olds.tookBack })) };
  },
};

export interface KeptDatabaseCheckArgs {
  readonly server?: pulumi.Input<NonNullable<KeptDatabaseCheckInputs["server"]>>;
  readonly adminPassword?: pulumi.Input<string>;
  readonly password?: pulumi.Input<string>;
  readonly volumeName?: pulumi.Input<string>;
  readonly dockerHost?: pulumi.Input<string | undefined>;
  readonly dockerConnection?: pulumi.Input<DockerConnectionSettings | undefined>;
  readonly takeBack: boolean;
}

/** Looks for a kept Identity Service database before the stack creates its own; takes it back or stops, saying how. */
// Its outputs are KeptDatabaseCheckOutputs' properties, which pulumi.dynamic.Resource sets at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface KeptDatabaseCheck extends DynamicOutputs<KeptDatabaseCheckOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class KeptDatabaseCheck extends DeclaredDynamicResource {
  constructor(name: string, args: KeptDatabaseCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(keptDatabaseCheckProvider, KEPT_DATABASE_CHECK_PROPERTIES, DYNAMIC_TYPE_NAMES.keptDatabaseCheck, name, args, opts);
  }
}
