/**
 * Rules a value must follow, shared by config validation and the components' own argument checks:
 * each returns the problem in words (to follow the name of the setting), or undefined.
 */

/** Docker's rule for container names (a container's name is also its host name on a network). */
export const CONTAINER_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** A host name, or a wildcard one, as a certificate's DNS name. */
export const DNS_NAME_PATTERN = /^[a-zA-Z0-9*]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;
/** A lower-case SQL identifier (PostgreSQL database and role names this package creates). */
export const SQL_IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]*$/;
/** No white space or control character anywhere. */
export const NO_WHITE_SPACE = /^[^\s\p{Cc}]+$/u;
/** The length of a client id and the minimum length of a secret, as Creatio's guide has them. */
export const CLIENT_ID_LENGTH = 16;
export const CLIENT_SECRET_LENGTH = 32;

export function portProblem(v: number): string | undefined {
  return Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined : "must be a TCP port from 1 to 65535";
}

/** A count of pods (replicas, replicasMax). */
export function podCountProblem(v: number): string | undefined {
  return Number.isInteger(v) && v >= 1 ? undefined : "must be 1 or more";
}

export function positiveProblem(v: number): string | undefined {
  return Number.isInteger(v) && v > 0 ? undefined : "must be a positive whole number";
}

/**
 * The one URL rule, for config and for the resources' own input checks: an absolute http(s) URL
 * without surrounding white space, user name, password or #fragment. A `base` URL (where paths are
 * added: Creatio's, the Identity Service's) has no query either; a `link` (an application's URL, a
 * redirect URI, compared as given) may.
 */
export function httpUrlProblem(v: unknown, kind: "base" | "link" = "base"): string | undefined {
  if (typeof v !== "string" || v.trim() === "") return "must be an http:// or https:// URL";
  if (v.trim() !== v) return "has leading or trailing white space; remove it";
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return "must start with http:// or https://";
  if (u.username || u.password) return "must not contain a user name or password";
  if (u.hash) return "must not have a #fragment";
  if (kind === "base" && u.search) return "must not have a query: give the base URL";
  return undefined;
}

/**
 * Creatio's site root: an http(s) URL without the `/0` that .NET Framework Creatio shows in the
 * browser (its application path). The package adds `/0` itself where Creatio needs it
 * (`creatioNetCore false`), and the client's redirect URIs are the site root's.
 */
export function creatioUrlProblem(v: string): string | undefined {
  const url = httpUrlProblem(v);
  if (url) return url;
  const path = new URL(v).pathname.replace(/\/+$/, "");
  return /\/0$/.test(path) ? `must be Creatio's site root, without the /0 of the .NET Framework application path: give ${v.replace(/\/0\/*$/, "")}` : undefined;
}

export function containerNameProblem(v: string): string | undefined {
  return CONTAINER_NAME_PATTERN.test(v) ? undefined : "must be a Docker container name (a letter or digit, then letters, digits, _ . -)";
}

/** Why spaces are refused in a client id or secret, for the errors (Creatio's guide's own examples have them). */
const NO_SPACES_WHY =
  "(spaces are refused, as in the guide's examples: OAuth clients send the id and secret form-encoded, where a space becomes +, and in HTTP Basic headers, and hand-made requests get that wrong)";

export function clientIdProblem(v: string): string | undefined {
  if (!NO_WHITE_SPACE.test(v)) return `must be exactly ${CLIENT_ID_LENGTH} characters without spaces ${NO_SPACES_WHY}`;
  return [...v].length === CLIENT_ID_LENGTH ? undefined : `must be exactly ${CLIENT_ID_LENGTH} characters without spaces`;
}

export function clientSecretProblem(v: string): string | undefined {
  if (!NO_WHITE_SPACE.test(v)) return `must be at least ${CLIENT_SECRET_LENGTH} characters without spaces ${NO_SPACES_WHY}`;
  return [...v].length >= CLIENT_SECRET_LENGTH ? undefined : `must be at least ${CLIENT_SECRET_LENGTH} characters without spaces`;
}

export function dnsNamesProblem(v: readonly string[]): string | undefined {
  return v.length > 0 && v.every((n) => typeof n === "string" && DNS_NAME_PATTERN.test(n)) ? undefined : "must be a non-empty list of DNS names (host names without spaces)";
}

/**
 * A self-signed certificate renewed this many days before expiry must be valid for longer than
 * that, or every `pulumi up` issues a new one.
 */
export function earlyRenewalProblem(validityDays: number, earlyRenewalDays: number): string | undefined {
  if (!Number.isInteger(earlyRenewalDays) || earlyRenewalDays < 0) return "must be a whole number of days, zero or more";
  return earlyRenewalDays < validityDays ? undefined : `must be less than the validity (${validityDays} days), or every \`pulumi up\` renews the certificate`;
}

/** A Kubernetes DNS label (RFC 1123): a namespace's or an IngressClass's name. */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function dnsLabelProblem(v: string): string | undefined {
  return DNS_LABEL_PATTERN.test(v) ? undefined : "must be a DNS label: at most 63 lower-case letters, digits and -, starting and ending with a letter or digit";
}

/** A Kubernetes CPU quantity: cores (`1`, `0.5`) or millicores (`250m`). */
export function cpuQuantityProblem(v: string): string | undefined {
  return /^(\d+(\.\d+)?|\d+m)$/.test(v) && !/^0+(\.0+)?m?$/.test(v) ? undefined : "must be a CPU quantity above 0, in cores (1, 0.5) or millicores (250m)";
}

/** A Kubernetes memory quantity: bytes with a binary (Ki, Mi, Gi) or decimal (k, M, G) suffix. */
export function memoryQuantityProblem(v: string): string | undefined {
  return /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/.test(v) && !/^0+(\.0+)?[A-Za-z]*$/.test(v) ? undefined : "must be a memory quantity above 0, such as 256Mi or 1Gi";
}
