/**
 * The creatio-identity policy pack's rules, as pure functions over plain resource data so they can
 * be tested without the Pulumi engine; policies.ts adapts them to @pulumi/policy.
 *
 * Properties arrive as @pulumi/policy deserializes them: plain JSON, where a value not known yet
 * (preview) is one of Pulumi's unknown sentinel strings and, where the library keeps them (only in
 * remediations), a secret is a `Secret` instance. Validations see secrets as plain values.
 *
 * Messages name the resource, the setting and the fix, never a secret value: policy violations are
 * printed by `pulumi preview` and stored by Pulumi Cloud.
 */
import { X509Certificate } from "crypto";
import { Secret } from "@pulumi/policy";
import { parseConnectionString } from "../lib/connectionString";

/** Type tokens of the resources the rules look at (test/policy.test.ts checks them against the components). */
export const RESOURCE_TYPES = {
  container: "docker:index/container:Container",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  identityService: "creatio:identity:IdentityService",
  certificate: "creatio:identity:Certificate",
  pfxBundle: "pulumi-nodejs:dynamic/creatio-identity:PfxBundle",
  /**
   * The type PfxBundle had before it got its own: Pulumi's generic dynamic type, shared with any other
   * dynamic resource, so told apart by its properties (isPfxBundle). A stack keeps it until its next
   * `pulumi up` moves the resource to the new type (through an alias, without a replacement).
   */
  pfxBundleLegacy: "pulumi-nodejs:dynamic:Resource",
  identityClientSync: "pulumi-nodejs:dynamic/creatio-identity:IdentityClientSync",
  creatioIntegration: "pulumi-nodejs:dynamic/creatio-identity:CreatioOAuthIntegration",
  creatioApplication: "pulumi-nodejs:dynamic/creatio-identity:CreatioOAuthApplication",
} as const;

/** The Identity Service container's environment variables the rules read (names as Creatio's Docker guide gives them). */
export const ENV = {
  urls: "ASPNETCORE_URLS",
  httpsPort: "ASPNETCORE_HTTPS_PORT",
  kestrelCertificatePath: "ASPNETCORE_Kestrel__Certificates__Default__Path",
  kestrelCertificatePassword: "ASPNETCORE_Kestrel__Certificates__Default__Password",
  clients: "Clients",
  dbProvider: "DbProvider",
  postgresConnection: "PostgresConnection",
  msSqlConnection: "MsSqlConnection",
  redisConnection: "RedisConnection",
} as const;

/** Defaults of the policy config (also declared in each policy's config schema). */
export const DEFAULT_PRODUCTION_STACKS: readonly string[] = ["prod", "production"];
export const DEFAULT_MIN_CERTIFICATE_DAYS_LEFT = 30;

/** One resource as the rules see it. */
export interface PlainResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  /** The parent's URN, if any. */
  readonly parent?: string;
  /** Inputs (resource validation) or outputs (stack validation), as described in the module comment. */
  readonly props: Record<string, unknown>;
}

/** A policy violation: what is wrong and how to fix it; `urn` says which resource (stack validations). */
export interface Violation {
  readonly message: string;
  readonly urn?: string;
}

/** The stack being checked and which stacks count as production. */
export interface StackContext {
  readonly stack: string;
  readonly productionStacks?: readonly string[];
}

// Pulumi's unknown-value sentinels, one per kind (the wire protocol's constants; @pulumi/policy keeps them internal).
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** Whether a value is Pulumi's placeholder for "not known until the resources it depends on exist". */
export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/** Thrown by a resource rule that needs a value not known yet; policies.ts turns it into @pulumi/policy's advisory. */
export class UnknownValue extends Error {
  constructor(
    /** Property path, e.g. `envs`. */
    readonly path: string,
    /** The sentinel found (so the library can name the kind of value). */
    readonly sentinel: string,
  ) {
    super(`${path} is not known until the resources it depends on exist`);
    this.name = "UnknownValue";
  }
}

/** Whether a value is a secret as @pulumi/policy represents it in remediations. */
export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** The value with every secret wrapper removed, at any depth. */
export function reveal(value: unknown): unknown {
  if (isSecret(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  }
  return value;
}

/** The first unknown sentinel in a value, at any depth. */
function findUnknown(value: unknown): string | undefined {
  if (isUnknown(value)) return value as string;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = findUnknown(v);
      if (found) return found;
    }
  } else if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) {
      const found = findUnknown(v);
      if (found) return found;
    }
  }
  return undefined;
}

