/**
 * A stand-in for the parts of Creatio's HTTP API this package uses, backed by a real PostgreSQL
 * database holding test/fixtures/creatio.sql, so that it persists like Creatio. Creatio itself cannot
 * run in CI; this follows what Creatio's sources show (each module names its source), including
 * where Creatio is unkind to clients:
 * - login at the site root only (`/0/ServiceModel/AuthService.svc/Login` answers 401 on .NET
 *   Framework); a refused login is HTTP 200 with `Code: 1`; cookies `.ASPXAUTH`, `BPMCSRF`,
 *   `BPMLOADER`, `UserName` (+ `CsrfToken` on .NET 6/8); the `BPMCSRF` header is required after;
 * - an expired session: `.svc` services answer 401 `{"Message":"Authentication failed."}`, everything
 *   else redirects (302) to the login page, or (option `expiredAnswer: "loginPage"`, as seen through a
 *   redirect-following proxy) answers the login page's HTML with HTTP 200;
 * - DataService with HTTP-200 failure envelopes (test/support/creatio/dataService.ts);
 * - PostSysSettingsValues whose top-level `success` is false even when everything was saved, SecureText
 *   stored encrypted with an instance key and never returned by QuerySysSettings;
 * - OAuth 2.0 on or off in the application config file: `Feature-EnableOAuth20Integration` in the
 *   AppSettings of `Web.config` (.NET Framework) or `Terrasoft.WebHost.dll.config` (.NET 6/8), which
 *   every OAuthConfigService method but GetClientSecret checks (`GlobalAppSettings.FeatureEnableOAuth20Integration`
 *   in `OAuthConfigService.OAuth20.cs`); the `OAuth20Integration` database feature does not gate the
 *   service (it shows System Designer's link), and its per-user cache, filled at login, is cleared by
 *   FeatureService/ClearFeaturesCacheForAllUsers (test/support/creatio/oauthConfigService.ts);
 * - "OAuth 2.0 integrated applications" (`OAuthClientApp`) whose listener registers, updates and
 *   removes the client at the Identity Service, for OAuthConfigService's AddClient/UpdateClient/
 *   DeleteClient and for DataService writes alike (test/support/creatio/oauthClientApps.ts).
 * - OData (`GET {app}/odata/<Entity>`) for a session or for an integrated application's bearer
 *   token, checked against the Identity Service Creatio's bearer set-up knows (test/support/creatio/bearer.ts):
 *   on .NET 6/8 the OAuth20IdentityServerUrl it read when it started, until `restart()`; on .NET
 *   Framework the setting as it is now (nothing in the sources read shows a start-time read there).
 *   The token's `client_id` must be an active OAuthClientApp, whose system user the request runs as.
 * Knobs let tests make it refuse a setting, expire sessions, or die after a given request.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { Client, Pool } from "pg";
import { bearerChecker } from "./creatio/bearer";
import { DataServiceFailure, ENTITIES, EntityHooks, failureEnvelope, runDataServiceQuery } from "./creatio/dataService";
import { ClientAppListenerError, clientAppListener } from "./creatio/oauthClientApps";
import { failedResult, IdentityServiceCaller, OAUTH_DISABLED_MESSAGE, OAUTH_METHODS, OAUTH_REQUEST_NAMES } from "./creatio/oauthConfigService";

const ALL_EMPLOYEES_ID = "a29a3ba5-4b0d-de11-9a51-005056c00008";
const SETTING_TYPES: Record<string, number> = { Text: 1, ShortText: 27, SecureText: 24 };

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** DataService operation and entity, or the service method. */
  operation?: string;
  entity?: string;
  /** For a BatchQuery: its queries, as "<Operation> <Entity>", in order. */
  items?: string[];
  /** How long the stand-in took to answer, in ms. */
  ms?: number;
  /** For a refused bearer token: why (what JwtBearer would log). */
  bearerRefusal?: string;
}

