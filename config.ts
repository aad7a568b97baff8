/**
 * The stack's configuration: every key the program reads, its type, default and description, and
 * one validation pass that runs before any resource is created.
 *
 * `CONFIG_KEYS` is the single source of truth; `Pulumi.yaml`'s `config:` block declares the same
 * keys with the same types and defaults (a test keeps the two in step). Defaults are applied here
 * too, because the program must behave the same when the CLI does not inject them (mocks, the
 * Automation API with an inline program).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkSuppliedConnectionString, DbProvider, POSTGRESQL_PROVIDER_SSL_MODES } from "./lib/connectionString";
import { PfxContents } from "./lib/pfx";
import { checkSuppliedPfx, decodePfxBase64 } from "./lib/suppliedPfx";
import { CreatioApplicationConfig, parseCreatioApplications } from "./lib/creatioApplicationsConfig";
import { parseImageReference } from "./lib/imageTag";
import { SNAPSHOT_NAME_PATTERN } from "./lib/databaseSnapshotSql";

export const PROJECT = "creatio-identity";

type KeyType = "string" | "integer" | "boolean" | "array";

/** How one config key is declared. */
export interface ConfigKeySpec {
  readonly type: KeyType;
  readonly description: string;
  /** For `array`: the items' type (Pulumi.yaml `items.type`). Default string. */
  readonly items?: "string" | "object";
  /** Applied when the key is unset. Keys without a default are optional unless a rule requires them. */
  readonly default?: string | number | boolean | string[];
  /** Must be set with `pulumi config set --secret`; never echoed in errors. */
  readonly secret?: boolean;
  /** Extra check on the typed value; returns the problem in words, or undefined. */
  readonly check?: (value: any) => string | undefined;
  /** A plausible example for error messages (never a real secret). */
  readonly example: string;
}

const LOG_LEVELS = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];
const DB_MODES = ["container", "server", "connectionString"];
const NO_WS = /^[^\s\p{Cc}]+$/u;

