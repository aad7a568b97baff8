/**
 * What the CreatioOAuthApplication tests share on top of the Creatio world (creatioHarness.ts): a
 * Creatio switched over by the integration first, the application's inputs, a token request as the
 * consuming application makes it, and changes made the way Creatio's UI makes them (DataService).
 */
import { creatioOAuthApplicationProvider as provider, CreatioOAuthApplicationOutputs } from "../../components/creatioOAuthApplication";
import { creatioOAuthIntegrationProvider } from "../../components/creatioOAuthIntegration";
import { equals, ParameterValue, remove, update } from "../../lib/creatio/dataService";
import { connectCreatio, CreatioClient } from "../../lib/creatio/session";
import { CREATIO_PASSWORD, Harness, integrationInputs } from "./creatioHarness";
import { query } from "./pg";

/** Runs CreatioOAuthIntegration's create: the feature on, the settings written, the default resource made. */
export async function integrate(h: Harness, overrides: Record<string, any> = {}, creatioOverrides: Record<string, any> = {}): Promise<{ id: string; outs: any }> {
  const checked = await creatioOAuthIntegrationProvider.check!({} as any, integrationInputs(h, overrides, creatioOverrides) as any);
  if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
  const created = await creatioOAuthIntegrationProvider.create(checked.inputs!);
  return { id: created.id, outs: created.outs };
}

/** The application's raw inputs against the harness's stand-ins. */
export function applicationInputs(h: Harness, overrides: Record<string, any> = {}): Record<string, any> {
  return {
    creatio: { url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD },
    name: "Billing",
    applicationUrl: "https://billing.example.com",
    systemUser: "IntegrationUser",
    identityServerUrl: h.identity.url,
    readinessTimeoutSeconds: 10,
    ...overrides,
  };
}

export async function checked(h: Harness, overrides: Record<string, any> = {}): Promise<any> {
  const result = await provider.check!({} as any, applicationInputs(h, overrides) as any);
  if (result.failures?.length) throw new Error(JSON.stringify(result.failures));
  return result.inputs!;
}

/** Creates the application; its generated secret joins the values no log line or error may show. */
export async function createApplication(h: Harness, overrides: Record<string, any> = {}): Promise<{ id: string; outs: CreatioOAuthApplicationOutputs }> {
  const r = await provider.create(await checked(h, overrides));
  const outs = r.outs as CreatioOAuthApplicationOutputs;
  h.extraSecrets.push(outs.clientSecret);
  return { id: r.id, outs };
}

/** The HTTP status of a client_credentials token request, as the consuming application makes it. */
export async function tokenStatus(h: Harness, clientId: string, clientSecret: string): Promise<number> {
  const response = await fetch(`${h.identity.url}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }).toString(),
  });
  return response.status;
}

/** A session as an administrator working in Creatio's UI. */
export function uiSession(h: Harness): Promise<CreatioClient> {
  return connectCreatio({ url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: false, timeoutMs: 10000 });
}

/** Changes a record the way Creatio's UI does (DataService UpdateQuery; its listener tells the Identity Service). */
export async function changeInUi(h: Harness, recordId: string, values: Record<string, ParameterValue>): Promise<void> {
  await update(await uiSession(h), "OAuthClientApp", values, [equals("Id", recordId)]);
}

/** Deletes a record the way Creatio's UI does (DataService DeleteQuery). */
export async function deleteInUi(h: Harness, recordId: string): Promise<void> {
  await remove(await uiSession(h), "OAuthClientApp", [equals("Id", recordId)]);
}

/** The OAuthClientApp rows as stored (secret still encrypted), with their grants. */
export async function storedApps(h: Harness): Promise<any[]> {
  return query(
    h.db.url,
    `SELECT a."Id"::text AS id, a."Name", a."ClientId", a."ClientSecret", a."ApplicationUrl", a."RedirectUrl", a."Description", a."IsActive", a."SystemUserId"::text AS "systemUserId",
            (SELECT count(*)::int FROM "OAuthResourceInClient" g WHERE g."OAuthClientId" = a."Id") AS grants
       FROM "OAuthClientApp" a ORDER BY a."CreatedOn", a."Name"`,
  );
}
