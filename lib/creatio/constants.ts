/**
 * Facts about Creatio the integration relies on, each in one place: the feature, the three system
 * settings, the shipped role ids. (Creatio's OAuth20 package data: `Feature_OAuth20Integration`,
 * `AdminUnitFeatureState_OAuth20Integration`, `SysSettings_OAuth20IdentityServer`; role ids from
 * Creatio's `ConfigurationConstants`.)
 */

/** `Feature.Code` of the switch that makes Creatio use the Identity Service. */
export const OAUTH_FEATURE_CODE = "OAuth20Integration";
/** Its `Feature.Id` in Creatio's shipped data (informational: the provider looks it up by Code). */
export const OAUTH_FEATURE_SHIPPED_ID = "f836e885-8e51-44dd-879c-37c901210874";
/** `SysAdminUnit.Id` of the "All employees" role: the default target, and the owner of system-wide setting values. */
export const ALL_EMPLOYEES_ID = "a29a3ba5-4b0d-de11-9a51-005056c00008";
/** `SysAdminUnit.Id` of the "System administrators" role (Creatio ships a state row for it, FeatureState 0). */
export const SYSTEM_ADMINISTRATORS_ID = "83a43ebc-f36b-1410-298d-001e8c82bcad";
/** `SysAdminUnit.SysAdminUnitTypeValue` of a user (as opposed to roles and organisations). */
export const USER_ADMIN_UNIT_TYPE = 4;

/** The three system settings Creatio reads to reach the Identity Service. */
export const OAUTH_SETTING_CODES = {
  url: "OAuth20IdentityServerUrl",
  clientId: "OAuth20IdentityServerClientId",
  clientSecret: "OAuth20IdentityServerClientSecret",
} as const;

/** The three settings' values, by setting code. */
export type OAuthSettingValues = { readonly [Code in (typeof OAUTH_SETTING_CODES)[keyof typeof OAUTH_SETTING_CODES]]: string };

/** The values the three settings get for an Identity Service URL and Creatio's client. */
export function oauthSettingValues(v: { readonly identityServerUrl: string; readonly clientId: string; readonly clientSecret: string }): OAuthSettingValues {
  return {
    [OAUTH_SETTING_CODES.url]: v.identityServerUrl,
    [OAUTH_SETTING_CODES.clientId]: v.clientId,
    [OAUTH_SETTING_CODES.clientSecret]: v.clientSecret,
  };
}

/** The codes in the order they are written. */
export const OAUTH_SETTING_CODE_LIST: readonly string[] = [OAUTH_SETTING_CODES.url, OAUTH_SETTING_CODES.clientId, OAUTH_SETTING_CODES.clientSecret];

/** The seed's manual step, verbatim (the bench's baseline). It only flips rows that already exist. */
export const SEED_ENABLE_FEATURE_SQL = `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1 WHERE "FeatureId" = (SELECT "Id" FROM "Feature" WHERE "Code" = 'OAuth20Integration')`;

/** Pulumi's placeholder for an input not known yet (preview); defined with the others in lib/unknownValues. */
export { UNKNOWN_VALUE } from "../unknownValues";

/** The GUID shape Creatio's ids have. */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
