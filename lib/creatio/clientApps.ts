/**
 * Creatio's "OAuth 2.0 integrated applications" through its API: the `OAuthClientApp` records,
 * the users they run as, and OAuthConfigService's AddClient, UpdateClient and DeleteClient.
 *
 * Wire shapes (Creatio 8.1, `OAuthConfigService.OAuth20.cs`, `OAuthConfigServiceDto.OAuth20.cs`):
 * - `AddClient {"addClientRequest":{name, applicationUrl, redirectUrl, systemUserId}}` →
 *   `{AddClientResult:{clientId, clientSecret, success, errorInfo}}`. The system user must be a
 *   `SysAdminUnit` with `SysAdminUnitTypeValue` 4, else "Specified system user is not valid."; the
 *   record's listener (`OAuthClientAppListener.OAuth20.cs`) needs exactly one default `OAuthResource`
 *   and has the Identity Service generate the client id and secret. The record starts active. 8.1's
 *   request has no description, so the description is written to the record through DataService
 *   (the same listener passes it on to the Identity Service).
 * - `UpdateClient {"updateClientRequest":{clientId, name, redirectUrl, applicationUrl, systemUserId, isActive}}`
 *   (null members keep their value) and `DeleteClient {"deleteClientRequest":{clientId}}` find the
 *   record by client id, else "Record with specified Id does not exist.".
 * - Columns (`OAuthClientAppSchema.OAuth20.cs`): Name, ClientId, ClientSecret (SecureText),
 *   ApplicationUrl, RedirectUrl, Description, IsActive, SystemUser (lookup to SysAdminUnit).
 * - Role membership (`SysAdminUnitInRoleSchema.CrtBase.cs`): `SysAdminUnit` (lookup) is in the role
 *   whose Id is `SysAdminUnitRoleId` (a plain Guid column); Creatio keeps the hierarchy flattened.
 */
import { equals, lookupId, select, update } from "./dataService";
import { callOAuthConfigService } from "./services";
import { CreatioClient } from "./session";
import { SYSTEM_ADMINISTRATORS_ID, USER_ADMIN_UNIT_TYPE } from "./constants";

/** What a `SysAdminUnitTypeValue` is (Creatio's ConfigurationConstants: SysAdminUnit types). */
export const ADMIN_UNIT_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "an organization",
  1: "a division",
  2: "a manager role",
  3: "a team",
  4: "a user",
  5: "a portal (SSP) user",
  6: "a functional role",
};

/** A SysAdminUnit looked up by name. */
export type SystemUserLookup =
  | { readonly kind: "user"; readonly id: string; readonly name: string; readonly active: boolean }
  | { readonly kind: "notUser"; readonly typeValue: number }
  | { readonly kind: "missing" };

/** The user (SysAdminUnitTypeValue 4) with this login name; or what else carries the name; or nothing. */
export async function findSystemUser(client: CreatioClient, name: string): Promise<SystemUserLookup> {
  const rows = await select(client, { entity: "SysAdminUnit", columns: ["Id", "Name", "SysAdminUnitTypeValue", "Active"], filters: [equals("Name", name)] });
  const user = rows.find((r) => Number(r.SysAdminUnitTypeValue) === USER_ADMIN_UNIT_TYPE);
  if (user) return { kind: "user", id: String(user.Id).toLowerCase(), name: String(user.Name), active: user.Active !== false };
  if (rows.length > 0) return { kind: "notUser", typeValue: Number(rows[0].SysAdminUnitTypeValue) };
  return { kind: "missing" };
}

/** Whether a user is in the System administrators role (directly or through the role hierarchy). */
export async function isSystemAdministrator(client: CreatioClient, userId: string): Promise<boolean> {
  const rows = await select(client, {
    entity: "SysAdminUnitInRole",
    columns: ["Id"],
    filters: [equals("SysAdminUnit", userId), equals("SysAdminUnitRoleId", SYSTEM_ADMINISTRATORS_ID)],
  });
  return rows.length > 0;
}

