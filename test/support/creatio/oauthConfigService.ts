/**
 * The Creatio stand-in's OAuthConfigService (`POST {app}/rest/OAuthConfigService/<Method>`), as
 * Creatio 8.1's `OAuthConfigService.OAuth20.cs` and `OAuthConfigServiceDto.OAuth20.cs` behave:
 * - WCF wrapped bodies: `{"<requestName>": dto}` in, `{"<Method>Result": {success, errorInfo, ...}}` out;
 * - every method but GetClientSecret refuses with `success:false` and the "Feature-EnableOAuth20Integration"
 *   message while `Feature-EnableOAuth20Integration` is not true in the AppSettings of the application
 *   config file (`GlobalAppSettings.FeatureEnableOAuth20Integration`; the server checks it, see
 *   creatioStandIn.ts); the OAuth20Integration database feature plays no part;
 * - AddDefaultResource is not idempotent (ItemAlreadyExistException when a default exists) and
 *   registers the new resource at the Identity Service with Creatio's own client, from the three
 *   OAuth20IdentityServer* settings (Creatio's `OAuthResourceListener.OAuth20.cs`): wrong settings
 *   or an unreachable Identity Service make it fail with Creatio's messages.
 * - AddClient `{name, applicationUrl, redirectUrl, systemUserId}` checks that the system user is a
 *   SysAdminUnit with SysAdminUnitTypeValue 4 ("Specified system user is not valid.") and inserts an
 *   active `OAuthClientApp` (8.1's request has no description), whose listener registers it at the
 *   Identity Service (oauthClientApps.ts); the answer carries the client id and secret the SERVICE
 *   generated. UpdateClient and DeleteClient find the record by `clientId` ("Record with specified Id
 *   does not exist."); UpdateClient's null members keep their values, a system user is checked again.
 * Methods are a table, so other suites can add more.
 */
import { randomUUID } from "node:crypto";
import { Pool } from "pg";
import { ClientAppListenerError, clientAppListener } from "./oauthClientApps";

