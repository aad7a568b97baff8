/**
 * An authenticated session with Creatio's HTTP API: the login, the cookies and CSRF token every
 * later call carries, and one new login when Creatio says the session has expired.
 *
 * Wire shapes (Creatio 8.x; sources read for each):
 * - Login is at the site root on both runtimes, `POST {creatio}/ServiceModel/AuthService.svc/Login`
 *   with `{"UserName","UserPassword"}` and header `ForceUseSession: true`; `{creatio}/0/...` answers
 *   401 on .NET Framework. A refused login is HTTP 200 with `Code` other than 0. (Creatio Academy,
 *   "AuthService.svc web service"; clio `clio/Common/BrowserSession/CreatioAuthClient.cs`.)
 * - Every later call sends back every cookie of the login and the `BPMCSRF` cookie's value in a
 *   `BPMCSRF` header (Creatio's `ajax-provider.js` `addCsrfTokenToHeaders`; clio `creatioclient/CreatioClient.cs`).
 * - An expired session answers 401 (`{"Message":"Authentication failed."}` on `.svc` services) or a
 *   redirect to the login page, which a redirect-following client sees as HTTP 200 with HTML. clio
 *   treats any of these as "not logged in", logs in once more and retries once
 *   (`clio/Common/ReauthExecutor.cs`); so does this module. A refused login is never retried:
 *   repeated failures can lock the account.
 *
 * Messages name the URL and what went wrong, never a password or cookie. Runs inside dynamic
 * providers after closure serialization: no classes, no module state.
 */
import { describeError, httpRequest, HttpResponse, safeUrl } from "../http";

export interface CreatioCredentials {
  /** Creatio's base URL, without `/0`. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** true: .NET 6/8 Creatio (app at the site root); false: .NET Framework (app under `/0`). */
  readonly netCore: boolean;
}

export interface CreatioClientOptions extends CreatioCredentials {
  /** Per-request limit. */
  readonly timeoutMs: number;
}

/** An authenticated client for Creatio's app services (`{app}` is `{url}/0` or `{url}`). */
export interface CreatioClient {
  readonly appUrl: string;
  /** POSTs JSON to `{app}{path}` and returns the parsed answer (any HTTP 200 JSON; callers check envelopes). */
  post(path: string, body: unknown, what: string): Promise<any>;
  /** GETs `{app}{path}` and returns the parsed answer. */
  get(path: string, what: string): Promise<any>;
  /** How many HTTP requests this client has made, logins included. */
  requests(): number;
}

/** Where Creatio's app (DataService, rest services) lives: `{url}/0` on .NET Framework, `{url}` on .NET 6/8. */
export function creatioAppUrl(creatioUrl: string, netCore: boolean): string {
  const base = creatioUrl.replace(/\/+$/, "");
  return netCore ? base : `${base}/0`;
}

/** Cookie name → value from a response's Set-Cookie headers. */
function cookiesOf(response: HttpResponse): Map<string, string> {
  const header = response.headers["set-cookie"];
  const lines = Array.isArray(header) ? header : header ? [header] : [];
  const jar = new Map<string, string>();
  for (const line of lines) {
    const pair = line.split(";")[0];
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return jar;
}

interface Session {
  readonly cookieHeader: string;
  readonly csrfToken: string | undefined;
}

async function login(o: CreatioClientOptions, count: () => void): Promise<Session> {
  const loginUrl = `${o.url.replace(/\/+$/, "")}/ServiceModel/AuthService.svc/Login`;
  const where = safeUrl(loginUrl);
  let response: HttpResponse;
  count();
  try {
    response = await httpRequest(loginUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ForceUseSession: "true" },
      body: JSON.stringify({ UserName: o.username, UserPassword: o.password }),
      timeoutMs: o.timeoutMs,
    });
  } catch (e) {
    throw new Error(`Could not reach Creatio's login at ${where}: ${describeError(e)}. Check creatio.url and that Creatio is running.`);
  }
  if (response.status >= 300 && response.status < 400) {
    throw new Error(
      `Creatio's login at ${where} answered HTTP ${response.status} (a redirect to ${safeUrl(String(response.headers.location ?? ""))}). Set creatio.url to the address it redirects to.`,
    );
  }
  if (response.status !== 200) {
    const hint = response.status === 404 || response.status === 401 ? " Check creatio.url: it is Creatio's base URL, without /0." : "";
    throw new Error(`Creatio's login at ${where} answered HTTP ${response.status}.${hint}`);
  }
  let answer: { Code?: unknown; Message?: unknown };
  try {
    answer = JSON.parse(response.body);
  } catch {
    throw new Error(`Creatio's login at ${where} did not answer with JSON. Check creatio.url: it is Creatio's base URL, without /0.`);
  }
  if (answer?.Code !== 0) {
    const message = typeof answer?.Message === "string" && answer.Message ? `: ${answer.Message}` : "";
    throw new Error(
      `Creatio refused the login of user "${o.username}" at ${where} (Code ${String(answer?.Code)}${message}). ` +
        `Check creatio.username and creatio.password. Nothing was changed in Creatio.`,
    );
  }
  const jar = cookiesOf(response);
  if (jar.size === 0) throw new Error(`Creatio's login at ${where} succeeded but set no session cookie (.ASPXAUTH); nothing was changed in Creatio.`);
  return { cookieHeader: [...jar].map(([k, v]) => `${k}=${v}`).join("; "), csrfToken: jar.get("BPMCSRF") };
}

