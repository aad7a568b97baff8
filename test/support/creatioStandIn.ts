/**
 * A stand-in for the part of Creatio's HTTP API that CreatioOAuthIntegration uses. It is NOT Creatio:
 * it follows the contract written down in /work/shared/DESIGN.md ("Creatio side") and nothing more,
 * so tests can check the provider against that contract with a real PostgreSQL behind it.
 *
 * - `POST {url}/ServiceModel/AuthService.svc/Login` `{"UserName","UserPassword"}`: HTTP 200 with
 *   `Code` 0 and the cookies `.ASPXAUTH`, `BPMCSRF` (plus `BPMLOADER`, `UserName`) on success; HTTP
 *   200 with `Code` 1 and a `Message` for bad credentials (Creatio does not use 401 for this).
 * - `POST {app}/DataService/json/SyncReply/PostSysSettingsValues`
 *   `{"isPersonal":false,"sysSettingsValues":{code: value}}` → `{"success", "saveResult": {code: bool}}`
 * - `POST {app}/DataService/json/SyncReply/QuerySysSettings` `{"sysSettingsNameCollection":[...]}`
 *   → `{"success", "values": {code: {code, value, dataValueTypeName}}, "notFoundSettings": [...]}`
 *
 * `{app}` is `{url}/0` unless `netCore` (then `{url}`); the other prefix answers 404. Both DataService
 * calls need a known `.ASPXAUTH` cookie (else 401) and a `BPMCSRF` header equal to the session's
 * BPMCSRF cookie (else 403). Values are stored in the fixture database's `SysSettingsValue` row for
 * All employees (a new row gets a new Id: the fixture's ids have no default). SecureText values are
 * stored encrypted with a stand-in instance key (AES-256-GCM), so a plain SQL write of a secret
 * reads back as garbage, as in real Creatio; `QuerySysSettings` never returns a SecureText value
 * (whether real Creatio does is not known; the provider does not rely on it).
 *
 * Reusable outside jest: plain options object, `startCreatioStandIn` / `stop()`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import { Client, Pool } from "pg";

export const ALL_EMPLOYEES_ID = "a29a3ba5-4b0d-de11-9a51-005056c00008";

export interface CreatioStandInOptions {
  /** postgres:// URL of a database holding test/fixtures/creatio.sql (see loadCreatioFixture). */
  readonly databaseUrl: string;
  /** The administrator that may log in. Default Supervisor / Supervisor. */
  username?: string;
  password?: string;
  /** false (default): app under `/0`; true: app at the root. */
  readonly netCore?: boolean;
  /** Per-code answer override: `saveResult[code] = false` makes PostSysSettingsValues refuse that code. Mutable. */
  saveResult?: Record<string, boolean>;
  /** Key material for SecureText encryption (any string). Default: random per stand-in. */
  readonly instanceKey?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The status the stand-in answered. */
  status: number;
  /** Setting codes in a PostSysSettingsValues body. */
  readonly codes?: string[];
}

export interface CreatioStandIn {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly url: string;
  /** The options, live: change `saveResult`, `password` between calls. */
  readonly options: CreatioStandInOptions;
  /** Every request, in order. */
  readonly requests: RecordedRequest[];
  /** Encrypts/decrypts like the stand-in stores SecureText values. */
  encrypt(plain: string): string;
  decrypt(stored: string): string;
  /** The system-wide value of a setting as Creatio would use it (SecureText decrypted); undefined without a value row. */
  settingValue(code: string): Promise<string | null | undefined>;
  stop(): Promise<void>;
}

