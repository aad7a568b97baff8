/**
 * The Creatio stand-in's OAuthConfigService (`POST {app}/rest/OAuthConfigService/<Method>`), as
 * Creatio 8.1's `OAuthConfigService.OAuth20.cs` and `OAuthConfigServiceDto.OAuth20.cs` behave:
 * - WCF wrapped bodies: `{"<requestName>": dto}` in, `{"<Method>Result": {success, errorInfo, ...}}` out;
 * - every method refuses with `success:false` and the "Feature-EnableOAuth20Integration" message
 *   while the CACHED OAuth20Integration state of the calling user is off (the cache is cleared by
 *   FeatureService/ClearFeaturesCacheForAllUsers, not by writing feature rows);
 * - AddDefaultResource is not idempotent (ItemAlreadyExistException when a default exists) and
 *   registers the new resource at the Identity Service with Creatio's own client, from the three
 *   OAuth20IdentityServer* settings (Creatio's `OAuthResourceListener.OAuth20.cs`): wrong settings
 *   or an unreachable Identity Service make it fail with Creatio's messages.
 * Methods are a table, so other suites can add AddClient and friends.
 */
import { randomUUID } from "node:crypto";
import { Pool } from "pg";

/** What a method gets: the request DTO (already unwrapped) and the stand-in's services. */
export interface OAuthMethodContext {
  readonly pool: Pool;
  readonly body: any;
  readonly userId: string;
  /** The Identity Service as Creatio reaches it from its settings; throws Creatio's listener messages. */
  readonly identityService: IdentityServiceCaller;
}

export type OAuthMethod = (ctx: OAuthMethodContext) => Promise<Record<string, unknown>>;

/** Calls the Identity Service's API the way Creatio does (a token for its own client, then the call). */
export interface IdentityServiceCaller {
  call(path: string, body: unknown, scope: string, kind: "resource" | "client"): Promise<any>;
}

/** Creatio's refusal texts (en-US resources of the OAuth20 package). */
export const OAUTH_DISABLED_MESSAGE = "To enable OAuth 2.0 set Feature-EnableOAuth20Integration = true in AppSettings section of application config file";

/** A failed `<Method>Result` DTO (Creatio's ConfigurationServiceResponse with an exception). */
export function failedResult(errorCode: string | null, message: string): Record<string, unknown> {
  return {
    success: false,
    errorInfo: { errorCode, message, stackTrace: null },
    responseStatus: errorCode ? { ErrorCode: errorCode, Message: message, StackTrace: null } : null,
    rowsAffected: -1,
    nextPrcElReady: false,
    queryId: null,
  };
}

export function okResult(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, success: true, errorInfo: null, responseStatus: null, rowsAffected: -1, nextPrcElReady: false, queryId: null };
}

/** The methods; AddDefaultResource here, others added by the suites that need them. */
export const OAUTH_METHODS: Record<string, OAuthMethod> = {
  async AddDefaultResource({ pool, identityService }) {
    const existing = await pool.query(`SELECT "Name" FROM "OAuthResource" WHERE "IsDefault" LIMIT 1`);
    if (existing.rowCount) return failedResult("ItemAlreadyExistException", `Item with name "${existing.rows[0].Name}" already exists.`);
    const name = `ApplicationAccess_${randomUUID().replace(/-/g, "")}`;
    try {
      await identityService.call("/api/OwnedResources/register", { Name: name, DisplayName: "Application access", Properties: { Type: "ApplicationAccess" } }, "register_own_resource IdentityServerApi", "resource");
    } catch (e) {
      return failedResult("OAuthResourceException", (e as Error).message);
    }
    await pool.query(`INSERT INTO "OAuthResource" ("Id", "CreatedOn", "ModifiedOn", "Name", "DisplayName", "IsDefault") VALUES ($1, now(), now(), $2, 'Application access', true)`, [randomUUID(), name]);
    return okResult({ scope: name });
  },
};

/** The wrapper name of each method's request (`addClientRequest`, ...); methods with `{}` bodies have none. */
export const OAUTH_REQUEST_NAMES: Record<string, string | undefined> = {
  AddDefaultResource: undefined,
};