export interface CreatioStandInOptions {
  readonly databaseUrl: string;
  /** The administrator's login (Name of a SysAdminUnit user in the fixture). Default Supervisor / Supervisor. */
  readonly username?: string;
  readonly password?: string;
  /** .NET 6/8 Creatio (app at the site root) instead of .NET Framework (app under /0). */
  readonly netCore?: boolean;
  /** Key material for SecureText encryption (like Creatio's instance key). */
  readonly instanceKey?: string;
  /**
   * `Feature-EnableOAuth20Integration` in the AppSettings of the application config file (Web.config
   * or Terrasoft.WebHost.dll.config): false makes every OAuthConfigService method but GetClientSecret
   * refuse. Default true: the stand-in plays a Creatio whose file was set up for OAuth 2.0 (what a
   * fresh Creatio's file holds was not verified). Mutable; real Creatio reads the file at start.
   */
  enableOAuth20Integration?: boolean;
  /** Codes PostSysSettingsValues refuses (saveResult false). Mutable. */
  saveResult?: Record<string, boolean>;
  /** How an expired session is answered outside `.svc` services. Default "redirect". */
  expiredAnswer?: "redirect" | "loginPage";
  /** After answering a request this matches, every session expires. Mutable. */
  expireSessionsAfter?: (r: RecordedRequest) => boolean;
  /** After answering a request this matches, the server stops accepting connections (Creatio died). Mutable. */
  dieAfter?: (r: RecordedRequest) => boolean;
  /** A request this matches gets Creatio's failure envelope with the returned message instead of being served. Mutable. */
  refuse?: (r: RecordedRequest) => string | undefined;
}

export interface CreatioStandIn {
  readonly url: string;
  readonly options: CreatioStandInOptions;
  readonly requests: RecordedRequest[];
  encrypt(plain: string): string;
  decrypt(stored: string): string;
  /** The system-wide value of a setting as stored (SecureText decrypted); undefined when it has no value row. */
  settingValue(code: string): Promise<string | null | undefined>;
  /**
   * What a restart of Creatio changes here: every session and the feature cache go, and .NET 6/8's
   * bearer set-up reads OAuth20IdentityServerUrl again.
   */
  restart(): Promise<void>;
  /** Ends every session (the next call must log in again). */
  expireSessions(): void;
  /** Stops answering (connections refused) until revive(). */
  kill(): Promise<void>;
  revive(): Promise<void>;
  stop(): Promise<void>;
}

/** Creates the fixture tables and rows (test/fixtures/creatio.sql) in an empty database. */
export async function loadCreatioFixture(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(readFileSync(join(__dirname, "..", "fixtures", "creatio.sql"), "utf8"));
  } finally {
    await client.end();
  }
}

const LOGIN_PATH = "/ServiceModel/AuthService.svc/Login";