const port = (v: number) => (v >= 1 && v <= 65535 ? undefined : "must be a TCP port from 1 to 65535");
const positive = (v: number) => (v > 0 ? undefined : "must be a positive whole number");
const url = (v: string) => {
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:" ? undefined : "must be an http:// or https:// URL";
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
};
const oneOf = (values: string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(", ")}`);
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every key the program reads (without the `creatio-identity:` prefix). */
export const CONFIG_KEYS = {
  // --- Creatio and the client Creatio uses -------------------------------------------------
  creatioUrl: {
    type: "string", default: "http://localhost:8080", example: "https://creatio.example.com",
    description: "Creatio's base URL as users' browsers see it; the client's redirect URIs are derived from it.",
    check: url,
  },
  clientName: {
    type: "string", default: "Creatio", example: "Creatio production",
    description: "The Identity Service client's display name (ClientName).",
    check: (v: string) => (v.trim() ? undefined : "must not be empty"),
  },
  clientId: {
    type: "string", example: "a1b2c3d4e5f6g7h8",
    description: "Supply the client id (exactly 16 characters, no spaces). Generated (16 letters and digits) when unset.",
    check: (v: string) => ([...v].length === 16 && NO_WS.test(v) ? undefined : "must be exactly 16 characters without spaces"),
  },
  clientSecret: {
    type: "string", secret: true, example: "<32 or more characters>",
    description: "Supply the client secret (at least 32 characters, no spaces). Generated (32 letters and digits) when unset.",
    check: (v: string) => ([...v].length >= 32 && NO_WS.test(v) ? undefined : "must be at least 32 characters without spaces"),
  },
  rotation: {
    type: "string", example: "2026-11",
    description: "Keeper for the generated client secret: change it (any new value) to rotate the secret on the next `pulumi up`. Removing it (`pulumi config rm rotation`) also rotates the secret.",
  },
  // --- The Identity Service container ------------------------------------------------------
  identityServiceSourceDir: {
    type: "string", default: "./IdentityService", example: "./IdentityService",
    description: "Folder of the unpacked IdentityService.zip (holds Dockerfile-OAuth); the image is built from it unless `image` is set. Relative to the project folder.",
  },
  image: {
    type: "string", example: "registry.example.com/creatio-identity-service:8.1.4",
    description: "Use this prebuilt Identity Service image instead of building one from identityServiceSourceDir.",
    check: (v: string) => (NO_WS.test(v) ? undefined : "must be an image reference without spaces"),
  },
  imageName: {
    type: "string", default: "creatio-identity-service", example: "creatio-identity-service",
    description: "Repository of the image built from identityServiceSourceDir; its tag is the folder's content hash (src-<12 hex>), so `pulumi config set image <repository>:src-...` runs an older build again.",
    check: (v: string) => {
      if (!NO_WS.test(v)) return "must be an image repository without spaces";
      const ref = parseImageReference(v);
      return ref.tag !== undefined || ref.digest !== undefined ? "must be a repository without a tag: the tag is the content hash of identityServiceSourceDir" : undefined;
    },
  },
  containerName: {
    type: "string", default: "creatio-identity-service", example: "creatio-identity-service",
    description: "Name of the Identity Service container (fixed: replacements delete the old container first).",
    check: (v: string) => (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v) ? undefined : "must be a Docker container name (letters, digits, _ . -)"),
  },
  httpPort: {
    type: "integer", default: 8090, example: "8090",
    description: "Host port published for the Identity Service's HTTP endpoint (container port 80).",
    check: port,
  },
  httpsPort: {
    type: "integer", default: 8443, example: "8443",
    description: "Host port published for the Identity Service's HTTPS endpoint (container port 443).",
    check: port,
  },
  listenAddress: {
    type: "string", default: "0.0.0.0", example: "127.0.0.1",
    description: "Host address the ports are published on; 0.0.0.0 for every interface (as `docker run -p`).",
    check: (v: string) => (/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+$/i.test(v) ? undefined : "must be an IP address"),
  },
  publicUrl: {
    type: "string", example: "https://identity.example.com",
    description: "The Identity Service URL Creatio and browsers use. Default: https://localhost:<httpsPort>.",
    check: url,
  },
  logLevel: {
    type: "string", default: "Information", example: "Warning",
    description: "Identity Service log level (Logging__LogLevel__Default).",
    check: oneOf(LOG_LEVELS),
  },
  redisConnection: {
    type: "string", secret: true, example: "redis.example.com:6379,password=...",
    description: "StackExchange.Redis connection string for machineKey protection; unset disables it.",
  },
  // --- Upgrades: database snapshots (docs/upgrade.md) --------------------------------------
  databaseSnapshotsToKeep: {
    type: "integer", default: 3, example: "3",
    description: "PostgreSQL: snapshots of the Identity Service database to keep; one is taken before every image change, older ones are dropped. 0 takes none.",
    check: (v: number) => (v >= 0 ? undefined : "must be 0 or more"),
  },
  restoreDatabaseSnapshot: {
    type: "string", example: "snapshot_20261202064216_src_3f2a9c1b7d4e",
    description: "A snapshot to put back on the next `pulumi up` (stops the service, restores its tables in one transaction, starts it); done once. Remove the key afterwards.",
    check: (v: string) => (SNAPSHOT_NAME_PATTERN.test(v) ? undefined : "must be a snapshot name (snapshot_<yyyymmddhhmmss>_<image>); `pulumi stack output databaseSnapshots` lists them"),
  },
  // --- Certificate -------------------------------------------------------------------------
  certificatePfxBase64: {
    type: "string", secret: true, example: "$(base64 -w0 identity.pfx)",
    description: "A supplied PFX (base64). Unset (with certificatePfxFile unset): a self-signed certificate is made.",
    check: (v: string) => (/^[A-Za-z0-9+/\s]+=*$/.test(v) ? undefined : "must be base64 (for example `base64 -w0 identity.pfx`)"),
  },
  certificatePfxFile: {
    type: "string", example: "./certs/identity.pfx",
    description: "Path of a supplied PFX file, relative to the project folder (alternative to certificatePfxBase64).",
  },
  certificatePassword: {
    type: "string", secret: true, example: "<the PFX password>",
    description: "Password of the supplied PFX. Required with certificatePfxBase64 or certificatePfxFile.",
  },
  certificateDnsNames: {
    type: "array", default: ["localhost"], example: "[\"identity.example.com\"]",
    description: "Self-signed certificate: DNS names (the public URL's host name is added).",
    check: (v: string[]) => (v.length > 0 && v.every((n) => /^[a-zA-Z0-9*]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(n)) ? undefined : "must be a non-empty list of DNS names"),
  },
  certificateValidityDays: {
    type: "integer", default: 365, example: "365",
    description: "Self-signed certificate: validity in days.",
    check: positive,
  },
  certificateEarlyRenewalDays: {
    type: "integer", default: 30, example: "30",
    description: "Self-signed certificate: a `pulumi up` this many days (or fewer) before expiry renews it.",
    check: (v: number) => (v >= 0 ? undefined : "must be zero or more"),
  },
  // --- Identity Service database -----------------------------------------------------------
  databaseMode: {
    type: "string", default: "container", example: "server",
    description: "container: a PostgreSQL container (dev); server: a role and database on an existing PostgreSQL server; connectionString: use databaseConnectionString.",
    check: oneOf(DB_MODES),
  },
  databaseImage: {
    type: "string", default: "postgres:16-alpine", example: "postgres:16-alpine",
    description: "databaseMode container: the PostgreSQL image.",
  },
  databaseHostPort: {
    type: "integer", default: 55432, example: "55432",
    description: "databaseMode container: port published on 127.0.0.1 so Pulumi can reach the database (client rotation).",
    check: port,
  },
  databaseHost: {
    type: "string", example: "pg.example.com",
    description: "databaseMode server: PostgreSQL host name, as both Pulumi and the Identity Service container reach it.",
  },
  databasePort: {
    type: "integer", default: 5432, example: "5432",
    description: "databaseMode server: PostgreSQL port.",
    check: port,
  },
  databaseAdminUsername: {
    type: "string", example: "postgres",
    description: "databaseMode server: a role that can create roles and databases.",
  },
  databaseAdminPassword: {
    type: "string", secret: true, example: "<admin password>",
    description: "databaseMode server: that role's password.",
  },
  databaseSslMode: {
    // Not prefer: it falls back to plain text (an attacker on the path can force that), and Pulumi's
    // PostgreSQL provider accepts it only since lib/pq 1.12 (lib/connectionString POSTGRESQL_PROVIDER_SSL_MODES).
    type: "string", default: "require", example: "verify-full",
    description: "databaseMode server: libpq sslmode for Pulumi's PostgreSQL provider and the matching Npgsql SSL Mode for the Identity Service. Default require: always encrypted, certificate not checked (verify-full checks it); disable only for a server without TLS.",
    check: oneOf([...POSTGRESQL_PROVIDER_SSL_MODES]),
  },
  databaseName: {
    type: "string", default: "identity_service", example: "identity_service",
    description: "databaseMode container/server: the Identity Service database.",
    check: (v: string) => (/^[a-z_][a-z0-9_]*$/.test(v) ? undefined : "must be a lower-case SQL identifier (letters, digits, _)"),
  },
  databaseUsername: {
    type: "string", default: "identity_service", example: "identity_service",
    description: "databaseMode container/server: the Identity Service's login role (owns the database).",
    check: (v: string) => (/^[a-z_][a-z0-9_]*$/.test(v) ? undefined : "must be a lower-case SQL identifier (letters, digits, _)"),
  },
  databaseProvider: {
    type: "string", default: "Postgres", example: "MsSqlServer",
    description: "databaseMode connectionString: Postgres or MsSqlServer (the Identity Service's DbProvider).",
    check: oneOf(["Postgres", "MsSqlServer"]),
  },
  databaseConnectionString: {
    type: "string", secret: true, example: "Host=pg;Port=5432;Database=identity;Username=is;Password=...",
    description: "databaseMode connectionString: ADO.NET connection string (Npgsql or SqlClient syntax).",
  },
  // --- Creatio integration (post-deploy) ---------------------------------------------------
  creatioIntegration: {
    type: "boolean", default: false, example: "true",
    description: "Switch Creatio over to the Identity Service after it runs: enable OAuth20Integration and write the three system settings.",
  },
  creatioUsername: {
    type: "string", default: "Supervisor", example: "Supervisor",
    description: "creatioIntegration: a Creatio administrator's user name.",
  },
  creatioPassword: {
    type: "string", secret: true, example: "<Creatio password>",
    description: "creatioIntegration: that user's password.",
  },
  creatioNetCore: {
    type: "boolean", default: false, example: "true",
    description: "creatioIntegration: true for Creatio on .NET 6/8 (API at the site root); false for .NET Framework (API under /0).",
  },
  creatioCreateDefaultResource: {
    type: "boolean", default: true, example: "false",
    description: "creatioIntegration: create Creatio's default OAuth resource (\"Application access\", which integrated applications need) when it has none.",
  },
  creatioFeatureAdminUnitIds: {
    type: "array", default: ["a29a3ba5-4b0d-de11-9a51-005056c00008"], example: "[\"a29a3ba5-4b0d-de11-9a51-005056c00008\"]",
    description: "creatioIntegration: the roles/users OAuth20Integration is enabled for (default: All employees).",
    check: (v: string[]) => (v.length > 0 && v.every((id) => guid.test(id)) ? undefined : "must be a non-empty list of GUIDs"),
  },
  identityServerUrlForCreatio: {
    type: "string", example: "http://creatio-identity-service",
    description: "creatioIntegration: the Identity Service URL as Creatio's server reaches it. Default: publicUrl.",
    check: url,
  },
  readinessTimeoutSeconds: {
    type: "integer", default: 300, example: "300",
    description: "creatioIntegration: how long to wait for the Identity Service to issue a token before failing.",
    check: positive,
  },
  // --- Creatio's OAuth 2.0 integrated applications (lib/creatioApplicationsConfig.ts) ------
  creatioOAuthApplications: {
    type: "array", items: "object", default: [], example: "Billing",
    description: "creatioIntegration: OAuth 2.0 integrated applications to create in Creatio, a list of { name, applicationUrl, systemUser, redirectUrl?, description?, active?, rotation? }; their credentials are the creatioOAuthApplications output.",
  },
} satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys earlier versions read, with why they are gone: a stack that still sets one is told so and how to remove it. */
export const RETIRED_KEYS: Readonly<Record<string, string>> = {
  creatioDatabaseUrl: "the Creatio integration now works through Creatio's API alone (any database engine, no database credentials).",
};

/** A secret config value: only ever handed on as a Pulumi secret. */
export type Secret = pulumi.Output<string>;

/** The validated, typed configuration the stack program works from. */
export interface StackConfig {
  readonly creatioUrl: string;
  readonly client: {
    readonly name: string;
    readonly id?: string;
    readonly secret?: Secret;
    readonly rotation?: string;
  };
  readonly service: {
    readonly sourceDir?: string;
    readonly image?: string;
    readonly imageName: string;
    readonly containerName: string;
    readonly httpPort: number;
    readonly httpsPort: number;
    readonly listenAddress: string;
    readonly publicUrl: string;
    readonly logLevel: string;
    readonly redisConnection?: Secret;
    /** The Docker engine (`docker:host` config, as @pulumi/docker reads it); undefined: DOCKER_HOST or the local socket. */
    readonly dockerHost?: string;
  };
  /** Snapshots of the Identity Service database around image changes (PostgreSQL). */
  readonly databaseSnapshots: { readonly keep: number; readonly restore?: string };
  readonly certificate:
    | { readonly kind: "selfSigned"; readonly dnsNames: string[]; readonly validityDays: number; readonly earlyRenewalDays: number }
    | {
        readonly kind: "supplied";
        readonly pfxBase64?: Secret;
        readonly pfxFile?: string;
        readonly password: Secret;
        /** What validation read from the PFX with its password (public: the certificate and its expiry). */
        readonly contents: PfxContents;
      };
  readonly database:
    | { readonly mode: "container"; readonly image: string; readonly hostPort: number; readonly databaseName: string; readonly username: string }
    | { readonly mode: "server"; readonly host: string; readonly port: number; readonly adminUsername: string; readonly adminPassword: Secret; readonly sslMode: string; readonly databaseName: string; readonly username: string }
    | { readonly mode: "connectionString"; readonly provider: DbProvider; readonly connectionString: Secret };
  readonly creatio?: {
    readonly username: string;
    readonly password: Secret;
    readonly netCore: boolean;
    readonly createDefaultResource: boolean;
    readonly featureAdminUnitIds: string[];
    readonly identityServerUrl: string;
    readonly readinessTimeoutSeconds: number;
    /** OAuth 2.0 integrated applications to create (creatioOAuthApplications). */
    readonly applications: CreatioApplicationConfig[];
  };
}

/**
 * Bad configuration: the message lists every problem, each naming its key and the fix. A Pulumi
 * `RunError`, the SDK's error for a program that stops on the user's input: `pulumi preview`/`up`
 * print its message once, without a stack trace or "unhandled exception".
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration for stack (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** What the raw config looks like: full keys (`creatio-identity:httpPort`) to strings, plus which are secret. */
export interface RawConfig {
  readonly values: Readonly<Record<string, string>>;
  readonly secretKeys: ReadonlySet<string>;
  /** Folder relative paths are resolved against (the project folder). */
  readonly projectDir: string;
}

const typeParsers: Record<KeyType, z.ZodType> = {
  string: z.string(),
  integer: z.string().trim().regex(/^-?\d+$/).transform(Number),
  boolean: z.enum(["true", "false"]).transform((v) => v === "true"),
  array: z.string().transform((text, ctx) => {
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed as string[];
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: "custom", message: "not a list" });
    return z.NEVER;
  }),
};

/** A list of objects (`items: object`), as the CLI hands structured config to the program: JSON. */
const objectListParser = z.string().transform((text, ctx) => {
  try {
    const parsed = JSON.parse(text);
    if (Array.isArray(parsed)) return parsed as unknown[];
  } catch {
    /* reported below */
  }
  ctx.addIssue({ code: "custom", message: "not a list" });
  return z.NEVER;
});

const typeWords: Record<KeyType, string> = {
  string: "a string",
  integer: "a whole number",
  boolean: "true or false",
  array: "a list of strings",
};

function setCommand(key: string, spec: ConfigKeySpec): string {
  if (spec.items === "object") return `set it in Pulumi.<stack>.yaml as a YAML list of objects, or \`pulumi config set --path '${key}[0].name' ${spec.example}\``;
  if (spec.type === "array") return `set it in Pulumi.<stack>.yaml as a YAML list, or \`pulumi config set --path '${key}[0]' <value>\``;
  return `\`pulumi config set ${spec.secret ? "--secret " : ""}${key} ${spec.example}\``;
}

