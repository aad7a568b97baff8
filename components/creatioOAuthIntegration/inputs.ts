/**
 * CreatioOAuthIntegration's inputs: their resolved shape, the defaults and the `check` validation.
 */
import { ALL_EMPLOYEES_ID, GUID_PATTERN } from "../../lib/creatio/constants";
import { DEFAULTS } from "../../lib/defaults";
import { CheckFailure, checkCreatioConnection, inputChecker, isUnknown, resolveWith } from "../../lib/inputChecks";
import { creatioSecretsOf } from "../../lib/creatio/resourceArgs";
import { CreatioCredentials } from "../../lib/creatio/session";

export const DEFAULT_READINESS_TIMEOUT_SECONDS = DEFAULTS.readinessTimeoutSeconds;
/** All employees: the default target of the feature. */
export const DEFAULT_FEATURE_ADMIN_UNIT_IDS: readonly string[] = DEFAULTS.creatioFeatureAdminUnitIds;

/** The provider's inputs with every default applied (what create/update/delete work with). */
export interface IntegrationInputs {
  /** The URL Creatio uses to reach the Identity Service (written to OAuth20IdentityServerUrl). */
  readonly identityServerUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** How to reach Creatio's API, as an administrator. */
  readonly creatio: CreatioCredentials;
  /** The SysAdminUnit ids (roles, users) to enable OAuth20Integration for. */
  readonly featureAdminUnitIds: string[];
  /** Create Creatio's default OAuth resource when it has none. */
  readonly createDefaultResource: boolean;
  readonly readinessTimeoutSeconds: number;
  readonly identityServerCaPem?: string;
  readonly identityServerCheckUrl?: string;
}

/**
 * Check failures for raw inputs plus the normalized inputs (URLs without a trailing slash, unit ids
 * lower-cased and deduplicated, defaults filled in). Unknown values (preview) pass unchanged.
 */
export function validateInputs(raw: Record<string, any>): { inputs: Record<string, any>; failures: CheckFailure[] } {
  const c = inputChecker();
  const inputs: Record<string, any> = { ...raw };

  const isUrl = c.httpUrl("identityServerUrl", raw.identityServerUrl, "https://identity.example.com");
  if (isUrl !== undefined) inputs.identityServerUrl = isUrl;
  const checkUrl = c.httpUrl("identityServerCheckUrl", raw.identityServerCheckUrl, "https://localhost:5443", false);
  if (checkUrl !== undefined) inputs.identityServerCheckUrl = checkUrl;
  c.text("clientId", raw.clientId, "the Identity Service client id Creatio uses (the ClientId in its Clients setting)");
  c.text("clientSecret", raw.clientSecret, "that client's secret (the Secrets entry in the Clients setting)");
  const creatio = checkCreatioConnection(c, raw.creatio);
  if (creatio !== undefined) inputs.creatio = creatio;

  const units = raw.featureAdminUnitIds;
  if (units === undefined) inputs.featureAdminUnitIds = [...DEFAULT_FEATURE_ADMIN_UNIT_IDS];
  else if (!isUnknown(units)) {
    if (!Array.isArray(units) || units.length === 0) {
      c.fail("featureAdminUnitIds", "featureAdminUnitIds must be a non-empty list of SysAdminUnit ids (roles or users); leave it out for All employees");
    } else {
      const bad = units.filter((u: unknown) => !isUnknown(u) && (typeof u !== "string" || !GUID_PATTERN.test(u)));
      if (bad.length > 0)
        c.fail(
          "featureAdminUnitIds",
          `featureAdminUnitIds must hold SysAdminUnit ids (GUIDs such as ${ALL_EMPLOYEES_ID}); not GUIDs: ${bad.map((b: unknown) => JSON.stringify(b)).join(", ")}`,
        );
      else inputs.featureAdminUnitIds = [...new Set(units.map((u: string) => (isUnknown(u) ? u : u.toLowerCase())))];
    }
  }
  const create = c.flag(
    "createDefaultResource",
    raw.createDefaultResource,
    DEFAULTS.creatioCreateDefaultResource,
    "whether to create Creatio's default OAuth resource when it has none",
  );
  if (create !== undefined) inputs.createDefaultResource = create;
  const timeout = c.seconds("readinessTimeoutSeconds", raw.readinessTimeoutSeconds, DEFAULT_READINESS_TIMEOUT_SECONDS);
  if (timeout !== undefined) inputs.readinessTimeoutSeconds = timeout;
  c.caPem("identityServerCaPem", raw.identityServerCaPem, inputs.identityServerCheckUrl ?? inputs.identityServerUrl);
  return { inputs, failures: c.failures };
}

/** The inputs with defaults applied; throws the check failures. */
export function resolveInputs(raw: Record<string, any>): IntegrationInputs {
  return resolveWith<IntegrationInputs>(validateInputs, raw);
}

/** Every value that must never show in a message. */
export const secretsOf = creatioSecretsOf;