/** What a method gets: the request DTO (already unwrapped) and the stand-in's services. */
export interface OAuthMethodContext {
  readonly pool: Pool;
  readonly body: any;
  readonly userId: string;
  /** The Identity Service as Creatio reaches it from its settings; throws Creatio's listener messages. */
  readonly identityService: IdentityServiceCaller;
  /** SecureText encryption with the instance key. */
  readonly encrypt: (plain: string) => string;
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

/** The record as stored (its lookup as the Id column), by client id. */
async function recordByClientId(pool: Pool, clientId: unknown): Promise<Record<string, any> | undefined> {
  const { rows } = await pool.query(`SELECT *, "Id"::text AS "Id", "SystemUserId"::text AS "SystemUserId" FROM "OAuthClientApp" WHERE "ClientId" = $1`, [String(clientId ?? "")]);
  return rows[0];
}

/** OAuthConfigService's `IsSysAdminUnitValid`: a SysAdminUnit of type 4 (a user). */
async function isValidSystemUser(pool: Pool, id: unknown): Promise<boolean> {
  if (typeof id !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return false;
  const { rowCount } = await pool.query(`SELECT 1 FROM "SysAdminUnit" WHERE "Id" = $1 AND "SysAdminUnitTypeValue" = 4`, [id]);
  return (rowCount ?? 0) > 0;
}

const RECORD_NOT_FOUND = "Record with specified Id does not exist.";
const INVALID_SYSTEM_USER = "Specified system user is not valid.";

/** `new ConfigurationServiceResponse(e)`: the exception's type name and message. */
function exceptionResult(e: unknown): Record<string, unknown> {
  return e instanceof ClientAppListenerError ? failedResult(e.errorCode, e.message) : failedResult("Exception", (e as Error).message);
}

/** The methods. */
export const OAUTH_METHODS: Record<string, OAuthMethod> = {
  async AddDefaultResource({ pool, identityService }) {
    const existing = await pool.query(`SELECT "Name" FROM "OAuthResource" WHERE "IsDefault" LIMIT 1`);
    if (existing.rowCount) return failedResult("ItemAlreadyExistException", `Item with name "${existing.rows[0].Name}" already exists.`);
    const name = `ApplicationAccess_${randomUUID().replace(/-/g, "")}`;
    try {
      await identityService.call(
        "/api/OwnedResources/register",
        { Name: name, DisplayName: "Application access", Properties: { Type: "ApplicationAccess" } },
        "register_own_resource IdentityServerApi",
        "resource",
      );
    } catch (e) {
      return failedResult("OAuthResourceException", (e as Error).message);
    }
    await pool.query(
      `INSERT INTO "OAuthResource" ("Id", "CreatedOn", "ModifiedOn", "Name", "DisplayName", "IsDefault") VALUES ($1, now(), now(), $2, 'Application access', true)`,
      [randomUUID(), name],
    );
    return okResult({ scope: name });
  },

  async AddClient({ pool, body, identityService, encrypt }) {
    if (!(await isValidSystemUser(pool, body?.systemUserId))) return failedResult(null, INVALID_SYSTEM_USER);
    const listener = clientAppListener({ pool, identityService, encrypt });
    const id = randomUUID();
    const row = {
      Id: id,
      Name: body?.name ?? "",
      ApplicationUrl: body?.applicationUrl ?? "",
      RedirectUrl: body?.redirectUrl ?? null,
      Description: "",
      IsActive: true,
      SystemUserId: body.systemUserId,
    };
    try {
      const filled = await listener.inserting(row);
      await pool.query(
        `INSERT INTO "OAuthClientApp" ("Id", "CreatedOn", "ModifiedOn", "Name", "ClientId", "ClientSecret", "ApplicationUrl", "RedirectUrl", "IsActive", "SystemUserId")
         VALUES ($1, now(), now(), $2, $3, $4, $5, coalesce($6, ''), true, $7)`,
        [id, row.Name, filled.ClientId, filled.ClientSecret, row.ApplicationUrl, row.RedirectUrl, row.SystemUserId],
      );
      await listener.inserted(id, filled.ClientId);
      return okResult({ clientId: filled.ClientId, clientSecret: filled.plainSecret });
    } catch (e) {
      return exceptionResult(e);
    }
  },

  async UpdateClient({ pool, body, identityService, encrypt }) {
    const row = await recordByClientId(pool, body?.clientId);
    if (!row) return failedResult(null, RECORD_NOT_FOUND);
    if (body?.systemUserId != null && !(await isValidSystemUser(pool, body.systemUserId))) return failedResult(null, INVALID_SYSTEM_USER);
    const next = {
      ...row,
      Name: body?.name ?? row.Name,
      RedirectUrl: body?.redirectUrl ?? row.RedirectUrl,
      ApplicationUrl: body?.applicationUrl ?? row.ApplicationUrl,
      SystemUserId: body?.systemUserId ?? row.SystemUserId,
      IsActive: body?.isActive ?? row.IsActive,
    };
    try {
      await clientAppListener({ pool, identityService, encrypt }).updating(next);
      await pool.query(
        `UPDATE "OAuthClientApp" SET "Name" = $2, "RedirectUrl" = $3, "ApplicationUrl" = $4, "SystemUserId" = $5, "IsActive" = $6, "ModifiedOn" = now() WHERE "Id" = $1`,
        [row.Id, next.Name, next.RedirectUrl, next.ApplicationUrl, next.SystemUserId, next.IsActive],
      );
      return okResult();
    } catch (e) {
      return exceptionResult(e);
    }
  },

  async DeleteClient({ pool, body, identityService, encrypt }) {
    const row = await recordByClientId(pool, body?.clientId);
    if (!row) return failedResult(null, RECORD_NOT_FOUND);
    try {
      await clientAppListener({ pool, identityService, encrypt }).deleting(row);
      // The grants go with it (OAuthResourceInClient.OAuthClient is IsCascade).
      await pool.query(`DELETE FROM "OAuthClientApp" WHERE "Id" = $1`, [row.Id]);
      return okResult();
    } catch (e) {
      return exceptionResult(e);
    }
  },
};

/** The wrapper name of each method's request (`addClientRequest`, ...); methods with `{}` bodies have none. */
export const OAUTH_REQUEST_NAMES: Record<string, string | undefined> = {
  AddDefaultResource: undefined,
  AddClient: "addClientRequest",
  UpdateClient: "updateClientRequest",
  DeleteClient: "deleteClientRequest",
};
