/**
 * Every config key the program reads: its type, default, description and check. The one source of
 * these facts: `Pulumi.yaml`'s `config:` block and the README's key table are generated from it
 * (`npm run generate:config`; a test fails when the committed files differ), and the defaults come
 * from lib/defaults, which the components share.
 */
import { POSTGRESQL_PROVIDER_SSL_MODES } from "../lib/connectionString";
import { GUID_PATTERN } from "../lib/creatio/constants";
import { SNAPSHOT_NAME_PATTERN } from "../lib/databaseSnapshotSql";
import { DEFAULTS } from "../lib/defaults";
import { parseImageReference } from "../lib/imageTag";
import {
  clientIdProblem,
  clientSecretProblem,
  containerNameProblem,
  dnsNamesProblem,
  httpUrlProblem,
  NO_WHITE_SPACE,
  portProblem,
  positiveProblem,
  SQL_IDENTIFIER_PATTERN,
} from "../lib/validators";

/** The project name: config keys are `creatio-identity:<key>`. */
export const PROJECT = "creatio-identity";

export type KeyType = "string" | "integer" | "boolean" | "array";

/** How one config key is declared. */
export interface ConfigKeySpec {
  readonly type: KeyType;
  readonly description: string;
  /** For `array`: the items' type (Pulumi.yaml `items.type`). Default string. */
  readonly items?: "string" | "object";
  /** Applied when the key is unset. Keys without a default are optional unless a rule requires them. */
  readonly default?: string | number | boolean | readonly string[];
  /** Must be set with `pulumi config set --secret`; never echoed in errors. */
  readonly secret?: boolean;
  /** Extra check on the typed value; returns the problem in words, or undefined. */
  readonly check?: (value: any) => string | undefined;
  /** A plausible example for error messages (never a real secret). */
  readonly example: string;
}

