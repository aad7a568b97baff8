/**
 * CreatioOAuthApplication's inputs: their resolved shape, the defaults and the `check` validation.
 */
import { DEFAULTS } from "../../lib/defaults";
import { httpUrlProblem } from "../../lib/validators";
import { CheckFailure, checkCreatioConnection, inputChecker, isUnknown, resolveWith } from "../../lib/inputChecks";
import { creatioSecretsOf } from "../../lib/creatio/resourceArgs";
import { CreatioCredentials } from "../../lib/creatio/session";

/** How long to wait for the Identity Service to issue the new client a token. */
export const DEFAULT_APPLICATION_READINESS_TIMEOUT_SECONDS = DEFAULTS.applicationReadinessTimeoutSeconds;
/** Creatio's MediumText columns (Name, ApplicationUrl, RedirectUrl, Description) hold 250 characters. */
export const MAX_TEXT_LENGTH = 250;

/** The provider's inputs with every default applied. */
export interface ApplicationInputs {
  /** How to reach Creatio's API, as an administrator. */
  readonly creatio: CreatioCredentials;
  /** The record's name in "OAuth 2.0 integrated applications". */
  readonly name: string;
  readonly applicationUrl: string;
  /** Default: applicationUrl (Creatio sends the Identity Service `[null]` without one). */
  readonly redirectUrl: string;
  /** Default "". */
  readonly description: string;
  /** Login name of the Creatio user the application acts as. */
  readonly systemUser: string;
  /** Default true. */
  readonly active: boolean;
  /** Keeper: a new value replaces the client (new id and secret). */
  readonly rotation?: string;
  /** The Identity Service URL as Creatio reaches it (informational: Creatio's own setting decides). */
  readonly identityServerUrl: string;
  readonly identityServerCaPem?: string;
  /** The Identity Service URL as the machine running Pulumi reaches it, for the token check. */
  readonly identityServerCheckUrl?: string;
  readonly readinessTimeoutSeconds: number;
}

/**
 * Check failures for raw inputs plus the normalized inputs (defaults filled in). Unknown values
 * (preview) pass unchanged. URLs are kept exactly as given: a redirect URI is compared character
 * by character, trailing slash included.
 */
export function validateInputs(raw: Record<string, any>): { inputs: Record<string, any>; failures: CheckFailure[] } {
  const c = inputChecker();
  const inputs: Record<string, any> = { ...raw };

  const creatio = checkCreatioConnection(c, raw.creatio);
  if (creatio !== undefined) inputs.creatio = creatio;
  const limited = (property: string, value: unknown) => {
    if (typeof value === "string" && !isUnknown(value) && value.length > MAX_TEXT_LENGTH)
      c.fail(property, `${property} is longer than Creatio's ${MAX_TEXT_LENGTH} characters; shorten it`);
  };
  c.text("name", raw.name, "the application's name in Creatio's OAuth 2.0 integrated applications, e.g. Billing");
  limited("name", raw.name);
  absoluteUrl(c.fail, "applicationUrl", raw.applicationUrl, true);
  limited("applicationUrl", raw.applicationUrl);
  if (raw.redirectUrl === undefined || raw.redirectUrl === "") inputs.redirectUrl = raw.applicationUrl;
  else {
    absoluteUrl(c.fail, "redirectUrl", raw.redirectUrl, false);
    limited("redirectUrl", raw.redirectUrl);
  }
  if (raw.description === undefined) inputs.description = "";
  else if (!isUnknown(raw.description) && typeof raw.description !== "string") c.fail("description", "description must be text");
  limited("description", raw.description);
  c.text("systemUser", raw.systemUser, "the login name of the Creatio user the application acts as, e.g. IntegrationUser (a user with only the rights the application needs)");
  const active = c.flag("active", raw.active, DEFAULTS.applicationActive, "whether the application may get tokens");
  if (active !== undefined) inputs.active = active;
  if (raw.rotation === undefined || raw.rotation === "") delete inputs.rotation;
  else if (!isUnknown(raw.rotation) && typeof raw.rotation !== "string")
    c.fail("rotation", "rotation must be text: any new value gives the application a new client id and secret");
  const isUrl = c.httpUrl("identityServerUrl", raw.identityServerUrl, "https://identity.example.com");
  if (isUrl !== undefined) inputs.identityServerUrl = isUrl;
  const checkUrl = c.httpUrl("identityServerCheckUrl", raw.identityServerCheckUrl, "https://localhost:5443", false);
  if (checkUrl !== undefined) inputs.identityServerCheckUrl = checkUrl;
  c.caPem("identityServerCaPem", raw.identityServerCaPem, inputs.identityServerCheckUrl ?? inputs.identityServerUrl);
  const timeout = c.seconds("readinessTimeoutSeconds", raw.readinessTimeoutSeconds, DEFAULT_APPLICATION_READINESS_TIMEOUT_SECONDS);
  if (timeout !== undefined) inputs.readinessTimeoutSeconds = timeout;
  return { inputs, failures: c.failures };
}

/** An absolute http(s) URL without user info or fragment; fails naming the property. */
function absoluteUrl(fail: (property: string, reason: string) => void, property: string, value: unknown, required: boolean): void {
  if (isUnknown(value) || (!required && value === undefined)) return;
  const example = property === "redirectUrl" ? "https://billing.example.com/oauth/callback" : "https://billing.example.com";
  if (typeof value !== "string" || value.trim() === "") return fail(property, `${property} is required: an http:// or https:// URL such as ${example}`);
  const problem = httpUrlProblem(value, "link");
  if (problem) fail(property, `${property} ${problem}, e.g. ${example}`);
}

/** The inputs with defaults applied; throws the check failures. */
export function resolveInputs(raw: Record<string, any>): ApplicationInputs {
  return resolveWith<ApplicationInputs>(validateInputs, raw);
}

/** Every value that must never show in a message: the application's secret and Creatio's password. */
export const secretsOf = creatioSecretsOf;