/** What an answer means for the session: fine, expired, or a failure to report. */
function classify(response: HttpResponse): "json" | "expired" | "failed" {
  if (response.status === 401 || (response.status >= 300 && response.status < 400)) return "expired";
  if (response.status !== 200) return "failed";
  const start = response.body.trimStart();
  // The login page (HTML) after a followed redirect: not logged in any more.
  return start.startsWith("<") ? "expired" : "json";
}

/** The message Creatio put in a failure body, if any (`responseStatus.Message`, `errorInfo.message`, `Message`). */
function bodyMessage(body: string): string {
  try {
    const a = JSON.parse(body);
    const m = a?.responseStatus?.Message ?? a?.errorInfo?.message ?? a?.Message ?? a?.message;
    return typeof m === "string" && m ? `: ${m.slice(0, 300)}` : "";
  } catch {
    return "";
  }
}

/** Logs in (never retried when refused) and returns a client that logs in once more when a session expires. */
export async function connectCreatio(o: CreatioClientOptions): Promise<CreatioClient> {
  let made = 0;
  const count = () => void made++;
  let session = await login(o, count);
  const appUrl = creatioAppUrl(o.url, o.netCore);

  const send = async (method: "GET" | "POST", path: string, body: unknown, what: string): Promise<any> => {
    const url = `${appUrl}${path}`;
    const where = safeUrl(url);
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { Accept: "application/json", Cookie: session.cookieHeader };
      if (session.csrfToken !== undefined) headers.BPMCSRF = session.csrfToken;
      if (method === "POST") headers["Content-Type"] = "application/json";
      let response: HttpResponse;
      count();
      try {
        response = await httpRequest(url, { method, headers, body: method === "POST" ? JSON.stringify(body ?? {}) : undefined, timeoutMs: o.timeoutMs });
      } catch (e) {
        throw new Error(`Could not reach Creatio's ${what} at ${where}: ${describeError(e)}`);
      }
      const kind = classify(response);
      if (kind === "expired") {
        if (attempt > 1) throw new Error(`Creatio did not accept the session for ${what} at ${where} (HTTP ${response.status}) even right after logging in again.`);
        session = await login(o, count);
        continue;
      }
      if (kind === "failed") {
        if (response.status === 403)
          throw new Error(
            `Creatio answered HTTP 403 to ${what} at ${where}${bodyMessage(response.body)}: user "${o.username}" may lack the right (an administrator is needed), or the BPMCSRF token was refused.`,
          );
        if (response.status === 404) {
          throw new Error(
            `Creatio answered HTTP 404 to ${what} at ${where}. Check creatio.netCore: false for .NET Framework Creatio (app under {url}/0), true for .NET 6/8 Creatio (app at {url}); or this Creatio version lacks the service.`,
          );
        }
        throw new Error(`Creatio answered HTTP ${response.status} to ${what} at ${where}${bodyMessage(response.body)}.`);
      }
      try {
        return JSON.parse(response.body);
      } catch {
        throw new Error(`Creatio's ${what} at ${where} did not answer with JSON. Check creatio.url and creatio.netCore.`);
      }
    }
  };

  return {
    appUrl,
    post: (path, body, what) => send("POST", path, body, what),
    get: (path, what) => send("GET", path, undefined, what),
    requests: () => made,
  };
}