/** The revealed value, or UnknownValue when any part of it is not known yet. */
function known(value: unknown, path: string): unknown {
  const plain = reveal(value);
  const sentinel = findUnknown(plain);
  if (sentinel) throw new UnknownValue(path, sentinel);
  return plain;
}

/** The type tokens of a URN's parent chain and the resource itself (`urn:pulumi:stack::project::A$B$C::name`). */
export function urnTypeChain(urn: string): string[] {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[2].split("$") : [];
}

function isUnder(r: PlainResource, componentType: string): boolean {
  return urnTypeChain(r.urn).slice(0, -1).includes(componentType);
}

/** Whether the stack is one of the production stacks (case-insensitive); `productionStacks` defaults to prod, production. */
export function isProductionStack(ctx: StackContext): boolean {
  const stacks = ctx.productionStacks ?? DEFAULT_PRODUCTION_STACKS;
  return stacks.some((s) => s.toLowerCase() === ctx.stack.toLowerCase());
}

/** `KEY=value` strings (a container's `envs`) as a map; the value is everything after the first `=`. */
export function parseEnvs(envs: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(envs)) return map;
  for (const entry of envs) {
    if (typeof entry !== "string") continue;
    const eq = entry.indexOf("=");
    if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}

/**
 * Whether a container is an Identity Service: a child of the IdentityService component, or (built by
 * hand) one whose environment carries both `DbProvider` and `Clients`.
 */
export function isIdentityServiceContainer(r: PlainResource): boolean {
  if (r.type !== RESOURCE_TYPES.container) return false;
  if (isUnder(r, RESOURCE_TYPES.identityService)) return true;
  const envs = reveal(r.props.envs);
  if (findUnknown(envs)) return false;
  const env = parseEnvs(envs);
  return env.has(ENV.dbProvider) && env.has(ENV.clients);
}

/**
 * Whether a resource is a PfxBundle: its own type, or (a stack not yet moved to it) the generic
 * dynamic type with a PFX's inputs (key, certificate, password) or outputs.
 */
export function isPfxBundle(r: PlainResource): boolean {
  if (r.type === RESOURCE_TYPES.pfxBundle) return true;
  if (r.type !== RESOURCE_TYPES.pfxBundleLegacy) return false;
  const has = (k: string) => k in r.props;
  return (has("privateKeyPem") && has("certificatePem") && has("password")) || (has("pfxBase64") && has("notAfter"));
}

function containerEnv(r: PlainResource): Map<string, string> {
  return parseEnvs(known(r.props.envs, "envs"));
}

function label(r: PlainResource): string {
  return `"${r.name}"`;
}

// --- identity-service-https ---------------------------------------------------------------------

/** The ports an `ASPNETCORE_URLS` https address listens on: `https://+` is 443, `https://+:8443` is 8443. */
export function httpsPortsOf(aspnetcoreUrls: string): number[] {
  const ports: number[] = [];
  for (const address of aspnetcoreUrls.split(";").map((a) => a.trim())) {
    const m = /^https:\/\/(?:\[[^\]]*\]|[^:/]*)(?::(\d+))?(?:\/.*)?$/i.exec(address);
    if (m) ports.push(m[1] === undefined ? 443 : Number(m[1]));
  }
  return ports;
}

/**
 * The Identity Service container must serve HTTPS: `ASPNETCORE_URLS` has an `https://` address,
 * Kestrel has a certificate, and the HTTPS container port is published.
 */
