/**
 * Creatio's services other than DataService's queries: system settings, the feature cache and
 * OAuthConfigService. Each function names its wire shape's source.
 */
import { CreatioClient } from "./session";

/**
 * Writes system-wide setting values: `POST {app}/DataService/json/SyncReply/PostSysSettingsValues`
 * `{"isPersonal":false,"sysSettingsValues":{code:value}}`. Creatio encrypts SecureText values itself.
 * Its top-level `success` is false even when every value was saved, so only `saveResult[code] === true`
 * counts (clio `clio/Common/ISysSettingsManager.cs` and its test fixtures). Returns code → saved, and
 * Creatio's message for a refusal when it gave one.
 */
export async function postSysSettingsValues(client: CreatioClient, values: Record<string, string>): Promise<{ saved: Record<string, boolean>; message?: string }> {
  const answer = await client.post("/DataService/json/SyncReply/PostSysSettingsValues", { isPersonal: false, sysSettingsValues: values }, "PostSysSettingsValues");
  const saveResult = answer?.saveResult;
  const saved: Record<string, boolean> = {};
  for (const code of Object.keys(values)) saved[code] = !!saveResult && typeof saveResult === "object" && saveResult[code] === true;
  const message = answer?.responseStatus?.Message ?? answer?.errorInfo?.message;
  return { saved, message: typeof message === "string" && message ? message : undefined };
}

/** What `QuerySysSettings` reported: code → value (undefined when not reported), and the codes Creatio does not have. */
export interface SysSettingsAnswer {
  readonly values: Record<string, unknown>;
  readonly notFound: string[];
}

/**
 * Reads setting values: `POST {app}/DataService/json/SyncReply/QuerySysSettings`
 * `{"sysSettingsNameCollection":[codes]}` → `{values:{code:{value,...}}, notFoundSettings, restrictedSettings}`
 * (Creatio's `core/sys-settings.js` `querySysSetting`; `QuerySysSettingsResponse` data members).
 */
export async function querySysSettings(client: CreatioClient, codes: readonly string[]): Promise<SysSettingsAnswer> {
  const answer = await client.post("/DataService/json/SyncReply/QuerySysSettings", { sysSettingsNameCollection: codes }, "QuerySysSettings");
  if (answer?.success === false || !answer?.values || typeof answer.values !== "object") {
    const m = answer?.errorInfo?.message ?? answer?.responseStatus?.Message;
    throw new Error(`Creatio's QuerySysSettings failed${typeof m === "string" && m ? `: ${m}` : " (no values in the answer)"}`);
  }
  const values: Record<string, unknown> = {};
  for (const code of codes) {
    const entry = answer.values[code];
    values[code] = entry && typeof entry === "object" && "value" in entry ? entry.value : undefined;
  }
  const notFound = [...(Array.isArray(answer.notFoundSettings) ? answer.notFoundSettings : []), ...(Array.isArray(answer.restrictedSettings) ? answer.restrictedSettings : [])]
    .map(String)
    .filter((c) => codes.includes(c));
  return { values, notFound };
}

/**
 * Clears Creatio's feature cache for every user and every feature, so a running Creatio sees feature
 * state rows written through the API: `GET {app}/rest/FeatureService/ClearFeaturesCacheForAllUsers/`
 * (Creatio's `FeatureService.CrtBase.cs`; the empty name means every feature. The name form is
 * avoided on purpose: clio sends it Base64-encoded, while Creatio 8.1 reads it raw).
 */
export async function clearFeatureCache(client: CreatioClient): Promise<void> {
  const answer = await client.get("/rest/FeatureService/ClearFeaturesCacheForAllUsers/", "FeatureService ClearFeaturesCacheForAllUsers");
  if (typeof answer !== "string") throw new Error("Creatio's ClearFeaturesCacheForAllUsers did not answer as expected (a message string)");
}

/**
 * Calls an OAuthConfigService method: `POST {app}/rest/OAuthConfigService/<Method>` with the WCF
 * wrapped body `{"<requestName>": dto}` (or `{}`), answered as `{"<Method>Result": {success, errorInfo, ...}}`
 * (Creatio's `OAuthConfigService.OAuth20.cs`, `OAuthConfigServiceDto.OAuth20.cs`; the UI reads
 * `response.AddDefaultResourceResult` in `OAuthClientAppSection.OAuth20.js`). Every method but
 * GetClientSecret answers `success:false` while OAuth 2.0 is off in Creatio's application config
 * file (`oauthConfigFileFix`).
 * Returns the result DTO; throws Creatio's message when `success` is not true.
 */
export async function callOAuthConfigService(client: CreatioClient, method: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const answer = await client.post(`/rest/OAuthConfigService/${method}`, body, `OAuthConfigService ${method}`);
  const result = answer?.[`${method}Result`] ?? answer;
  if (!result || typeof result !== "object" || result.success !== true) {
    const info = result?.errorInfo;
    const m = info?.message ?? result?.responseStatus?.Message;
    const code = info?.errorCode ? ` (${info.errorCode})` : "";
    throw new Error(`Creatio's OAuthConfigService ${method} failed${code}: ${typeof m === "string" && m ? m.slice(0, 500) : "no reason given"}`);
  }
  return result;
}

/** Creatio's refusal while OAuth 2.0 is off in its application config file (the en-US text names the key). */
export const OAUTH_DISABLED_PATTERN = /Feature-EnableOAuth20Integration/;

/**
 * What to do about that refusal. Every OAuthConfigService method checks
 * `GlobalAppSettings.FeatureEnableOAuth20Integration` (Creatio's `OAuthConfigService.OAuth20.cs`),
 * which is the `Feature-EnableOAuth20Integration` key in the AppSettings of the application config
 * file, read as Creatio starts: `Web.config` on .NET Framework, `Terrasoft.WebHost.dll.config` on
 * .NET 6/8. The `OAuth20Integration` feature in Creatio's database does not turn it on (it shows
 * System Designer's link), and neither do the user's roles or the feature cache.
 */
export function oauthConfigFileFix(netCore: boolean): string {
  const [file, other] = netCore
    ? ["Terrasoft.WebHost.dll.config (.NET 6/8 Creatio)", "Web.config on .NET Framework"]
    : ["Web.config (.NET Framework Creatio)", "Terrasoft.WebHost.dll.config on .NET 6/8"];
  return (
    `OAuth 2.0 is off in Creatio's application config file: set <add key="Feature-EnableOAuth20Integration" value="true" /> in the appSettings ` +
    `section of ${file} in Creatio's root folder (${other}), then restart Creatio. The OAuth20Integration feature in Creatio's database does not turn it on.`
  );
}