/**
 * Validates raw config and returns the typed configuration, or throws one ConfigError that lists
 * every problem. Pure apart from reading the files that config points at (existence checks).
 */
export function parseStackConfig(raw: RawConfig): StackConfig {
  const problems: string[] = [];
  const prefix = `${PROJECT}:`;
  const typed: Record<string, any> = {};
  const explicit = new Set<string>();

  for (const fullKey of Object.keys(raw.values)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (key in RETIRED_KEYS) {
      problems.push(`${fullKey}: is no longer used: ${RETIRED_KEYS[key]} Remove it with \`pulumi config rm ${key}\`.`);
    } else if (!(key in CONFIG_KEYS)) {
      const near = nearestKey(key);
      problems.push(`${fullKey}: unknown key.${near ? ` Did you mean ${near}?` : ""} Remove it with \`pulumi config rm ${key}\`; the README lists every key.`);
    }
  }

  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    const fullKey = `${prefix}${key}`;
    const text = raw.values[fullKey];
    // Unset and empty mean the same: Pulumi.yaml declares optional keys with `default: ""`,
    // because the CLI requires a value for a declared key that has no default.
    if (text === undefined || text === "") {
      typed[key] = spec.default;
      continue;
    }
    if (spec.secret && !raw.secretKeys.has(fullKey)) {
      problems.push(`${fullKey}: is a secret but is stored in plain text. Fix: \`pulumi config set --secret ${key} <value>\`.`);
      continue;
    }
    // Until proven valid, the key keeps its default, so one bad value is reported once and does
    // not cascade into the cross-key checks below.
    typed[key] = spec.default;
    const parsed = (spec.items === "object" ? objectListParser : typeParsers[spec.type]).safeParse(text);
    const shown = spec.secret ? "" : ` (got ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)})`;
    if (!parsed.success) {
      problems.push(`${fullKey}: must be ${spec.items === "object" ? "a list of objects" : typeWords[spec.type]}${shown}. Fix: ${setCommand(key, spec)}.`);
      continue;
    }
    const problem = spec.check?.(parsed.data);
    if (problem) {
      problems.push(`${fullKey}: ${problem}${shown}. Fix: ${setCommand(key, spec)}.`);
      continue;
    }
    typed[key] = parsed.data;
    // The CLI injects Pulumi.yaml's defaults into the stack's config, so "set" means "differs from the default".
    if (JSON.stringify(parsed.data) !== JSON.stringify(spec.default)) explicit.add(key);
  }

  const need = (key: ConfigKey, why: string) => {
    if (typed[key] === undefined || typed[key] === "") {
      const spec: ConfigKeySpec = CONFIG_KEYS[key];
      problems.push(`${prefix}${key}: is required ${why}. Fix: ${setCommand(key, spec)}.`);
    }
  };
  const onlyWith = (keys: ConfigKey[], why: string) => {
    for (const k of keys) if (explicit.has(k)) problems.push(`${prefix}${k}: is only used ${why}; remove it (\`pulumi config rm ${k}\`) or change that setting.`);
  };
  const secret = (key: ConfigKey): Secret | undefined => (typed[key] === undefined ? undefined : pulumi.secret(String(typed[key])));
  const resolvePath = (p: string) => (path.isAbsolute(p) ? p : path.resolve(raw.projectDir, p));

  // Image: a given image, or a build from the unpacked IdentityService.zip.
  let sourceDir: string | undefined;
  if (typed.image !== undefined) {
    onlyWith(["identityServiceSourceDir", "imageName"], "when the image is built (image is set)");
  } else {
    sourceDir = resolvePath(typed.identityServiceSourceDir);
    if (!fs.existsSync(path.join(sourceDir, "Dockerfile-OAuth"))) {
      problems.push(
        `${prefix}identityServiceSourceDir: no Dockerfile-OAuth in ${sourceDir}. Fix: unpack IdentityService.zip from your Creatio distribution there, ` +
          "or point the key at it (`pulumi config set identityServiceSourceDir <folder>`), or use a prebuilt image (`pulumi config set image <name>`).",
      );
    }
  }
  if (typed.httpPort === typed.httpsPort) problems.push(`${prefix}httpsPort: must differ from httpPort (both are ${typed.httpPort}). Fix: \`pulumi config set httpsPort 8443\`.`);
  const publicUrl: string = typed.publicUrl ?? `https://localhost:${typed.httpsPort}`;

  // Certificate: supplied PFX or self-signed.
  let certificate: StackConfig["certificate"];
  if (typed.certificatePfxBase64 !== undefined || typed.certificatePfxFile !== undefined) {
    if (typed.certificatePfxBase64 !== undefined && typed.certificatePfxFile !== undefined) {
      problems.push(`${prefix}certificatePfxFile: set either certificatePfxBase64 or certificatePfxFile, not both. Fix: \`pulumi config rm certificatePfxFile\` or \`pulumi config rm certificatePfxBase64\`.`);
    }
    need("certificatePassword", "with a supplied PFX");
    onlyWith(["certificateDnsNames", "certificateValidityDays", "certificateEarlyRenewalDays"], "for the self-signed certificate (a PFX is supplied)");
    const pfxFile = typed.certificatePfxFile !== undefined ? resolvePath(typed.certificatePfxFile) : undefined;
    if (pfxFile !== undefined && !fs.existsSync(pfxFile)) {
      problems.push(`${prefix}certificatePfxFile: file not found: ${pfxFile}. Fix: put the PFX there or \`pulumi config set certificatePfxFile <path>\`.`);
    }
    // Opened now, as Kestrel will open it, so a wrong password or a file that is no PFX is
    // reported here with the other problems, before any resource exists.
    const contents = typed.certificatePfxBase64 !== undefined && pfxFile !== undefined ? undefined : openSuppliedPfx(typed.certificatePfxBase64, pfxFile, typed.certificatePassword, problems);
    certificate = { kind: "supplied", pfxBase64: secret("certificatePfxBase64"), pfxFile, password: secret("certificatePassword") ?? pulumi.secret(""), contents: contents! };
  } else {
    onlyWith(["certificatePassword"], "with a supplied PFX (certificatePfxBase64 or certificatePfxFile)");
    const host = safeHostname(publicUrl);
    const dnsNames = [...typed.certificateDnsNames];
    if (host && !dnsNames.includes(host) && !/^[\d.]+$|:/.test(host)) dnsNames.push(host);
    certificate = {
      kind: "selfSigned",
      dnsNames,
      validityDays: typed.certificateValidityDays,
      earlyRenewalDays: typed.certificateEarlyRenewalDays,
    };
    if (typed.certificateEarlyRenewalDays >= typed.certificateValidityDays) {
      problems.push(`${prefix}certificateEarlyRenewalDays: must be less than certificateValidityDays (${typed.certificateValidityDays}), or every \`pulumi up\` renews the certificate. Fix: \`pulumi config set certificateEarlyRenewalDays 30\`.`);
    }
  }

  // Database.
  const serverKeys: ConfigKey[] = ["databaseHost", "databasePort", "databaseAdminUsername", "databaseAdminPassword", "databaseSslMode"];
  const containerKeys: ConfigKey[] = ["databaseImage", "databaseHostPort"];
  const suppliedKeys: ConfigKey[] = ["databaseProvider", "databaseConnectionString"];
  let database: StackConfig["database"];
  switch (typed.databaseMode) {
    case "server":
      need("databaseHost", "when databaseMode is server");
      need("databaseAdminUsername", "when databaseMode is server");
      need("databaseAdminPassword", "when databaseMode is server");
      onlyWith([...containerKeys, ...suppliedKeys], "with another databaseMode");
      database = {
        mode: "server",
        host: typed.databaseHost,
        port: typed.databasePort,
        adminUsername: typed.databaseAdminUsername,
        adminPassword: secret("databaseAdminPassword") ?? pulumi.secret(""),
        sslMode: typed.databaseSslMode,
        databaseName: typed.databaseName,
        username: typed.databaseUsername,
      };
      break;
    case "connectionString":
      need("databaseConnectionString", "when databaseMode is connectionString");
      onlyWith([...containerKeys, ...serverKeys, "databaseName", "databaseUsername"], "with another databaseMode");
      if (typed.databaseConnectionString !== undefined) {
        try {
          checkSuppliedConnectionString(typed.databaseProvider, typed.databaseConnectionString);
        } catch (e) {
          // The message names the key and the missing part, never the value.
          problems.push(`${prefix}${(e as Error).message}`);
        }
      }
      database = { mode: "connectionString", provider: typed.databaseProvider, connectionString: secret("databaseConnectionString") ?? pulumi.secret("") };
      break;
    default:
      onlyWith([...serverKeys, ...suppliedKeys], "with another databaseMode");
      database = { mode: "container", image: typed.databaseImage, hostPort: typed.databaseHostPort, databaseName: typed.databaseName, username: typed.databaseUsername };
      if (typed.databaseHostPort === typed.httpPort || typed.databaseHostPort === typed.httpsPort) {
        problems.push(`${prefix}databaseHostPort: ${typed.databaseHostPort} is already used by the Identity Service. Fix: \`pulumi config set databaseHostPort 55432\`.`);
      }
  }

  // Creatio integration.
  let creatio: StackConfig["creatio"];
  const creatioKeys: ConfigKey[] = ["creatioPassword", "creatioCreateDefaultResource", "creatioNetCore", "creatioFeatureAdminUnitIds", "identityServerUrlForCreatio", "readinessTimeoutSeconds", "creatioUsername", "creatioOAuthApplications"];
  if (typed.creatioIntegration) {
    need("creatioPassword", "when creatioIntegration is true");
    const apps = parseCreatioApplications(typed.creatioOAuthApplications, `${prefix}creatioOAuthApplications`);
    problems.push(...apps.problems);
    creatio = {
      username: typed.creatioUsername,
      password: secret("creatioPassword") ?? pulumi.secret(""),
      netCore: typed.creatioNetCore,
      createDefaultResource: typed.creatioCreateDefaultResource,
      featureAdminUnitIds: typed.creatioFeatureAdminUnitIds,
      identityServerUrl: typed.identityServerUrlForCreatio ?? publicUrl,
      readinessTimeoutSeconds: typed.readinessTimeoutSeconds,
      applications: apps.applications,
    };
  } else {
    onlyWith(creatioKeys, "when creatioIntegration is true (`pulumi config set creatioIntegration true`)");
  }

  if (typed.databaseMode === "connectionString" && typed.databaseProvider === "MsSqlServer" && typed.rotation !== undefined) {
    problems.push(`${prefix}rotation: rotating the client is not supported yet with an MS SQL Identity Service database (the old client's rows must be deleted first). Fix: \`pulumi config rm rotation\` and follow the README's manual MS SQL procedure.`);
  }
  if (typed.clientSecret !== undefined && typed.rotation !== undefined) {
    problems.push(`${prefix}rotation: rotates the generated client secret, but clientSecret is supplied. Fix: rotate by setting a new clientSecret, and \`pulumi config rm rotation\`.`);
  }

  // Upgrades: snapshots are PostgreSQL only.
  if (typed.databaseMode === "connectionString" && typed.databaseProvider === "MsSqlServer") {
    onlyWith(["databaseSnapshotsToKeep"], "with a PostgreSQL Identity Service database (MS SQL is backed up by hand: README, 'Updating with an MS SQL database')");
    if (typed.restoreDatabaseSnapshot !== undefined) {
      problems.push(`${prefix}restoreDatabaseSnapshot: snapshots are PostgreSQL only; restore an MS SQL database by hand (README, 'Updating with an MS SQL database'). Fix: \`pulumi config rm restoreDatabaseSnapshot\`.`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    creatioUrl: typed.creatioUrl,
    client: { name: typed.clientName, id: typed.clientId, secret: secret("clientSecret"), rotation: typed.rotation },
    service: {
      sourceDir,
      image: typed.image,
      imageName: typed.imageName,
      containerName: typed.containerName,
      httpPort: typed.httpPort,
      httpsPort: typed.httpsPort,
      listenAddress: typed.listenAddress,
      publicUrl,
      logLevel: typed.logLevel,
      redisConnection: secret("redisConnection"),
      dockerHost: raw.values["docker:host"] || undefined,
    },
    databaseSnapshots: { keep: typed.databaseSnapshotsToKeep, restore: typed.restoreDatabaseSnapshot },
    certificate,
    database,
    creatio,
  };
}

/**
 * Reads and opens the supplied PFX (base64 or file) with its password; pushes each problem under
 * its config key. Returns what the PFX holds, or undefined when it could not be opened (or a
 * problem reported elsewhere, such as a missing file or password, leaves nothing to open).
 */
function openSuppliedPfx(base64: string | undefined, file: string | undefined, password: string | undefined, problems: string[]): PfxContents | undefined {
  const prefix = `${PROJECT}:`;
  let bytes: Buffer | undefined;
  if (base64 !== undefined) {
    bytes = decodePfxBase64(base64);
    if (!bytes) problems.push(`${prefix}certificatePfxBase64: is not base64 (standard alphabet, padded). Fix: \`pulumi config set --secret certificatePfxBase64 "$(base64 -w0 identity.pfx)"\`.`);
  } else if (file !== undefined && fs.existsSync(file)) {
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      problems.push(`${prefix}certificatePfxFile: ${file} could not be read (${(e as NodeJS.ErrnoException).code ?? "unreadable"}). Fix: make it a readable PFX file, or \`pulumi config set certificatePfxFile <path>\`.`);
    }
  }
  if (bytes === undefined || !password) return undefined;
  const key = base64 !== undefined ? "certificatePfxBase64" : "certificatePfxFile";
  const checked = checkSuppliedPfx({ key, source: base64 !== undefined ? "the certificatePfxBase64 value" : file!, bytes, password });
  for (const p of checked.problems) problems.push(`${prefix}${p.key}: ${p.problem}. Fix: ${p.fix}.`);
  return checked.problems.length === 0 ? checked.contents : undefined;
}

function safeHostname(u: string): string | undefined {
  try {
    return new URL(u).hostname;
  } catch {
    return undefined;
  }
}

/** The declared key closest to a mistyped one (edit distance ≤ 3), for "did you mean". */
function nearestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of Object.keys(CONFIG_KEYS)) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Reads the running stack's config through Pulumi's runtime and validates it (see parseStackConfig). */
export function loadStackConfig(projectDir: string = process.cwd()): StackConfig {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set<string>();
  // isConfigSecret is exported by the runtime but missing from its type declarations.
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  for (const key of Object.keys(values)) if (runtimeConfig.isConfigSecret?.(key)) secretKeys.add(key);
  return parseStackConfig({ values, secretKeys, projectDir });
}