export function identityServiceHttpsViolations(r: PlainResource): Violation[] {
  if (!isIdentityServiceContainer(r)) return [];
  const env = containerEnv(r);
  const urls = env.get(ENV.urls);
  const httpsPorts = urls === undefined ? [] : httpsPortsOf(urls);
  if (httpsPorts.length === 0) {
    return [
      {
        message:
          `The Identity Service container ${label(r)} does not serve HTTPS: ${ENV.urls} is ${urls === undefined ? "not set" : JSON.stringify(urls)}, with no https:// address. ` +
          `Tokens and the client secret would cross the network in clear text. Set ${ENV.urls}=https://+;http://+ and give Kestrel a certificate ` +
          `(${ENV.kestrelCertificatePath} and ${ENV.kestrelCertificatePassword}), as the IdentityService component does.`,
      },
    ];
  }
  const violations: Violation[] = [];
  if (!env.get(ENV.kestrelCertificatePath)) {
    violations.push({
      message:
        `The Identity Service container ${label(r)} listens on https:// but ${ENV.kestrelCertificatePath} is not set: Kestrel has no certificate and the service fails at start. ` +
        `Upload the PFX into the container and set ${ENV.kestrelCertificatePath} and ${ENV.kestrelCertificatePassword}.`,
    });
  }
  const ports = known(r.props.ports, "ports");
  const published = new Set(
    (Array.isArray(ports) ? ports : [])
      .filter((p) => p && typeof p === "object" && ((p as { protocol?: string }).protocol ?? "tcp").toLowerCase() === "tcp")
      .map((p) => Number((p as { internal?: unknown }).internal)),
  );
  if (!httpsPorts.some((p) => published.has(p))) {
    violations.push({
      message:
        `The Identity Service container ${label(r)} serves HTTPS on container port ${httpsPorts.join(" / ")}, but that port is not published, so nobody can reach it over HTTPS. ` +
        `Publish it: ports [{ internal: ${httpsPorts[0]}, external: <host port> }] (the httpsPort setting).`,
    });
  }
  return violations;
}

// --- no-self-signed-certificate-in-production ---------------------------------------------------

/** Whether a PEM certificate is self-signed (issuer is the subject and its own key verifies it); undefined when it cannot be read. */
export function isSelfSignedPem(pem: string): boolean | undefined {
  try {
    const cert = new X509Certificate(pem);
    return cert.issuer === cert.subject && cert.verify(cert.publicKey);
  } catch {
    return undefined;
  }
}

const SUPPLY_A_CA_CERTIFICATE =
  "Supply your CA's certificate as a PFX: `pulumi config set certificatePfxFile <path>` (or `pulumi config set --secret certificatePfxBase64 <base64>`) and `pulumi config set --secret certificatePassword`.";

/**
 * No self-signed certificate on production stacks: a generated one (tls SelfSignedCert, or a
 * Certificate component with `selfSigned`) or a supplied PFX whose certificate signs itself.
 */
export function selfSignedCertificateViolations(resources: readonly PlainResource[], ctx: StackContext): Violation[] {
  if (!isProductionStack(ctx)) return [];
  const production = `Stack "${ctx.stack}" is a production stack (policy config productionStacks)`;
  const violations: Violation[] = [];
  for (const r of resources) {
    if (r.type === RESOURCE_TYPES.certificate) {
      const selfSigned = reveal(r.props.selfSigned);
      const pem = reveal(r.props.certificatePem);
      if (selfSigned === true) {
        violations.push({ urn: r.urn, message: `${production}, but the certificate ${label(r)} is a generated self-signed one: browsers and Creatio will not trust it. ${SUPPLY_A_CA_CERTIFICATE}` });
      } else if (typeof pem === "string" && !isUnknown(pem) && isSelfSignedPem(pem) === true) {
        violations.push({ urn: r.urn, message: `${production}, but the supplied certificate of ${label(r)} is self-signed (its issuer is its subject): browsers and Creatio will not trust it. ${SUPPLY_A_CA_CERTIFICATE}` });
      }
    } else if (r.type === RESOURCE_TYPES.selfSignedCert && !isUnder(r, RESOURCE_TYPES.certificate)) {
      violations.push({ urn: r.urn, message: `${production}, but ${label(r)} is a self-signed certificate: browsers and Creatio will not trust it. ${SUPPLY_A_CA_CERTIFICATE}` });
    }
  }
  return violations;
}

// --- certificate-days-left ----------------------------------------------------------------------

const DAY_MS = 24 * 60 * 60 * 1000;