/** Creates the fixture tables and rows (test/fixtures/creatio.sql) in an empty database. */
export async function loadCreatioFixture(databaseUrl: string): Promise<void> {
  const sql = readFileSync(join(__dirname, "..", "fixtures", "creatio.sql"), "utf8");
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const LOGIN_PATH = "/ServiceModel/AuthService.svc/Login";
const DATA_SERVICE = "/DataService/json/SyncReply/";

export async function startCreatioStandIn(options: CreatioStandInOptions): Promise<CreatioStandIn> {
  const pool = new Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on("error", () => undefined);
  const key = createHash("sha256").update(options.instanceKey ?? randomBytes(16).toString("hex")).digest();
  const sessions = new Map<string, { csrf: string }>();
  const requests: RecordedRequest[] = [];
  const appPrefix = () => (options.netCore ? "" : "/0");

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

  const settingRow = async (code: string) => {
    const { rows } = await pool.query(
      `SELECT s."Id" AS id, s."ValueTypeName" AS type, v."Id" AS "valueId", v."TextValue" AS text
         FROM "SysSettings" s LEFT JOIN "SysSettingsValue" v ON v."SysSettingsId" = s."Id" AND v."SysAdminUnitId" = $2
        WHERE s."Code" = $1`,
      [code, ALL_EMPLOYEES_ID],
    );
    return rows[0] as { id: string; type: string; valueId: string | null; text: string | null } | undefined;
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
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    const path = (req.url ?? "/").split("?")[0];
    const body = await readBody(req);
    if (req.method === "POST" && path === LOGIN_PATH) {
      let creds: { UserName?: string; UserPassword?: string } = {};
      try {
        creds = JSON.parse(body);
      } catch {
        return send(400, { Code: 1, Message: "Bad request" });
      }
      if (creds.UserName !== (options.username ?? "Supervisor") || creds.UserPassword !== (options.password ?? "Supervisor")) {
        return send(200, { Code: 1, Message: "Either user name or password specified incorrectly or user does not exist.", Exception: null, PasswordChangeUrl: null, RedirectUrl: null });
      }
      const auth = randomBytes(24).toString("hex");
      const csrf = randomBytes(12).toString("base64url");
      sessions.set(auth, { csrf });
      return send(200, { Code: 0, Message: "", Exception: null, PasswordChangeUrl: null, RedirectUrl: null }, {
        "Set-Cookie": [
          `.ASPXAUTH=${auth}; path=/; HttpOnly`,
          `BPMCSRF=${csrf}; path=/`,
          `BPMLOADER=${randomBytes(8).toString("hex")}; path=/; HttpOnly`,
          `UserName=${encodeURIComponent(creds.UserName ?? "")}; path=/`,
        ],
      });
    }
    const prefix = `${appPrefix()}${DATA_SERVICE}`;
    if (req.method !== "POST" || !path.startsWith(prefix)) return send(404, { message: "Not found" });
    const operation = path.slice(prefix.length);
    const cookies = cookiesOf(req);
    const session = sessions.get(cookies.get(".ASPXAUTH") ?? "");
    if (!session) return send(401, { message: "Unauthorized" });
    if (req.headers.bpmcsrf !== session.csrf || cookies.get("BPMCSRF") !== session.csrf) return send(403, { message: "CSRF token is missing or invalid" });
    let payload: any;
    try {
      payload = JSON.parse(body);
    } catch {
      return send(400, { success: false, errorInfo: { message: "Bad JSON" } });
    }
    if (operation === "PostSysSettingsValues") {
      const values: Record<string, unknown> = payload?.sysSettingsValues ?? {};
      Object.assign(record, { codes: Object.keys(values) });
      const saveResult: Record<string, boolean> = {};
      for (const [code, value] of Object.entries(values)) {
        const row = await settingRow(code);
        if (!row || options.saveResult?.[code] === false) {
          saveResult[code] = false;
          continue;
        }
        const text = value === null || value === undefined ? "" : String(value);
        const stored = row.type === "SecureText" && text !== "" ? encrypt(text) : text;
        if (row.valueId) {
          await pool.query(`UPDATE "SysSettingsValue" SET "TextValue" = $2, "ModifiedOn" = now() WHERE "Id" = $1`, [row.valueId, stored]);
        } else {
          await pool.query(
            `INSERT INTO "SysSettingsValue" ("Id", "CreatedOn", "ModifiedOn", "SysSettingsId", "SysAdminUnitId", "IsDef", "TextValue") VALUES ($1, now(), now(), $2, $3, true, $4)`,
            [randomUUID(), row.id, ALL_EMPLOYEES_ID, stored],
          );
        }
        saveResult[code] = true;
      }
      return send(200, { success: Object.values(saveResult).every(Boolean), saveResult, rowsAffected: -1, responseStatus: null });
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
        const value = row.type === "SecureText" ? null : row.text ?? null;
        values[code] = { code, value, displayValue: value ?? "", dataValueTypeName: row.type, isCacheable: true };
      }
      return send(200, { success: true, values, notFoundSettings });
    }
    return send(404, { message: `Unknown operation ${operation}` });
  };

  const server = http.createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? "", path: (req.url ?? "/").split("?")[0], status: 0 };
    requests.push(record);
    handle(req, res, record).catch((e) => {
      record.status = 500;
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: String(e) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

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
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.end();
    },
  };
}