export async function startCreatioStandIn(options: CreatioStandInOptions): Promise<CreatioStandIn> {
  const pool = new Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on("error", () => undefined);
  const key = createHash("sha256")
    .update(options.instanceKey ?? randomBytes(16).toString("hex"))
    .digest();
  const sessions = new Map<string, { csrf: string; userId: string }>();
  /** `${userId}|${featureCode}` → cached state (Creatio's FeaturesCache). */
  const featureCache = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const app = options.netCore ? "" : "/0";

  const encrypt = (plain: string): string => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), data]).toString("base64");
  };
  const decrypt = (stored: string): string => {
    const raw = Buffer.from(stored, "base64");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  };

  type SettingRow = { code: string; id: string; type: string; name: string; valueId: string | null; text: string | null };
  /** Settings by code with their system-wide value rows, in one query. */
  const settingRows = async (codes: readonly string[]): Promise<Map<string, SettingRow>> => {
    const { rows } = await pool.query(
      `SELECT s."Code" AS code, s."Id" AS id, s."ValueTypeName" AS type, s."Name" AS name, v."Id" AS "valueId", v."TextValue" AS text
         FROM "SysSettings" s LEFT JOIN "SysSettingsValue" v ON v."SysSettingsId" = s."Id" AND v."SysAdminUnitId" = $2
        WHERE s."Code" = ANY($1::text[])`,
      [codes, ALL_EMPLOYEES_ID],
    );
    return new Map((rows as SettingRow[]).map((r) => [r.code, r]));
  };
  const settingRow = async (code: string): Promise<SettingRow | undefined> => (await settingRows([code])).get(code);
  const plainOf = (row: SettingRow | undefined): string => (!row?.text ? "" : row.type === "SecureText" ? decrypt(row.text) : row.text);

  const bearer = bearerChecker();
  let baseUrl = "";
  /** .NET 6/8: the authority Creatio's bearer set-up took from OAuth20IdentityServerUrl as it started. */
  const readAuthority = async () => plainOf(await settingRow("OAuth20IdentityServerUrl"));
  let startupAuthority = options.netCore ? await readAuthority() : "";

  /** The user's state of a feature: the highest over the user and its roles (Creatio's legacy FeatureValueProvider). */
  const evaluateFeature = async (userId: string, code: string): Promise<number> => {
    const { rows } = await pool.query(
      `SELECT coalesce(max(s."FeatureState"), 0) AS state FROM "AdminUnitFeatureState" s JOIN "Feature" f ON f."Id" = s."FeatureId"
        WHERE f."Code" = $1 AND s."SysAdminUnitId" IN (SELECT "SysAdminUnitRoleId" FROM "SysAdminUnitInRole" WHERE "SysAdminUnitId" = $2)`,
      [code, userId],
    );
    return Number(rows[0].state);
  };
  const cachedFeature = async (userId: string, code: string): Promise<number> => {
    const k = `${userId}|${code}`;
    if (!featureCache.has(k)) featureCache.set(k, await evaluateFeature(userId, code));
    return featureCache.get(k)!;
  };

  /** Creatio's own calls to the Identity Service, from its settings (OAuthResourceListener / OAuthClientAppListener). */
  const identityService: IdentityServiceCaller = {
    async call(path, body, scope, kind) {
      const settings = await settingRows(["OAuth20IdentityServerUrl", "OAuth20IdentityServerClientId", "OAuth20IdentityServerClientSecret"]);
      const url = plainOf(settings.get("OAuth20IdentityServerUrl")).replace(/\/+$/, "");
      const unable = kind === "resource" ? "Unable to register resource." : "Unable to handle client application.";
      const check = `${unable} Please check the values of the following system settings: OAuth20IdentityServerClientId, OAuth20IdentityServerClientSecret.`;
      const post = async (target: string, payload: string, headers: Record<string, string>) => {
        try {
          return await fetch(target, { method: "POST", body: payload, headers, signal: AbortSignal.timeout(10000) });
        } catch {
          throw new Error(`Unable to connect to OAuth server at "${url}" (system setting OAuth20IdentityServerUrl)`);
        }
      };
      if (!/^https?:\/\//.test(url)) throw new Error(`Unable to connect to OAuth server at "${url}" (system setting OAuth20IdentityServerUrl)`);
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: plainOf(settings.get("OAuth20IdentityServerClientId")),
        client_secret: plainOf(settings.get("OAuth20IdentityServerClientSecret")),
        scope,
      });
      const token = await post(`${url}/connect/token`, form.toString(), { "Content-Type": "application/x-www-form-urlencoded" });
      const tokenBody = (await token.json().catch(() => ({}))) as { access_token?: string };
      if (!token.ok || !tokenBody.access_token) throw new Error(check);
      const answer = await post(`${url}${path}`, JSON.stringify(body), { "Content-Type": "application/json", Authorization: `Bearer ${tokenBody.access_token}` });
      if (!answer.ok) throw new Error(`Unexpected error: the Identity Service answered HTTP ${answer.status} to ${path}`);
      return answer.json().catch(() => ({}));
    },
  };

  /** Entity listeners around DataService writes: OAuthClientApp's (what a change in Creatio's UI triggers). */
  const listenerFailure = (e: unknown) => (e instanceof ClientAppListenerError ? new DataServiceFailure(e.errorCode, e.message) : e);
  const entityHooks: EntityHooks = {
    encrypt,
    async beforeInsert(entity) {
      if (entity === "OAuthClientApp")
        throw new DataServiceFailure("NotSupportedException", "The stand-in does not model inserting OAuthClientApp through DataService; use OAuthConfigService AddClient.");
    },
    async beforeUpdate(entity, rows) {
      if (entity !== "OAuthClientApp") return;
      const listener = clientAppListener({ pool, identityService, encrypt });
      for (const row of rows) await listener.updating(row).catch((e) => Promise.reject(listenerFailure(e)));
    },
    async beforeDelete(entity, rows) {
      if (entity !== "OAuthClientApp") return;
      const listener = clientAppListener({ pool, identityService, encrypt });
      for (const row of rows) await listener.deleting(row).catch((e) => Promise.reject(listenerFailure(e)));
    },
  };

  /**
   * DataService's BatchQuery (Creatio Academy, "BatchQuery class"): `{items:[{__type, ...query}]}`,
   * each query run as on its own, answered `{queryResults:[...]}` in order. The sources read do not
   * show whether Creatio goes on after a query fails; the stand-in stops there (a client must then
   * cope with queries that have no result), and each query is committed on its own (no transaction
   * over the batch). `refuse` is asked for every query, as if it came alone.
   */
  const runBatch = async (record: RecordedRequest, payload: any): Promise<Record<string, unknown>> => {
    const items: any[] = Array.isArray(payload?.items) ? payload.items : [];
    const operationOf = (item: any) => String(item?.__type ?? "").replace(/^Terrasoft\.Nui\.ServiceModel\.DataContract\./, "");
    record.items = items.map((item) => `${operationOf(item)} ${String(item?.rootSchemaName ?? "")}`);
    const queryResults: Record<string, unknown>[] = [];
    for (const item of items) {
      const operation = operationOf(item);
      const refusal = options.refuse?.({ ...record, operation, entity: item?.rootSchemaName });
      const result = !["SelectQuery", "InsertQuery", "UpdateQuery", "DeleteQuery"].includes(operation)
        ? failureEnvelope("NotSupportedException", `Query type "${String(item?.__type)}" is not supported.`)
        : refusal
          ? failureEnvelope("SecurityException", refusal)
          : await runDataServiceQuery(pool, operation, item, entityHooks);
      queryResults.push(result);
      if (result.success === false) break;
    }
    return { queryResults, rowsAffected: -1, nextPrcElReady: false, success: true, errorInfo: null, responseStatus: null };
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });
  const cookiesOf = (req: http.IncomingMessage) => {
    const jar = new Map<string, string>();
    for (const part of (req.headers.cookie ?? "").split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    return jar;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest): Promise<void> => {
    const send = (status: number, body: unknown, headers: Record<string, string | string[]> = {}) => {
      record.status = status;
      const text = typeof body === "string" && headers["Content-Type"]?.includes("html") ? body : JSON.stringify(body);
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
      res.end(text);
    };
    const path = record.path;
    const body = await readBody(req);
    if (req.method === "POST" && (path === LOGIN_PATH || path === `/0${LOGIN_PATH}`)) {
      if (path !== LOGIN_PATH) return send(401, { Message: "Authentication failed.", StackTrace: null, ExceptionType: "System.Security.Authentication.AuthenticationException" });
      let creds: { UserName?: string; UserPassword?: string } = {};
      try {
        creds = JSON.parse(body);
      } catch {
        return send(400, { Code: 1, Message: "Bad request" });
      }
      const user = await pool.query(`SELECT "Id"::text AS id FROM "SysAdminUnit" WHERE "Name" = $1 AND "SysAdminUnitTypeValue" = 4`, [creds.UserName ?? ""]);
      if (creds.UserName !== (options.username ?? "Supervisor") || creds.UserPassword !== (options.password ?? "Supervisor") || !user.rowCount) {
        return send(200, {
          Code: 1,
          Message: "Either user name or password specified incorrectly or user does not exist.",
          Exception: null,
          PasswordChangeUrl: null,
          RedirectUrl: null,
        });
      }
      const auth = randomBytes(24).toString("hex");
      const csrf = randomBytes(12).toString("base64url");
      const userId = user.rows[0].id as string;
      sessions.set(auth, { csrf, userId });
      // A running Creatio evaluates (and caches) its features as the session starts.
      await cachedFeature(userId, "OAuth20Integration");
      const cookies = [
        `.ASPXAUTH=${auth}; path=${app || "/"}; HttpOnly`,
        `BPMCSRF=${csrf}; path=/`,
        `BPMLOADER=${randomBytes(8).toString("hex")}; path=${app || "/"}; HttpOnly`,
        `UserName=${encodeURIComponent(creds.UserName ?? "")}; path=/; HttpOnly`,
      ];
      if (options.netCore) cookies.push(`CsrfToken=${csrf}; path=/; HttpOnly`);
      return send(200, { Code: 0, Message: "", Exception: null, PasswordChangeUrl: null, RedirectUrl: null }, { "Set-Cookie": cookies });
    }
    if (!path.startsWith(`${app}/`)) return send(404, { message: "Not found" });
    const route = path.slice(app.length);
    const cookies = cookiesOf(req);
    const session = sessions.get(cookies.get(".ASPXAUTH") ?? "");
    if (route.startsWith("/odata/") && req.method === "GET") {
      Object.assign(record, { operation: "OData", entity: route.slice("/odata/".length) });
      const unauthorized = (reason: string) => {
        record.bearerRefusal = reason;
        return send(401, { error: { code: "", message: "Authorization has been denied for this request." } }, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
      };
      const authorization = String(req.headers.authorization ?? "");
      let userId: string | undefined = session?.userId;
      if (authorization.startsWith("Bearer ")) {
        const authority = options.netCore ? startupAuthority : await readAuthority();
        const checked = await bearer.check(authorization.slice("Bearer ".length), authority);
        if (!checked.ok) return unauthorized(checked.reason);
        const clientApp = await pool.query(`SELECT "SystemUserId"::text AS "user" FROM "OAuthClientApp" WHERE "ClientId" = $1 AND "IsActive"`, [checked.clientId]);
        if (!clientApp.rowCount) return unauthorized(`no active integrated application has client id ${checked.clientId}`);
        userId = clientApp.rows[0].user;
      }
      if (!userId) return unauthorized("no session and no bearer token");
      const entity = ENTITIES[String(record.entity)];
      if (!entity) return send(404, { error: { code: "", message: `Entity '${String(record.entity)}' not found.` } });
      const top = Number(new URL(req.url ?? "/", "http://x").searchParams.get("$top") ?? "100");
      const { rows } = await pool.query(`SELECT "Id"::text AS "Id" FROM "${entity.table}" LIMIT $1`, [Number.isFinite(top) && top >= 0 ? top : 100]);
      return send(200, { "@odata.context": `${baseUrl}${app}/odata/$metadata#${String(record.entity)}`, value: rows });
    }
    if (!session) {
      if (route.includes(".svc/"))
        return send(401, { Message: "Authentication failed.", StackTrace: null, ExceptionType: "System.Security.Authentication.AuthenticationException" });
      const loginPage = options.netCore ? "/Login/Login.html" : "/0/Login/NuiLogin.aspx";
      if (options.expiredAnswer === "loginPage")
        return send(200, `<!DOCTYPE html><html><head><title>Creatio</title></head><body><form action="${loginPage}"></form></body></html>`, {
          "Content-Type": "text/html; charset=utf-8",
        });
      return send(
        302,
        `<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="${loginPage}?ReturnUrl=${encodeURIComponent(path)}">here</a>.</h2></body></html>`,
        {
          "Content-Type": "text/html; charset=utf-8",
          Location: `${loginPage}?ReturnUrl=${encodeURIComponent(path)}`,
        },
      );
    }
    if (req.headers.bpmcsrf !== session.csrf)
      return send(401, { Message: "Authentication failed.", StackTrace: null, ExceptionType: "System.Security.Authentication.AuthenticationException" });
    let payload: any = {};
    if (req.method === "POST") {
      try {
        payload = JSON.parse(body || "{}");
      } catch {
        return send(500, { Message: "The server encountered an error processing the request." });
      }
    }

    if (route.startsWith("/DataService/json/SyncReply/") && req.method === "POST") {
      const operation = route.slice("/DataService/json/SyncReply/".length);
      Object.assign(record, { operation, entity: payload?.rootSchemaName });
      const refusal = options.refuse?.(record);
      if (refusal) return send(200, failureEnvelope("SecurityException", refusal));
      if (operation === "PostSysSettingsValues") {
        const values: Record<string, unknown> = payload?.sysSettingsValues ?? {};
        const saveResult: Record<string, boolean> = {};
        const found = await settingRows(Object.keys(values));
        for (const [code, value] of Object.entries(values)) {
          const row = found.get(code);
          if (!row || options.saveResult?.[code] === false) {
            saveResult[code] = false;
            continue;
          }
          const text = value === null || value === undefined ? "" : String(value);
          const stored = row.type === "SecureText" && text !== "" ? encrypt(text) : text;
          if (row.valueId) await pool.query(`UPDATE "SysSettingsValue" SET "TextValue" = $2, "ModifiedOn" = now() WHERE "Id" = $1`, [row.valueId, stored]);
          else {
            await pool.query(
              `INSERT INTO "SysSettingsValue" ("Id", "CreatedOn", "ModifiedOn", "SysSettingsId", "SysAdminUnitId", "IsDef", "TextValue") VALUES (gen_random_uuid(), now(), now(), $1, $2, true, $3)`,
              [row.id, ALL_EMPLOYEES_ID, stored],
            );
          }
          saveResult[code] = true;
        }
        const refused = Object.values(saveResult).some((v) => !v);
        // Creatio's top-level success is false even when every value was saved (clio's fixtures show it).
        return send(200, {
          saveResult,
          rowsAffected: -1,
          nextPrcElReady: false,
          success: false,
          ...(refused ? { responseStatus: { ErrorCode: "", Message: "denied", Errors: [] } } : {}),
        });
      }
      if (operation === "QuerySysSettings") {
        const codes: string[] = Array.isArray(payload?.sysSettingsNameCollection) ? payload.sysSettingsNameCollection : [];
        const values: Record<string, unknown> = {};
        const notFoundSettings: string[] = [];
        for (const code of codes) {
          const row = await settingRow(code);
          if (!row) {
            notFoundSettings.push(code);
            continue;
          }
          // SecureText never leaves Creatio in plain text; what Creatio sends instead is not known, so nothing.
          const value = row.type === "SecureText" ? null : (row.text ?? null);
          values[code] = { id: row.id, name: row.name, code, isCacheable: true, value, displayValue: value ?? "", dataValueType: SETTING_TYPES[row.type] ?? 1, typeName: row.type };
        }
        return send(200, { values, notFoundSettings, restrictedSettings: [], success: true, rowsAffected: -1, nextPrcElReady: false });
      }
      if (operation === "BatchQuery") return send(200, await runBatch(record, payload));
      return send(200, await runDataServiceQuery(pool, operation, payload, entityHooks));
    }
    if (route.startsWith("/rest/FeatureService/")) {
      const rest = route.slice("/rest/FeatureService/".length);
      Object.assign(record, { operation: rest.split("/")[0] });
      if (req.method === "GET" && rest.startsWith("ClearFeaturesCacheForAllUsers")) {
        const name = decodeURIComponent(rest.slice("ClearFeaturesCacheForAllUsers".length).replace(/^\//, ""));
        for (const k of [...featureCache.keys()]) if (!name || k.endsWith(`|${name}`)) featureCache.delete(k);
        return send(200, name ? `Cache cleared for feature ${name}` : "Cache cleared for all features");
      }
      if (req.method === "POST" && rest === "GetFeatureState") return send(200, { FeatureState: await cachedFeature(session.userId, String(payload?.code ?? "")) });
      return send(404, { Message: "Endpoint not found." });
    }
    if (route.startsWith("/rest/OAuthConfigService/") && req.method === "POST") {
      const method = route.slice("/rest/OAuthConfigService/".length);
      Object.assign(record, { operation: method });
      const impl = OAUTH_METHODS[method];
      if (!impl) return send(404, { Message: "Endpoint not found." });
      const refusal = options.refuse?.(record);
      if (refusal) return send(200, { [`${method}Result`]: failedResult("SecurityException", refusal) });
      // GlobalAppSettings.FeatureEnableOAuth20Integration: the config file, not the database feature.
      if (method !== "GetClientSecret" && options.enableOAuth20Integration === false) {
        return send(200, { [`${method}Result`]: failedResult(null, OAUTH_DISABLED_MESSAGE) });
      }
      const requestName = OAUTH_REQUEST_NAMES[method];
      const dto = requestName ? payload?.[requestName] : payload;
      return send(200, { [`${method}Result`]: await impl({ pool, body: dto ?? {}, userId: session.userId, identityService, encrypt }) });
    }
    return send(404, { Message: "Endpoint not found." });
  };

  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? "", path: (req.url ?? "/").split("?")[0], status: 0 };
    requests.push(record);
    const started = performance.now();
    res.on("finish", () => (record.ms = performance.now() - started));
    handle(req, res, record)
      .catch((e) => {
        record.status = 500;
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ Message: String(e) }));
      })
      .finally(() => {
        if (options.expireSessionsAfter?.(record)) sessions.clear();
        if (options.dieAfter?.(record)) void kill();
      });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  let alive = true;
  const kill = async () => {
    if (!alive) return;
    alive = false;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    options,
    requests,
    encrypt,
    decrypt,
    async settingValue(code: string) {
      const row = await settingRow(code);
      if (!row || !row.valueId) return undefined;
      if (row.text === null) return null;
      return row.type === "SecureText" && row.text !== "" ? decrypt(row.text) : row.text;
    },
    expireSessions: () => sessions.clear(),
    async restart() {
      sessions.clear();
      featureCache.clear();
      startupAuthority = options.netCore ? await readAuthority() : "";
    },
    kill,
    async revive() {
      if (alive) return;
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      alive = true;
    },
    async stop() {
      await kill();
      await pool.end();
    },
  };
}