/** How many default OAuth resources Creatio has (an application needs exactly one). */
export async function defaultResourceCount(client: CreatioClient): Promise<number> {
  return (await select(client, { entity: "OAuthResource", columns: ["Id"], filters: [equals("IsDefault", true)] })).length;
}

/** An `OAuthClientApp` record as Creatio has it (never its secret). */
export interface ClientAppRecord {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly applicationUrl: string;
  readonly redirectUrl: string;
  readonly description: string;
  readonly active: boolean;
  readonly systemUserId: string | null;
  /** The system user's login name (the lookup's display value). */
  readonly systemUser: string | null;
}

/** The record with this client id, or undefined when Creatio has none (deleted in its UI, say). */
export async function clientAppByClientId(client: CreatioClient, clientId: string): Promise<ClientAppRecord | undefined> {
  const rows = await select(client, {
    entity: "OAuthClientApp",
    columns: ["Id", "ClientId", "Name", "ApplicationUrl", "RedirectUrl", "Description", "IsActive", "SystemUser"],
    filters: [equals("ClientId", clientId)],
  });
  const r = rows[0];
  if (!r) return undefined;
  const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  const user = r.SystemUser as { displayValue?: unknown } | null;
  return {
    id: String(r.Id).toLowerCase(),
    clientId: text(r.ClientId),
    name: text(r.Name),
    applicationUrl: text(r.ApplicationUrl),
    redirectUrl: text(r.RedirectUrl),
    description: text(r.Description),
    active: r.IsActive === true,
    systemUserId: lookupId(r.SystemUser)?.toLowerCase() ?? null,
    systemUser: user && typeof user === "object" && typeof user.displayValue === "string" ? user.displayValue : null,
  };
}

export interface AddClientRequest {
  readonly name: string;
  readonly applicationUrl: string;
  readonly redirectUrl: string;
  readonly systemUserId: string;
}

/** AddClient: the new client's id and secret (known only from this answer and GetClientSecret). */
export async function addClient(client: CreatioClient, request: AddClientRequest): Promise<{ clientId: string; clientSecret: string }> {
  const result = await callOAuthConfigService(client, "AddClient", { addClientRequest: request });
  if (typeof result.clientId !== "string" || !result.clientId || typeof result.clientSecret !== "string" || !result.clientSecret) {
    throw new Error("Creatio's OAuthConfigService AddClient answered success without a client id and secret");
  }
  return { clientId: result.clientId, clientSecret: result.clientSecret };
}

export interface UpdateClientRequest {
  readonly clientId: string;
  readonly name?: string;
  readonly applicationUrl?: string;
  readonly redirectUrl?: string;
  readonly systemUserId?: string;
  readonly isActive?: boolean;
}

/** UpdateClient: members left out keep their value in Creatio. */
export async function updateClient(client: CreatioClient, request: UpdateClientRequest): Promise<void> {
  await callOAuthConfigService(client, "UpdateClient", { updateClientRequest: request });
}

/** Creatio's answer for a client id it has no record of (UpdateClient, DeleteClient). */
export const RECORD_NOT_FOUND_MESSAGE = "Record with specified Id does not exist.";

/** DeleteClient; "absent" when Creatio had no such record (deleted already). */
export async function deleteClient(client: CreatioClient, clientId: string): Promise<"deleted" | "absent"> {
  try {
    await callOAuthConfigService(client, "DeleteClient", { deleteClientRequest: { clientId } });
    return "deleted";
  } catch (e) {
    if ((e as Error).message.includes(RECORD_NOT_FOUND_MESSAGE)) return "absent";
    throw e;
  }
}

/** Writes a record's Description (DataService, by Id); returns how many rows Creatio changed. */
export async function setClientAppDescription(client: CreatioClient, recordId: string, description: string): Promise<number> {
  return update(client, "OAuthClientApp", { Description: description }, [equals("Id", recordId)]);
}
