/**
 * What CreatioOAuthApplication keeps in the stack's state, and the diff. Pure: no I/O.
 */
import { isUnknown } from "../../lib/inputChecks";
import { CREATIO_CONNECTION_PROPERTY, IDENTITY_SERVICE_CHECK_PROPERTIES, isAnotherCreatio } from "../../lib/creatio/resourceArgs";
import { canonical, DynamicResourceSpec, inputPathsWith, secretNames, valueAt } from "../../lib/dynamicResource";
import { ApplicationInputs } from "./inputs";

/** The resource's state: its resolved inputs plus the record Creatio made. */
export interface ApplicationState extends ApplicationInputs {
  /** `OAuthClientApp.Id` (also the resource's id). */
  readonly recordId: string;
  /** The client id the Identity Service generated. */
  readonly clientId: string;
  /** Its secret (secret output): known only from Creatio's AddClient answer. */
  readonly clientSecret: string;
  /** `SysAdminUnit.Id` of the system user. */
  readonly systemUserId: string;
  /** Whether the system user is in Creatio's System administrators role (read by the policy pack). */
  readonly systemUserIsAdministrator: boolean;
  /**
   * Whether Creatio's API accepted a token the Identity Service issued this application (a bearer
   * call to its OData API at the last create, update or refresh). An observed fact, never desired
   * state: the diff ignores it. False on .NET 6/8 Creatio that has not been restarted since it was
   * switched over; kept as it was while the application is inactive (it gets no token to try).
   */
  readonly creatioAcceptsTokens: boolean;
  /** False when a create or update failed halfway and could not undo what it did (partial state). */
  readonly complete: boolean;
}

/**
 * Every property of CreatioOAuthApplication, declared once (lib/dynamicResource.ts): which are
 * secret, which an update writes to Creatio in place (UpdateClient, or the Description through
 * DataService), which it only records, and which replace the client (another Creatio, a new
 * `rotation`).
 */
export const CREATIO_OAUTH_APPLICATION_PROPERTIES = {
  inputs: {
    creatio: CREATIO_CONNECTION_PROPERTY,
    name: {},
    applicationUrl: {},
    redirectUrl: {},
    description: {},
    systemUser: {},
    active: {},
    rotation: { replaces: true },
    identityServerUrl: { recordOnly: true },
    ...IDENTITY_SERVICE_CHECK_PROPERTIES,
  },
  outputs: {
    recordId: {},
    clientId: {},
    clientSecret: { secret: true },
    systemUserId: {},
    systemUserIsAdministrator: {},
    creatioAcceptsTokens: {},
    complete: {},
  },
} satisfies DynamicResourceSpec<ApplicationInputs, ApplicationState>;

/** Output properties that carry a secret. */
export const SECRET_OUTPUTS = secretNames(CREATIO_OAUTH_APPLICATION_PROPERTIES);

/** Inputs an update writes to Creatio in place. */
export const CREATIO_FIELDS = inputPathsWith(CREATIO_OAUTH_APPLICATION_PROPERTIES, "inPlace") as CreatioField[];
type Inputs = (typeof CREATIO_OAUTH_APPLICATION_PROPERTIES)["inputs"];
export type CreatioField = { [K in keyof Inputs]: Inputs[K] extends { recordOnly: true } | { replaces: true } | { parts: object } ? never : K }[keyof Inputs];
/** Inputs whose change alters nothing in Creatio: an update with only these changes just records them. */
export const STATE_ONLY_INPUTS = inputPathsWith(CREATIO_OAUTH_APPLICATION_PROPERTIES, "recordOnly");

/** The Creatio fields whose value differs between the state (as Creatio last showed it) and the new inputs. */
export function changedFields(olds: Record<string, any>, news: Record<string, any>): CreatioField[] {
  return CREATIO_FIELDS.filter((f) => canonical(olds[f]) !== canonical(news[f]));
}

/** The operational inputs that differ. */
export function changedStateOnlyInputs(olds: Record<string, any>, news: Record<string, any>): string[] {
  return STATE_ONLY_INPUTS.filter((p) => canonical(valueAt(olds, p)) !== canonical(valueAt(news, p)));
}

/** A keeper's value: unset and "" are the same. */
function keeper(v: unknown): unknown {
  return v === undefined || v === null || v === "" ? "" : v;
}

/**
 * The diff. Another Creatio (or one not known yet), or a new `rotation`, replaces the client:
 * Pulumi creates the new one before it deletes the old (deleteBeforeReplace false), so whatever
 * uses the credentials can move over in between. Name, URLs, description, active and system user
 * change in place; so does repairing a create or update that failed halfway.
 */
export function diffState(olds: Record<string, any>, news: Record<string, any>): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces: string[] = [];
  if (isAnotherCreatio(olds, news)) replaces.push("creatio");
  if (isUnknown(news.rotation) || keeper(news.rotation) !== keeper(olds.rotation)) replaces.push("rotation");
  // A state from before creatioAcceptsTokens lacks it: one update records it (an absent output is unknown in every preview).
  const unobserved = typeof olds.creatioAcceptsTokens !== "boolean";
  const changes = replaces.length > 0 || changedFields(olds, news).length > 0 || changedStateOnlyInputs(olds, news).length > 0 || olds.complete === false || unobserved;
  return { changes, replaces, deleteBeforeReplace: false };
}
