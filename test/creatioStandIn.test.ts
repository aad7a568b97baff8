/**
 * The Creatio stand-in is only worth its tests if it is as unkind as Creatio: these check the
 * behaviours the providers must cope with, as Creatio's sources show them (each module of
 * test/support/creatio names its source).
 */
import http from "node:http";
import { deleteQuery, equals, select, selectQuery, updateQuery } from "../lib/creatio/dataService";
import { callOAuthConfigService, clearFeatureCache, postSysSettingsValues, querySysSettings } from "../lib/creatio/services";
import { connectCreatio, CreatioClient } from "../lib/creatio/session";
import { CREATIO_PASSWORD, FEATURE_ID, SECRET_CODE, SYSADMIN_ROW_ID, URL_CODE, useCreatioWorld } from "./support/creatioHarness";
import { query } from "./support/pg";

const h = useCreatioWorld();
const login = (): Promise<CreatioClient> => connectCreatio({ url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: false, timeoutMs: 10000 });

/** A raw request, to see exactly what the stand-in answers. */
function raw(path: string, method = "POST", headers: Record<string, string> = {}, body = "{}"): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.creatio.url}${path}`, { method, headers: { "Content-Type": "application/json", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(method === "POST" ? body : undefined);
  });
}

it("answers a wrong password with HTTP 200 and Code 1, and the login under /0 with 401", async () => {
  const refused = await raw("/ServiceModel/AuthService.svc/Login", "POST", {}, JSON.stringify({ UserName: "Supervisor", UserPassword: "wrong" }));
  expect(refused.status).toBe(200);
  expect(JSON.parse(refused.body).Code).toBe(1);
  expect((await raw("/0/ServiceModel/AuthService.svc/Login", "POST", {}, JSON.stringify({ UserName: "Supervisor", UserPassword: CREATIO_PASSWORD }))).status).toBe(401);
});

it("redirects a request without a session to the login page, and can answer the page itself with HTTP 200", async () => {
  const redirected = await raw("/0/DataService/json/SyncReply/SelectQuery");
  expect(redirected.status).toBe(302);
  expect(redirected.location).toMatch(/^\/0\/Login\/NuiLogin\.aspx\?ReturnUrl=/);
  h.creatio.options.expiredAnswer = "loginPage";
  const page = await raw("/0/DataService/json/SyncReply/SelectQuery");
  expect(page.status).toBe(200);
  expect(page.body.startsWith("<!DOCTYPE html>")).toBe(true);
});

it("answers a failed query with HTTP 200 and Creatio's failure envelope", async () => {
  const client = await login();
  const answer = await client.post("/DataService/json/SyncReply/SelectQuery", selectQuery({ entity: "Feature", columns: ["NoSuchColumn"], filters: [] }), "test");
  expect(answer).toMatchObject({ success: false, errorInfo: { errorCode: "ItemNotFoundException" }, responseStatus: { ErrorCode: "ItemNotFoundException" } });
  expect(answer.rows).toBeUndefined();
});

it("says success:false for PostSysSettingsValues even when it saved, keeps SecureText encrypted and never returns it", async () => {
  const client = await login();
  const answer = await client.post("/DataService/json/SyncReply/PostSysSettingsValues", { isPersonal: false, sysSettingsValues: { [SECRET_CODE]: "a-secret-value" } }, "test");
  expect(answer).toMatchObject({ success: false, saveResult: { [SECRET_CODE]: true } });
  const stored = await query(h.db.url, `SELECT v."TextValue" AS t FROM "SysSettingsValue" v JOIN "SysSettings" s ON s."Id" = v."SysSettingsId" WHERE s."Code" = $1`, [SECRET_CODE]);
  expect(stored[0].t).not.toContain("a-secret-value");
  expect(h.creatio.decrypt(stored[0].t)).toBe("a-secret-value");
  expect((await querySysSettings(client, [SECRET_CODE, URL_CODE])).values).toEqual({ [SECRET_CODE]: null, [URL_CODE]: "" });
  expect((await postSysSettingsValues(client, { NoSuchSetting: "x" })).saved).toEqual({ NoSuchSetting: false });
});

it("runs a parameter as the type it was sent as: a Guid-typed value against a text column fails as on PostgreSQL", async () => {
  const client = await login();
  const guidShaped = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  const body = selectQuery({ entity: "OAuthClientApp", columns: ["Id"], filters: [equals("ClientId", guidShaped)] }) as any;
  // What the package sends: typed by the column (ClientId is text).
  expect(body.filters.items.f0.rightExpression.parameter.dataValueType).toBe(1);
  expect(await client.post("/DataService/json/SyncReply/SelectQuery", body, "test")).toMatchObject({ success: true, rows: [] });
  // What a client typing by the value's shape sends: Creatio runs varchar = uuid.
  body.filters.items.f0.rightExpression.parameter.dataValueType = 0;
  const refused = await client.post("/DataService/json/SyncReply/SelectQuery", body, "test");
  expect(refused).toMatchObject({ success: false, errorInfo: { message: expect.stringContaining("operator does not exist") } });
});

it("types every parameter from COLUMN_TYPES, and refuses a column it has no type for", () => {
  const body = updateQuery("OAuthClientApp", { Description: "3f2504e0-4f89-11d3-9a0c-0305e82c3301", IsActive: true, SystemUser: SYSADMIN_ROW_ID }, [
    equals("Id", SYSADMIN_ROW_ID),
  ]) as any;
  expect(Object.fromEntries(Object.entries<any>(body.columnValues.items).map(([k, v]) => [k, v.parameter.dataValueType]))).toEqual({ Description: 1, IsActive: 12, SystemUser: 0 });
  expect(body.filters.items.f0.rightExpression.parameter.dataValueType).toBe(0);
  expect(() => selectQuery({ entity: "OAuthClientApp", columns: ["Id"], filters: [equals("NoSuchColumn", "x")] })).toThrow(
    "No data value type is known for OAuthClientApp.NoSuchColumn",
  );
  expect(
    (selectQuery({ entity: "SysSettingsValue", columns: ["Id"], filters: [equals("SysSettings.Code", "x")] }) as any).filters.items.f0.rightExpression.parameter.dataValueType,
  ).toBe(1);
});

it("answers AppFeatureState only when asked by Id", async () => {
  const client = await login();
  expect(await select(client, { entity: "AppFeatureState", columns: ["Id"], filters: [equals("Feature", FEATURE_ID)] })).toEqual([]);
  expect(await select(client, { entity: "AppFeatureState", columns: ["Id", "FeatureState"], filters: [equals("Id", SYSADMIN_ROW_ID)] })).toEqual([
    { Id: SYSADMIN_ROW_ID, FeatureState: false },
  ]);
});

it("refuses OAuthConfigService while the config file has OAuth 2.0 off, whatever the database feature says, and AddDefaultResource is not idempotent", async () => {
  const client = await login();
  // Creatio registers the resource at the Identity Service with its own client: the settings must hold it.
  await postSysSettingsValues(client, { [URL_CODE]: h.identity.url, OAuth20IdentityServerClientId: "creatioClient0001", [SECRET_CODE]: "Cl1entSecret-0123456789abcdefABCD" });
  // The database feature on, and its cache cleared: still refused while the file says no.
  await query(h.db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
  await clearFeatureCache(client);
  h.creatio.options.enableOAuth20Integration = false;
  await expect(callOAuthConfigService(client, "AddDefaultResource", {})).rejects.toThrow(
    "To enable OAuth 2.0 set Feature-EnableOAuth20Integration = true in AppSettings section of application config file",
  );
  // The file says yes, the database feature off and cached off: OAuthConfigService answers.
  h.creatio.options.enableOAuth20Integration = true;
  await query(h.db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 0 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
  const created = await callOAuthConfigService(client, "AddDefaultResource", {});
  expect(created.scope).toMatch(/^ApplicationAccess_[0-9a-f]{32}$/);
  await expect(callOAuthConfigService(client, "AddDefaultResource", {})).rejects.toThrow(/ItemAlreadyExistException/);
});

it("keeps a per-user feature cache (GetFeatureState) that only ClearFeaturesCacheForAllUsers refreshes", async () => {
  const client = await login();
  const state = () => client.post("/rest/FeatureService/GetFeatureState", { code: "OAuth20Integration" }, "test");
  expect(await state()).toEqual({ FeatureState: 0 });
  await query(h.db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
  expect(await state()).toEqual({ FeatureState: 0 });
  await clearFeatureCache(client);
  expect(await state()).toEqual({ FeatureState: 1 });
});

it("forbids deleting an OAuth resource", async () => {
  await query(h.db.url, `INSERT INTO "OAuthResource" ("Id", "Name", "IsDefault") VALUES (gen_random_uuid(), 'ApplicationAccess_x', true)`);
  const client = await login();
  const answer = await client.post("/DataService/json/SyncReply/DeleteQuery", deleteQuery("OAuthResource", [equals("Name", "ApplicationAccess_x")]), "test");
  expect(answer).toMatchObject({ success: false, errorInfo: { message: "Deleting a resource is forbidden." } });
  expect(await query(h.db.url, `SELECT count(*)::int AS n FROM "OAuthResource"`)).toEqual([{ n: 1 }]);
});

describe("the bearer check of Creatio's API", () => {
  /** A token for a client of this Identity Service stand-in, and an active application in Creatio with that client id. */
  async function tokenOf(identity: { url: string }, clientId: string): Promise<string> {
    await query(
      h.db.url,
      `INSERT INTO "OAuthClientApp" ("Id", "Name", "ClientId", "IsActive", "SystemUserId") VALUES (gen_random_uuid(), $1, $1, true, $2) ON CONFLICT DO NOTHING`,
      [clientId, "410006e1-ca4e-4502-a9ec-e54d922d2c00"],
    );
    const r = await fetch(`${identity.url}/connect/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: CLIENT_SECRET_OF[clientId] }).toString(),
    });
    return ((await r.json()) as { access_token: string }).access_token;
  }
  const CLIENT_SECRET_OF: Record<string, string> = { creatioClient0001: "Cl1entSecret-0123456789abcdefABCD" };
  const odata = (token: string, netCore = false) =>
    fetch(`${h.creatio.url}${netCore ? "" : "/0"}/odata/SysAdminUnit?$top=1`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
  const lastRefusal = () => h.creatio.requests.filter((r) => r.operation === "OData").pop()?.bearerRefusal;

  it("on .NET Framework follows OAuth20IdentityServerUrl as it is now, and checks issuer and signature", async () => {
    const token = await tokenOf(h.identity, "creatioClient0001");
    expect(await odata(token)).toBe(401);
    expect(lastRefusal()).toContain("no authority configured");
    await postSysSettingsValues(await login(), { [URL_CODE]: h.identity.url });
    expect(await odata(token)).toBe(200);
    // A token of another Identity Service (its own key and issuer) is refused.
    const other = await (
      await import("./support/identityServiceStandIn")
    ).startIdentityServiceStandIn({ clients: [{ clientId: "creatioClient0001", secret: CLIENT_SECRET_OF.creatioClient0001 }] });
    try {
      expect(await odata(await tokenOf(other, "creatioClient0001"))).toBe(401);
      expect(lastRefusal()).toMatch(/signing key not found|invalid signature|issuer/);
    } finally {
      await other.stop();
    }
    // A forged signature, and a token expired beyond the clock skew, are refused too.
    const [head, body] = token.split(".");
    expect(await odata(`${head}.${body}.${Buffer.from("forged").toString("base64url")}`)).toBe(401);
    expect(lastRefusal()).toBe("invalid signature");
    h.identity.options.tokenLifetimeSeconds = -301;
    expect(await odata(await tokenOf(h.identity, "creatioClient0001"))).toBe(401);
    expect(lastRefusal()).toBe("token expired");
  });

  it("on .NET 6/8 keeps the Identity Service it knew when it started until a restart", async () => {
    await h.creatio.stop();
    h.creatio = await (await import("./support/creatioStandIn")).startCreatioStandIn({ databaseUrl: h.db.url, password: CREATIO_PASSWORD, netCore: true });
    const client = await connectCreatio({ url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: true, timeoutMs: 10000 });
    await postSysSettingsValues(client, { [URL_CODE]: h.identity.url });
    const token = await tokenOf(h.identity, "creatioClient0001");
    expect(await odata(token, true)).toBe(401);
    await h.creatio.restart();
    expect(await odata(token, true)).toBe(200);
    // A token for a client Creatio has no active application for is refused even so.
    await query(h.db.url, `UPDATE "OAuthClientApp" SET "IsActive" = false`);
    expect(await odata(token, true)).toBe(401);
    expect(lastRefusal()).toContain("no active integrated application");
  });
});