const LOG_LEVELS = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];
const DB_MODES = ["container", "server", "connectionString"];
const oneOf = (values: readonly string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(", ")}`);

/** Every key the program reads (without the `creatio-identity:` prefix). */
export const CONFIG_KEYS = {
  // --- Creatio and the client Creatio uses -------------------------------------------------
  creatioUrl: {
    type: "string",
    default: DEFAULTS.creatioUrl,
    example: "https://creatio.example.com",
    description: "Creatio's base URL as users' browsers see it; the client's redirect URIs are derived from it.",
    check: httpUrlProblem,
  },
  clientName: {
    type: "string",
    default: DEFAULTS.clientName,
    example: "Creatio production",
    description: "The Identity Service client's display name (ClientName).",
    check: (v: string) => (v.trim() ? undefined : "must not be empty"),
  },
  clientId: {
    type: "string",
    example: "a1b2c3d4e5f6g7h8",
    description: "Supply the client id (exactly 16 characters, no spaces). Generated (16 letters and digits) when unset.",
    check: clientIdProblem,
  },
  clientSecret: {
    type: "string",
    secret: true,
    example: "<32 or more characters>",
    description: "Supply the client secret (at least 32 characters, no spaces). Generated (32 letters and digits) when unset.",
    check: clientSecretProblem,
  },
  rotation: {
    type: "string",
    example: "2026-11",
    description:
      "Keeper for the generated client secret: change it (any new value) to rotate the secret on the next `pulumi up`. Removing it (`pulumi config rm rotation`) also rotates the secret.",
  },
  // --- The Identity Service container ------------------------------------------------------
  identityServiceSourceDir: {
    type: "string",
    default: DEFAULTS.identityServiceSourceDir,
    example: "./IdentityService",
    description: "Folder of the unpacked IdentityService.zip (holds Dockerfile-OAuth); the image is built from it unless `image` is set. Relative to the project folder.",
  },
  image: {
    type: "string",
    example: "registry.example.com/creatio-identity-service:8.1.4",
    description: "Use this prebuilt Identity Service image instead of building one from identityServiceSourceDir.",
    check: (v: string) => (NO_WHITE_SPACE.test(v) ? undefined : "must be an image reference without spaces"),
  },
  imageName: {
    type: "string",
    default: DEFAULTS.imageRepository,
    example: "creatio-identity-service",
    description:
      "Repository of the image built from identityServiceSourceDir; its tag is the folder's content hash (src-<12 hex>), so `pulumi config set image <repository>:src-...` runs an older build again.",
    check: (v: string) => {
      if (!NO_WHITE_SPACE.test(v)) return "must be an image repository without spaces";
      const ref = parseImageReference(v);
      return ref.tag !== undefined || ref.digest !== undefined ? "must be a repository without a tag: the tag is the content hash of identityServiceSourceDir" : undefined;
    },
  },
  containerName: {
    type: "string",
    default: DEFAULTS.containerName,
    example: "creatio-identity-service",
    description: "Name of the Identity Service container (fixed: replacements delete the old container first).",
    check: containerNameProblem,
  },
  httpPort: {
    type: "integer",
    default: DEFAULTS.httpPort,
    example: "8090",
    description: "Host port published for the Identity Service's HTTP endpoint (container port 80).",
    check: portProblem,
  },
  httpsPort: {
    type: "integer",
    default: DEFAULTS.httpsPort,
    example: "8443",
    description: "Host port published for the Identity Service's HTTPS endpoint (container port 443).",
    check: portProblem,
  },
  listenAddress: {
    type: "string",
    default: DEFAULTS.listenAddress,
    example: "127.0.0.1",
    description: "Host address the ports are published on; 0.0.0.0 for every interface (as `docker run -p`).",
    check: (v: string) => (/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+$/i.test(v) ? undefined : "must be an IP address"),
  },
  publicUrl: {
    type: "string",
    example: "https://identity.example.com",
    description: "The Identity Service URL Creatio and browsers use. Default: https://localhost:<httpsPort>.",
    check: httpUrlProblem,
  },
  logLevel: {
    type: "string",
    default: DEFAULTS.logLevel,
    example: "Warning",
    description: "Identity Service log level (Logging__LogLevel__Default).",
    check: oneOf(LOG_LEVELS),
  },
  redisConnection: {
    type: "string",
    secret: true,
    example: "redis.example.com:6379,password=...",
    description: "StackExchange.Redis connection string for machineKey protection; unset disables it.",
  },
  // --- Upgrades: database snapshots (docs/upgrade.md) --------------------------------------
  databaseSnapshotsToKeep: {
    type: "integer",
    default: DEFAULTS.databaseSnapshotsToKeep,
    example: "3",
    description: "PostgreSQL: snapshots of the Identity Service database to keep; one is taken before every image change, older ones are dropped. 0 takes none.",
    check: (v: number) => (v >= 0 ? undefined : "must be 0 or more"),
  },
  restoreDatabaseSnapshot: {
    type: "string",
    example: "snapshot_20261202064216_src_3f2a9c1b7d4e",
    description: "A snapshot to put back on the next `pulumi up` (stops the service, restores its tables in one transaction, starts it); done once. Remove the key afterwards.",
    check: (v: string) =>
      SNAPSHOT_NAME_PATTERN.test(v) ? undefined : "must be a snapshot name (snapshot_<yyyymmddhhmmss>_<image>); `pulumi stack output databaseSnapshots` lists them",
  },
  // --- Certificate -------------------------------------------------------------------------
  certificatePfxBase64: {
    type: "string",
    secret: true,
    example: "$(base64 -w0 identity.pfx)",
    description: "A supplied PFX (base64). Unset (with certificatePfxFile unset): a self-signed certificate is made.",
    check: (v: string) => (/^[A-Za-z0-9+/\s]+=*$/.test(v) ? undefined : "must be base64 (for example `base64 -w0 identity.pfx`)"),
  },
  certificatePfxFile: {
    type: "string",
    example: "./certs/identity.pfx",
    description: "Path of a supplied PFX file, relative to the project folder (alternative to certificatePfxBase64).",
  },
  certificatePassword: {
    type: "string",
    secret: true,
    example: "<the PFX password>",
    description: "Password of the supplied PFX. Required with certificatePfxBase64 or certificatePfxFile.",
  },
  certificateDnsNames: {
    type: "array",
    default: DEFAULTS.certificateDnsNames,
    example: '["identity.example.com"]',
    description: "Self-signed certificate: DNS names (the public URL's host name is added).",
    check: dnsNamesProblem,
  },
  certificateValidityDays: {
    type: "integer",
    default: DEFAULTS.certificateValidityDays,
    example: "365",
    description: "Self-signed certificate: validity in days.",
    check: positiveProblem,
  },
  certificateEarlyRenewalDays: {
    type: "integer",
    default: DEFAULTS.certificateEarlyRenewalDays,
    example: "30",
    description: "Self-signed certificate: a `pulumi up` this many days (or fewer) before expiry renews it.",
    check: (v: number) => (v >= 0 ? undefined : "must be zero or more"),
  },
  // --- Identity Service database -----------------------------------------------------------
  databaseMode: {
    type: "string",
    default: DEFAULTS.databaseMode,
    example: "server",
    description: "container: a PostgreSQL container (dev); server: a role and database on an existing PostgreSQL server; connectionString: use databaseConnectionString.",
    check: oneOf(DB_MODES),
  },
  databaseImage: {
    type: "string",
    default: DEFAULTS.databaseImage,
    example: "postgres:16-alpine",
    description: "databaseMode container: the PostgreSQL image.",
  },
  databaseHostPort: {
    type: "integer",
    default: DEFAULTS.databaseHostPort,
    example: "55432",
    description: "databaseMode container: port published on 127.0.0.1 so Pulumi can reach the database (client rotation).",
    check: portProblem,
  },
  databaseHost: {
    type: "string",
    example: "pg.example.com",
    description: "databaseMode server: PostgreSQL host name, as both Pulumi and the Identity Service container reach it.",
  },
  databasePort: {
    type: "integer",
    default: DEFAULTS.databasePort,
    example: "5432",
    description: "databaseMode server: PostgreSQL port.",
    check: portProblem,
  },
  databaseAdminUsername: {
    type: "string",
    example: "postgres",
    description: "databaseMode server: a role that can create roles and databases.",
  },
  databaseAdminPassword: {
    type: "string",
    secret: true,
    example: "<admin password>",
    description: "databaseMode server: that role's password.",
  },
  databaseSslMode: {
    // Not prefer: it falls back to plain text (an attacker on the path can force that), and Pulumi's
    // PostgreSQL provider accepts it only since lib/pq 1.12 (lib/connectionString POSTGRESQL_PROVIDER_SSL_MODES).
    type: "string",
    default: DEFAULTS.databaseSslMode,
    example: "verify-full",
    description:
      "databaseMode server: libpq sslmode for Pulumi's PostgreSQL provider and the matching Npgsql SSL Mode for the Identity Service. Default require: always encrypted, certificate not checked (verify-full checks it); disable only for a server without TLS.",
    check: oneOf([...POSTGRESQL_PROVIDER_SSL_MODES]),
  },
  databaseName: {
    type: "string",
    default: DEFAULTS.databaseName,
    example: "identity_service",
    description: "databaseMode container/server: the Identity Service database.",
    check: (v: string) => (SQL_IDENTIFIER_PATTERN.test(v) ? undefined : "must be a lower-case SQL identifier (letters, digits, _)"),
  },
  databaseUsername: {
    type: "string",
    default: DEFAULTS.databaseUsername,
    example: "identity_service",
    description: "databaseMode container/server: the Identity Service's login role (owns the database).",
    check: (v: string) => (SQL_IDENTIFIER_PATTERN.test(v) ? undefined : "must be a lower-case SQL identifier (letters, digits, _)"),
  },
  databaseProvider: {
    type: "string",
    default: DEFAULTS.databaseProvider,
    example: "MsSqlServer",
    description: "databaseMode connectionString: Postgres or MsSqlServer (the Identity Service's DbProvider).",
    check: oneOf(["Postgres", "MsSqlServer"]),
  },
  databaseConnectionString: {
    type: "string",
    secret: true,
    example: "Host=pg;Port=5432;Database=identity;Username=is;Password=...",
    description: "databaseMode connectionString: ADO.NET connection string (Npgsql or SqlClient syntax).",
  },
  // --- Creatio integration (post-deploy) ---------------------------------------------------
  creatioIntegration: {
    type: "boolean",
    default: false,
    example: "true",
    description: "Switch Creatio over to the Identity Service after it runs: enable OAuth20Integration and write the three system settings.",
  },
  creatioUsername: {
    type: "string",
    default: DEFAULTS.creatioUsername,
    example: "Supervisor",
    description: "creatioIntegration: a Creatio administrator's user name.",
  },
  creatioPassword: {
    type: "string",
    secret: true,
    example: "<Creatio password>",
    description: "creatioIntegration: that user's password.",
  },
  creatioNetCore: {
    type: "boolean",
    default: false,
    example: "true",
    description: "creatioIntegration: true for Creatio on .NET 6/8 (API at the site root); false for .NET Framework (API under /0).",
  },
  creatioCreateDefaultResource: {
    type: "boolean",
    default: true,
    example: "false",
    description: 'creatioIntegration: create Creatio\'s default OAuth resource ("Application access", which integrated applications need) when it has none.',
  },
  creatioFeatureAdminUnitIds: {
    type: "array",
    default: DEFAULTS.creatioFeatureAdminUnitIds,
    example: '["a29a3ba5-4b0d-de11-9a51-005056c00008"]',
    description: "creatioIntegration: the roles/users OAuth20Integration is enabled for (default: All employees).",
    check: (v: string[]) => (v.length > 0 && v.every((id) => GUID_PATTERN.test(id)) ? undefined : "must be a non-empty list of GUIDs"),
  },
  identityServerUrlForCreatio: {
    type: "string",
    example: "http://creatio-identity-service",
    description: "creatioIntegration: the Identity Service URL as Creatio's server reaches it. Default: publicUrl.",
    check: httpUrlProblem,
  },
  readinessTimeoutSeconds: {
    type: "integer",
    default: DEFAULTS.readinessTimeoutSeconds,
    example: "300",
    description: "creatioIntegration: how long to wait for the Identity Service to issue a token before failing.",
    check: positiveProblem,
  },
  // --- Creatio's OAuth 2.0 integrated applications (lib/creatioApplicationsConfig.ts) ------
  creatioOAuthApplications: {
    type: "array",
    items: "object",
    default: [],
    example: "Billing",
    description:
      'creatioIntegration: OAuth 2.0 integrated applications to create in Creatio, a list of { name, applicationUrl, systemUser, redirectUrl?, description?, active?, rotation? }; their credentials are the creatioOAuthApplications output (README, "OAuth 2.0 integrated applications").',
  },
} satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys earlier versions read, with why they are gone: a stack that still sets one is told so and how to remove it. */
export const RETIRED_KEYS: Readonly<Record<string, string>> = {
  creatioDatabaseUrl: "the Creatio integration now works through Creatio's API alone (any database engine, no database credentials).",
};
