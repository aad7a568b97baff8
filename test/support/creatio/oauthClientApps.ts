/**
 * The Creatio stand-in's "OAuth 2.0 integrated applications": the `OAuthClientApp` entity's listener
 * and the three OAuthConfigService methods that drive it, as Creatio 8.1 behaves
 * (`OAuthClientAppListener.OAuth20.cs`, `OAuthConfigService.OAuth20.cs`, `OAuthConfigServiceDto.OAuth20.cs`):
 * - inserting a record needs exactly one default `OAuthResource` (the listener's
 *   "Default resource does not exist" / "More than one default resource found. Please delete
 *   unnecessary OAuth resource."), then registers the client at the Identity Service with Creatio's
 *   own client; the SERVICE generates the client id and secret, which are written into the record
 *   (the secret as SecureText, encrypted); after the insert the record gets access to the default
 *   resource (`OAuthResourceInClient`, granted at the Identity Service too);
 * - updating a record sends the whole record to the Identity Service (`Enabled` = IsActive);
 *   deleting one removes the client there (its grants go with it: IsCascade);
 * - an Identity Service failure cancels the write and answers the listener's message.
 * OAuthConfigService's AddClient, UpdateClient and DeleteClient (oauthConfigService.ts) and DataService
 * writes to `OAuthClientApp` (what Creatio's UI does; creatioStandIn.ts) both go through it.
 */
import { randomUUID } from "node:crypto";
import { Pool } from "pg";
import type { IdentityServiceCaller } from "./oauthConfigService";

/** en-US texts of Creatio's OAuth20 package (OAuthClientAppListener's localizable strings). */
export const NO_DEFAULT_RESOURCE_MESSAGE = "Default resource does not exist";
export const MORE_THAN_ONE_DEFAULT_RESOURCE_MESSAGE = "More than one default resource found. Please delete unnecessary OAuth resource.";

/** A failure of the listener: Creatio cancels the entity event and reports `OAuthClientAppException`. */
export class ClientAppListenerError extends Error {
  readonly errorCode = "OAuthClientAppException";
}

export interface ListenerContext {
  readonly pool: Pool;
  readonly identityService: IdentityServiceCaller;
  readonly encrypt: (plain: string) => string;
}

/** The record as Creatio's `GetClientAppInfoFromEntity` sends it to the Identity Service. */
function clientAppInfo(row: Record<string, any>) {
  return {
    ClientId: row.ClientId ?? "",
    CustomerId: row.Name,
    ClientAppName: row.Name,
    ClientAppDescription: row.Description ?? "",
    ClientAppUri: row.ApplicationUrl,
    Enabled: row.IsActive !== false,
    SystemUserId: row.SystemUserId,
    RedirectUris: [row.RedirectUrl ?? null],
  };
}

async function call(ctx: ListenerContext, path: string, body: unknown, scope: string): Promise<any> {
  try {
    return await ctx.identityService.call(path, body, scope, "client");
  } catch (e) {
    throw new ClientAppListenerError((e as Error).message);
  }
}

async function defaultResourceId(pool: Pool): Promise<{ id: string; name: string }> {
  const { rows } = await pool.query(`SELECT "Id"::text AS id, "Name" AS name FROM "OAuthResource" WHERE "IsDefault"`);
  if (rows.length === 0) throw new ClientAppListenerError(NO_DEFAULT_RESOURCE_MESSAGE);
  if (rows.length > 1) throw new ClientAppListenerError(MORE_THAN_ONE_DEFAULT_RESOURCE_MESSAGE);
  return rows[0];
}

/** The listener: what happens around inserts, updates and deletes of `OAuthClientApp` rows. */
export function clientAppListener(ctx: ListenerContext) {
  return {
    /** OnInserting: returns the columns the Identity Service filled in (ClientId, ClientSecret encrypted). */
    async inserting(row: Record<string, any>): Promise<{ ClientId: string; ClientSecret: string; plainSecret: string }> {
      await defaultResourceId(ctx.pool);
      const answer = await call(ctx, "/api/clients/addregistrar", clientAppInfo(row), "add_registrar_client IdentityServerApi");
      return { ClientId: String(answer.ClientId), ClientSecret: ctx.encrypt(String(answer.Secret)), plainSecret: String(answer.Secret) };
    },
    /** OnInserted: access to the default resource, granted at the Identity Service as well. */
    async inserted(appId: string, clientId: string): Promise<void> {
      const resource = await defaultResourceId(ctx.pool);
      await call(ctx, "/api/Clients/scopes", { ClientId: clientId, ResourceName: resource.name }, "update_client IdentityServerApi");
      await ctx.pool.query(`INSERT INTO "OAuthResourceInClient" ("Id", "CreatedOn", "ModifiedOn", "OAuthResourceId", "OAuthClientId") VALUES ($1, now(), now(), $2, $3)`, [
        randomUUID(),
        resource.id,
        appId,
      ]);
    },
    /** OnUpdating: the record as it will be saved. */
    async updating(row: Record<string, any>): Promise<void> {
      await call(ctx, "/api/Clients/update", clientAppInfo(row), "update_client IdentityServerApi");
    },
    /** OnDeleting. */
    async deleting(row: Record<string, any>): Promise<void> {
      await call(ctx, "/api/clients/remove", { ClientId: row.ClientId }, "remove_client IdentityServerApi");
    },
  };
}
