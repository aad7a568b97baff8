/**
 * The steps that create and change an integrated application, each through Creatio's API. The
 * checks before anything is changed throw (nothing to undo); the steps that change Creatio never
 * throw: they return what they did and, when they failed, the error, so the caller knows exactly
 * what to undo (compensation.ts).
 */
import {
  ADMIN_UNIT_TYPE_NAMES,
  addClient,
  clientAppByClientId,
  ClientAppRecord,
  defaultResourceCount,
  findSystemUser,
  isSystemAdministrator,
  setClientAppDescription,
  updateClient,
  UpdateClientRequest,
} from "../../lib/creatio/clientApps";
import { CreatioClient } from "../../lib/creatio/session";
import { messageOf } from "../../lib/redact";
import type { StepResult } from "../../lib/creatio/providerSupport";
import { ApplicationInputs } from "./inputs";

function failed<T>(did: T, e: unknown, what: string): StepResult<T> {
  return { did, error: new Error(`${what}: ${messageOf(e)}`) };
}

/** The system user as Creatio has it. */
export interface ResolvedUser {
  readonly id: string;
  readonly isAdministrator: boolean;
  readonly active: boolean;
}

/**
 * The Creatio user `systemUser` names, and whether it is an administrator. Throws, naming the fix,
 * when there is no such user or the name is a role: AddClient wants a user (SysAdminUnitTypeValue 4).
 */
export async function resolveSystemUser(client: CreatioClient, i: Pick<ApplicationInputs, "systemUser" | "name">): Promise<ResolvedUser> {
  const found = await findSystemUser(client, i.systemUser);
  const fix = `Set systemUser of "${i.name}" to the login name of a Creatio user (System Designer → Users) that has only the rights the application needs.`;
  if (found.kind === "missing") {
    throw new Error(`systemUser: Creatio has no user named "${i.systemUser}". ${fix} Nothing was changed in Creatio.`);
  }
  if (found.kind === "notUser") {
    const what = ADMIN_UNIT_TYPE_NAMES[found.typeValue] ?? `a SysAdminUnit of type ${found.typeValue}`;
    throw new Error(
      `systemUser: "${i.systemUser}" is ${what} in Creatio, not a user: an integrated application acts as one user (SysAdminUnitTypeValue 4). ${fix} Nothing was changed in Creatio.`,
    );
  }
  return { id: found.id, isAdministrator: await isSystemAdministrator(client, found.id), active: found.active };
}

/** Creatio's listener refuses a new application unless exactly one default OAuth resource exists. */
export async function requireOneDefaultResource(client: CreatioClient): Promise<void> {
  const count = await defaultResourceCount(client);
  if (count === 1) return;
  if (count === 0) {
    throw new Error(
      "Creatio has no default OAuth resource, which every integrated application needs. Let the stack create it (creatioCreateDefaultResource true, the default, " +
        "on CreatioOAuthIntegration), or create it in Creatio (System Designer → OAuth 2.0 integrated applications → Actions → Create default resource). Nothing was changed in Creatio.",
    );
  }
  throw new Error(
    `Creatio has ${count} default OAuth resources, and an integrated application needs exactly one. Creatio forbids deleting OAuth resources through its API: clear IsDefault on all but one in Creatio's database. Nothing was changed in Creatio.`,
  );
}

/** What creating the client did: the id and secret once AddClient answered, the record once found. */
export interface Created {
  readonly clientId: string | null;
  readonly clientSecret: string | null;
  readonly record: ClientAppRecord | null;
}

/**
 * AddClient (Creatio has the Identity Service generate the id and secret), then the record it made,
 * then the description (8.1's AddClient has none). `onSecret` learns the secret as soon as it is
 * known, so it can be redacted from every later message.
 */
export async function createClientApp(client: CreatioClient, i: ApplicationInputs, systemUserId: string, onSecret: (secret: string) => void): Promise<StepResult<Created>> {
  let did: Created = { clientId: null, clientSecret: null, record: null };
  try {
    const added = await addClient(client, { name: i.name, applicationUrl: i.applicationUrl, redirectUrl: i.redirectUrl, systemUserId });
    onSecret(added.clientSecret);
    did = { ...did, ...added };
    const record = await clientAppByClientId(client, added.clientId);
    if (!record) throw new Error(`Creatio reported client ${added.clientId} as added but has no OAuthClientApp record with that ClientId`);
    did = { ...did, record };
    if (i.description !== "" && record.description !== i.description) {
      await setClientAppDescription(client, record.id, i.description);
      did = { ...did, record: { ...record, description: i.description } };
    }
    return { did };
  } catch (e) {
    return failed(did, e, did.clientId ? `Setting up the new integrated application "${i.name}" failed` : `Creating the integrated application "${i.name}" failed`);
  }
}

/** The record's fields UpdateClient sets (all of them: members left out would keep Creatio's value). */
export function updateRequest(clientId: string, f: Pick<ApplicationInputs, "name" | "applicationUrl" | "redirectUrl" | "active">, systemUserId: string): UpdateClientRequest {
  return { clientId, name: f.name, applicationUrl: f.applicationUrl, redirectUrl: f.redirectUrl, systemUserId, isActive: f.active };
}

/** What an in-place update did. */
export interface Updated {
  /** UpdateClient went through (the record and the Identity Service client have the new values). */
  readonly fields: boolean;
  readonly description: boolean;
}

/** UpdateClient with the new values when any of them changed, then the description when it changed. */
export async function updateClientApp(
  client: CreatioClient,
  request: UpdateClientRequest | undefined,
  description: { readonly recordId: string; readonly value: string } | undefined,
): Promise<StepResult<Updated>> {
  let did: Updated = { fields: false, description: false };
  try {
    if (request) {
      await updateClient(client, request);
      did = { ...did, fields: true };
    }
    if (description) {
      if ((await setClientAppDescription(client, description.recordId, description.value)) === 0)
        throw new Error(`Creatio has no OAuthClientApp record ${description.recordId} any more`);
      did = { ...did, description: true };
    }
    return { did };
  } catch (e) {
    return failed(did, e, "Changing the integrated application in Creatio failed");
  }
}