function knownNumber(value: unknown): number | undefined {
  const v = reveal(value);
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function knownDate(value: unknown): Date | undefined {
  const v = reveal(value);
  if (typeof v !== "string" || isUnknown(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * Certificates must have at least `minDaysLeft` days left: the expiry of every certificate the stack
 * holds (the Certificate component's `expiresAt`; a PfxBundle's `notAfter` or a SelfSignedCert's
 * `validityEndTime` outside such a component), and for generated certificates a validity and an
 * early-renewal window that keep a renewed certificate above the minimum. Values not known yet
 * (a certificate about to be created or renewed) are skipped: `pulumi up` checks them.
 */
export function certificateDaysLeftViolations(resources: readonly PlainResource[], opts: { readonly minDaysLeft: number; readonly now: Date }): Violation[] {
  const min = opts.minDaysLeft;
  const violations: Violation[] = [];
  const checkExpiry = (r: PlainResource, expiry: Date | undefined) => {
    if (!expiry) return;
    const daysLeft = Math.floor((expiry.getTime() - opts.now.getTime()) / DAY_MS);
    if (daysLeft >= min) return;
    const state = daysLeft < 0 ? `expired on ${expiry.toISOString()}` : `expires on ${expiry.toISOString()}, in ${daysLeft} day(s)`;
    violations.push({
      urn: r.urn,
      message:
        `The certificate ${label(r)} ${state}; at least ${min} days must be left (policy config minCertificateDaysLeft). ` +
        `Supplied PFX: put the renewed one in place (certificatePfxFile or certificatePfxBase64) and run \`pulumi up\`. ` +
        `Generated certificate: \`pulumi up\` renews it once it is within certificateEarlyRenewalDays of expiry.`,
    });
  };
  for (const r of resources) {
    if (r.type === RESOURCE_TYPES.certificate) {
      checkExpiry(r, knownDate(r.props.expiresAt));
    } else if (isPfxBundle(r)) {
      if (!isUnder(r, RESOURCE_TYPES.certificate)) checkExpiry(r, knownDate(r.props.notAfter));
    } else if (r.type === RESOURCE_TYPES.selfSignedCert) {
      if (!isUnder(r, RESOURCE_TYPES.certificate)) checkExpiry(r, knownDate(r.props.validityEndTime));
      const validityHours = knownNumber(r.props.validityPeriodHours);
      if (validityHours !== undefined && validityHours < min * 24) {
        violations.push({
          urn: r.urn,
          message: `The self-signed certificate ${label(r)} is valid for ${Math.floor(validityHours / 24)} day(s), fewer than the ${min} days that must be left (policy config minCertificateDaysLeft). Raise certificateValidityDays.`,
        });
      }
      const earlyHours = knownNumber(r.props.earlyRenewalHours);
      if (earlyHours !== undefined && earlyHours < min * 24) {
        violations.push({
          urn: r.urn,
          message:
            `The self-signed certificate ${label(r)} is renewed only ${Math.floor(earlyHours / 24)} day(s) before it expires, so between runs it falls below the ${min} days that must be left ` +
            `(policy config minCertificateDaysLeft). Set certificateEarlyRenewalDays to at least ${min}.`,
        });
      }
    }
  }
  return violations;
}

// --- database-tls-in-production -----------------------------------------------------------------

/** Why an Npgsql connection string runs without TLS, or undefined (unparseable strings are left to the program's own check). */
export function npgsqlTlsProblem(connectionString: string): string | undefined {
  let settings: Map<string, string>;
  try {
    settings = parseConnectionString(connectionString);
  } catch {
    return undefined;
  }
  const mode = (settings.get("ssl mode") ?? settings.get("sslmode") ?? "").replace(/[\s_-]/g, "").toLowerCase();
  if (mode === "disable") return "sets SSL Mode=Disable";
  if (mode === "allow") return "sets SSL Mode=Allow, which tries an unencrypted connection first";
  return undefined;
}

/** Why a SqlClient connection string runs without TLS, or undefined. */
export function sqlClientTlsProblem(connectionString: string): string | undefined {
  let settings: Map<string, string>;
  try {
    settings = parseConnectionString(connectionString);
  } catch {
    return undefined;
  }
  const encrypt = settings.get("encrypt");
  if (encrypt !== undefined && /^(false|no|optional)$/i.test(encrypt.trim())) return `sets Encrypt=${encrypt.trim()}`;
  return undefined;
}

const USE_TLS =
  "Use TLS: for PostgreSQL `SSL Mode=Require` or `VerifyFull` (`pulumi config set databaseSslMode verify-full` with databaseMode server), for MS SQL `Encrypt=true`; or fix databaseConnectionString.";

/**
 * On production stacks, no database connection may turn TLS off: the Identity Service container's
 * `PostgresConnection`/`MsSqlConnection` and IdentityClientSync's connection string.
 */
export function databaseTlsViolations(r: PlainResource, ctx: StackContext): Violation[] {
  if (!isProductionStack(ctx)) return [];
  const production = `Stack "${ctx.stack}" is a production stack (policy config productionStacks)`;
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

// --- creatio-api-tls-in-production ---------------------------------------------------------------

/**
 * On production stacks, the Creatio integration reaches Creatio's API over https://: it logs in as
 * an administrator and writes the client secret, both of which would otherwise cross the network in
 * plain text.
 */
export function creatioApiTlsViolations(r: PlainResource, ctx: StackContext): Violation[] {
  // An integrated application logs in the same way, and Creatio hands it its new client secret.
  if (!isProductionStack(ctx) || (r.type !== RESOURCE_TYPES.creatioIntegration && r.type !== RESOURCE_TYPES.creatioApplication)) return [];
  const creatio = known(r.props.creatio, "creatio");
  const url = creatio && typeof creatio === "object" ? (creatio as { url?: unknown }).url : undefined;
  if (typeof url !== "string" || !/^http:\/\//i.test(url)) return [];
  return [
    {
      message:
        `Stack "${ctx.stack}" is a production stack (policy config productionStacks), but ${label(r)} reaches Creatio's API at ${url.replace(/\/+$/, "")} over http://: ` +
        "the administrator's password and the client secret would cross the network unencrypted. Serve Creatio over HTTPS and `pulumi config set creatioUrl https://...`.",
    },
  ];
}

// --- sensitive-values-are-secrets ---------------------------------------------------------------

/** A sensitive value that reached the engine as plain text, and the top-level property that holds it. */
export interface PlainSensitiveValue {
  readonly property: string;
  /** What it is, for the report (a name, never the value). */
  readonly what: string;
}

/** Environment variables of the Identity Service container that carry a secret. */
export const SENSITIVE_ENV: readonly string[] = [ENV.kestrelCertificatePassword, ENV.clients, ENV.postgresConnection, ENV.msSqlConnection, ENV.redisConnection];

/** Sensitive top-level inputs of this package's dynamic resources. */
const SENSITIVE_INPUTS: Readonly<Record<string, readonly string[]>> = {
  [RESOURCE_TYPES.identityClientSync]: ["clientsJson", "connectionString"],
  [RESOURCE_TYPES.creatioIntegration]: ["clientSecret"],
};

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/**
 * The sensitive values of a resource that are not Pulumi secrets, so they would be stored in the
 * state in plain text: the Kestrel certificate password and the `Clients` JSON (which holds the
 * client secret) and the other secret-bearing variables of the Identity Service container, the PFX
 * it uploads, and the passwords, client secret and connection strings of this package's dynamic
 * resources. Needs props with secrets kept (a remediation); in a validation everything looks plain.
 */
export function plainSensitiveValues(r: PlainResource): PlainSensitiveValue[] {
  const found: PlainSensitiveValue[] = [];
  const props = r.props;
  if (isIdentityServiceContainer(r)) {
    if (!isSecret(props.envs) && Array.isArray(props.envs)) {
      for (const entry of props.envs) {
        if (isSecret(entry) || typeof entry !== "string") continue;
        const key = entry.slice(0, Math.max(entry.indexOf("="), 0));
        if (SENSITIVE_ENV.includes(key)) found.push({ property: "envs", what: `the ${key} environment variable` });
      }
    }
    if (!isSecret(props.uploads) && Array.isArray(props.uploads)) {
      for (const upload of props.uploads) {
        if (isSecret(upload) || !upload || typeof upload !== "object") continue;
        const content = (upload as { contentBase64?: unknown; content?: unknown }).contentBase64 ?? (upload as { content?: unknown }).content;
        if (present(content) && !isSecret(content)) found.push({ property: "uploads", what: "the uploaded PFX (uploads[].contentBase64)" });
      }
    }
  }
  const sensitiveInputs = isPfxBundle(r) ? ["password", "privateKeyPem"] : (SENSITIVE_INPUTS[r.type] ?? []);
  for (const key of sensitiveInputs) {
    if (present(props[key]) && !isSecret(props[key])) found.push({ property: key, what: key });
  }
  if ((r.type === RESOURCE_TYPES.creatioIntegration || r.type === RESOURCE_TYPES.creatioApplication) && !isSecret(props.creatio) && props.creatio && typeof props.creatio === "object") {
    const creatio = props.creatio as Record<string, unknown>;
    for (const key of ["password", "databaseConnectionString"]) {
      if (present(creatio[key]) && !isSecret(creatio[key])) found.push({ property: "creatio", what: `creatio.${key}` });
    }
  }
  return found;
}

/** The props with every property holding a plain sensitive value made secret, or undefined when there is none. */
export function secretSensitiveValues(r: PlainResource): Record<string, unknown> | undefined {
  const properties = new Set(plainSensitiveValues(r).map((f) => f.property));
  if (properties.size === 0) return undefined;
  return Object.fromEntries(Object.entries(r.props).map(([k, v]) => [k, properties.has(k) ? new Secret(v) : v]));
}

// --- one-identity-service-per-creatio -----------------------------------------------------------

/**
 * A Creatio instance's identity, from its URL or a redirect URI derived from it: scheme, host and
 * path, without a trailing `/`, `/lib` (the redirect URIs) or `/0` (the .NET Framework app path).
 */
export function creatioKey(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  let path = u.pathname.replace(/\/+$/, "");
  for (;;) {
    const trimmed = path.replace(/\/(lib|0)$/i, "").replace(/\/+$/, "");
    if (trimmed === path) break;
    path = trimmed;
  }
  return `${u.protocol}//${u.host.toLowerCase()}${path}`;
}

/** The Creatio instances an Identity Service serves: the redirect URIs of its `Clients` JSON. */
export function creatioKeysOfClients(clientsJson: string): string[] {
  let clients: unknown;
  try {
    clients = JSON.parse(clientsJson);
  } catch {
    return [];
  }
  const keys = new Set<string>();
  for (const client of Array.isArray(clients) ? clients : []) {
    const uris = client && typeof client === "object" ? (client as { RedirectUris?: unknown }).RedirectUris : undefined;
    for (const uri of Array.isArray(uris) ? uris : []) {
      const key = typeof uri === "string" ? creatioKey(uri) : undefined;
      if (key) keys.add(key);
    }
  }
  return [...keys];
}

/**
 * One Identity Service per Creatio instance: no two Identity Service containers whose clients
 * redirect to the same Creatio, and no two Creatio integrations that switch the same Creatio.
 * Resources whose values are not known yet are skipped.
 */
export function oneIdentityServicePerCreatioViolations(resources: readonly PlainResource[]): Violation[] {
  const services = new Map<string, PlainResource[]>();
  const integrations = new Map<string, PlainResource[]>();
  const add = (map: Map<string, PlainResource[]>, key: string, r: PlainResource) => map.set(key, [...(map.get(key) ?? []), r]);
  for (const r of resources) {
    if (isIdentityServiceContainer(r)) {
      const envs = reveal(r.props.envs);
      if (findUnknown(envs)) continue;
      const clients = parseEnvs(envs).get(ENV.clients);
      for (const key of clients === undefined ? [] : creatioKeysOfClients(clients)) add(services, key, r);
    } else if (r.type === RESOURCE_TYPES.creatioIntegration) {
      const creatio = reveal(r.props.creatio);
      const url = creatio && typeof creatio === "object" ? (creatio as { url?: unknown }).url : undefined;
      const key = typeof url === "string" && !isUnknown(url) ? creatioKey(url) : undefined;
      if (key) add(integrations, key, r);
    }
  }
  const violations: Violation[] = [];
  for (const [key, group] of services) {
    if (group.length < 2) continue;
    const names = group.map(label).join(", ");
    for (const r of group.slice(1)) {
      violations.push({
        urn: r.urn,
        message:
          `The Identity Service containers ${names} all serve the Creatio at ${key}: one Identity Service serves one Creatio instance ` +
          `(Creatio keeps one OAuth20IdentityServerUrl). Remove the extra one, or give each Creatio its own stack.`,
      });
    }
  }
  for (const [key, group] of integrations) {
    if (group.length < 2) continue;
    const names = group.map(label).join(", ");
    for (const r of group.slice(1)) {
      violations.push({
        urn: r.urn,
        message: `The Creatio integrations ${names} all switch the Creatio at ${key} to an Identity Service; they would overwrite each other's system settings. Keep one.`,
      });
    }
  }
  return violations;
}
