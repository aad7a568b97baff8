/**
 * sensitive-values-are-secrets: a remediation that makes every plain sensitive value a secret.
 */
import { Secret, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { plainResource } from "../adapter";
import { ENV, isCreatioResource, isIdentityServiceContainer, isPfxBundle, isSecret, PlainResource, RESOURCE_TYPES } from "../resources";

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
  if (isCreatioResource(r) && !isSecret(props.creatio) && props.creatio && typeof props.creatio === "object") {
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

/**
 * @pulumi/policy 1.21 shows a validation every secret as plain text, with no mark, so a validation
 * cannot tell a secret from a plain value; only a remediation receives the marks. This policy is
 * therefore a remediation: it makes every plain sensitive value a secret before the engine stores it.
 */
export const sensitiveValuesAreSecrets: ResourceValidationPolicy = {
  name: "sensitive-values-are-secrets",
  description:
    "The Kestrel certificate password, the client secret (the Clients JSON and clientSecret), connection strings and the PFX are Pulumi secrets; any that is not is made one (remediation).",
  enforcementLevel: "remediate",
  severity: "high",
  remediateResource: (args: ResourceValidationArgs) => secretSensitiveValues(plainResource(args)),
};
