/**
 * The HTTP side of the OAuth 2.0 switch-over: a small request helper on Node's http/https, Creatio's
 * login and system-settings calls, and the wait until the Identity Service issues a token.
 *
 * These functions run inside a Pulumi dynamic provider after closure serialization: they take what
 * they need as arguments, `require` Node's modules inside their bodies and capture nothing but each
 * other. No `fetch`: one request must be able to trust an extra CA (`caPem`) without touching the
 * process's TLS settings, which http/https's per-request `ca` option gives.
 *
 * Error messages name the URL and what went wrong, never a password, secret or cookie: callers also
 * pass every message through `redact` with their secrets as a second guard.
 */

export interface HttpRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Extra CA certificate(s), PEM, trusted for this request only (on top of Node's built-in roots). */
  readonly caPem?: string;
  /** The whole exchange, connect to last byte, must finish within this. */
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP(S) request with a hard deadline; redirects are not followed. */
export function httpRequest(url: string, request: HttpRequest): Promise<HttpResponse> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const transport: typeof import("https") = secure ? require("https") : require("http");
  const options: import("https").RequestOptions = {
    method: request.method ?? "GET",
    headers: { ...(request.headers ?? {}) },
    // A fresh connection per request: no keep-alive socket outlives the provider call.
    agent: false,
  };
  if (request.body !== undefined) (options.headers as Record<string, string | number>)["Content-Length"] = Buffer.byteLength(request.body);
  if (secure && request.caPem) options.ca = [...require("tls").rootCertificates, request.caPem];
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const finish = (error: Error | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(response as HttpResponse);
    };
    const req = transport.request(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (e) => finish(e));
      res.on("end", () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    timer = setTimeout(() => {
      const e = new Error(`no answer within ${Math.round(request.timeoutMs / 100) / 10} s`);
      req.destroy(e);
      finish(e);
    }, request.timeoutMs);
    req.on("error", (e) => finish(e));
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

/** A URL fit for messages: no user info, query or fragment (they may carry credentials or tokens). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** Replaces each secret (and its URL-encoded form) in a text with `[secret]`. Secrets shorter than 3 characters are left alone. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string" || s.length < 3) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(new URLSearchParams({ v: s }).toString().slice(2));
  }
  // Longest first, so a secret that contains another is replaced whole.
  for (const f of [...forms].sort((a, b) => b.length - a.length)) out = out.split(f).join("[secret]");
  return out;
}

/** `code: message` of a network error (ECONNREFUSED, a TLS verification failure, our own timeout). */
export function describeError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const message = typeof err?.message === "string" ? err.message : String(e);
  return typeof err?.code === "string" && !message.includes(err.code) ? `${err.code}: ${message}` : message;
}

/** Where Creatio's app (DataService, api) lives: `{url}/0` on .NET Framework, `{url}` on .NET 6/8. */
export function creatioAppUrl(creatioUrl: string, netCore: boolean): string {
  const base = creatioUrl.replace(/\/+$/, "");
  return netCore ? base : `${base}/0`;
}

/** An authenticated Creatio API session: the login's cookies and the CSRF token to echo. */
export interface CreatioSession {
  readonly appUrl: string;
  readonly cookieHeader: string;
  /** The BPMCSRF cookie's value, sent back as the `BPMCSRF` header; undefined if Creatio set none. */
  readonly csrfToken: string | undefined;
}

export interface CreatioLogin {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly netCore: boolean;
  readonly timeoutMs: number;
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

/**
 * Logs in through `AuthService.svc/Login`. Creatio refuses a login with HTTP 200 and a `Code` other
 * than 0; that is an error here. Never retried: repeated failures can lock the account.
 */
export async function loginToCreatio(login: CreatioLogin): Promise<CreatioSession> {
  const base = login.url.replace(/\/+$/, "");
  const loginUrl = `${base}/ServiceModel/AuthService.svc/Login`;
  const where = safeUrl(loginUrl);
  let response: HttpResponse;
  try {
    response = await httpRequest(loginUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ UserName: login.username, UserPassword: login.password }),
      timeoutMs: login.timeoutMs,
    });
  } catch (e) {
    throw new Error(`Could not reach Creatio's login at ${where}: ${describeError(e)}. Check creatio.url and that Creatio is running.`);
  }
  if (response.status >= 300 && response.status < 400) {
    throw new Error(`Creatio's login at ${where} answered HTTP ${response.status} (a redirect to ${safeUrl(String(response.headers.location ?? ""))}). Set creatio.url to the address it redirects to.`);
  }
  if (response.status !== 200) {
    const hint = response.status === 404 ? " Check creatio.url: it is Creatio's base URL, without /0." : "";
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
      `Creatio refused the login of user "${login.username}" at ${where} (Code ${String(answer?.Code)}${message}). ` +
        `Check creatio.username and creatio.password. Nothing was changed in Creatio.`,
    );
  }
  const jar = cookiesOf(response);
  if (jar.size === 0) throw new Error(`Creatio's login at ${where} succeeded but set no session cookie (.ASPXAUTH); nothing was changed in Creatio.`);
  return {
    appUrl: creatioAppUrl(base, login.netCore),
    cookieHeader: [...jar].map(([k, v]) => `${k}=${v}`).join("; "),
    csrfToken: jar.get("BPMCSRF"),
  };
}

/** POSTs JSON to one of Creatio's DataService SyncReply operations and returns the parsed answer. */
async function callDataService(session: CreatioSession, operation: string, payload: unknown, timeoutMs: number): Promise<any> {
  const url = `${session.appUrl}/DataService/json/SyncReply/${operation}`;
  const where = safeUrl(url);
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json", Cookie: session.cookieHeader };
  if (session.csrfToken !== undefined) headers.BPMCSRF = session.csrfToken;
  let response: HttpResponse;
  try {
    response = await httpRequest(url, { method: "POST", headers, body: JSON.stringify(payload), timeoutMs });
  } catch (e) {
    throw new Error(`Could not reach Creatio's ${operation} at ${where}: ${describeError(e)}`);
  }
  if (response.status === 401) throw new Error(`Creatio answered HTTP 401 to ${operation} at ${where}: it did not accept the login session.`);
  if (response.status === 403) throw new Error(`Creatio answered HTTP 403 to ${operation} at ${where}: the session or its BPMCSRF token was refused, or the user may not change system settings.`);
  if (response.status === 404) {
    throw new Error(`Creatio answered HTTP 404 to ${operation} at ${where}. Check creatio.netCore: false for .NET Framework Creatio (app under {url}/0), true for .NET 6/8 Creatio (app at {url}).`);
  }
  if (response.status !== 200) throw new Error(`Creatio answered HTTP ${response.status} to ${operation} at ${where}.`);
  try {
    return JSON.parse(response.body);
  } catch {
    throw new Error(`Creatio's ${operation} at ${where} did not answer with JSON. Check creatio.url and creatio.netCore.`);
  }
}

/**
 * Writes system-wide setting values through `PostSysSettingsValues` (Creatio encrypts SecureText
 * values itself) and returns Creatio's `saveResult`: code → whether it was saved.
 */
export async function postSysSettingsValues(session: CreatioSession, values: Record<string, string>, timeoutMs: number): Promise<Record<string, boolean>> {
  const answer = await callDataService(session, "PostSysSettingsValues", { isPersonal: false, sysSettingsValues: values }, timeoutMs);
  const saveResult = answer?.saveResult;
  const result: Record<string, boolean> = {};
  for (const code of Object.keys(values)) result[code] = !!saveResult && saveResult[code] === true;
  return result;
}

/** Reads setting values through `QuerySysSettings`: code → value as Creatio reports it (undefined when not reported). */
export async function querySysSettings(session: CreatioSession, codes: readonly string[], timeoutMs: number): Promise<Record<string, unknown>> {
  const answer = await callDataService(session, "QuerySysSettings", { sysSettingsNameCollection: codes }, timeoutMs);
  const values = answer?.values ?? {};
  const result: Record<string, unknown> = {};
  for (const code of codes) {
    const entry = values[code];
    result[code] = entry && typeof entry === "object" && "value" in entry ? entry.value : undefined;
  }
  return result;
}

export interface IdentityServiceProbe {
  /** The Identity Service's base URL as this process reaches it. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly caPem?: string;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Called before each retry with a line that says what is awaited (no secrets in it). */
  readonly onWait?: (message: string) => void;
}

/** One readiness probe: the discovery document, then a client_credentials token. Throws what failed. */
async function probeIdentityService(probe: IdentityServiceProbe, attemptTimeoutMs: number): Promise<void> {
  const base = probe.url.replace(/\/+$/, "");
  let discovery: HttpResponse;
  try {
    discovery = await httpRequest(`${base}/.well-known/openid-configuration`, { caPem: probe.caPem, timeoutMs: attemptTimeoutMs, headers: { Accept: "application/json" } });
  } catch (e) {
    const text = describeError(e);
    const tls = /certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY/i.test(text);
    throw new Error(`discovery document: ${text}${tls ? " (set identityServerCaPem to the CA that signed the Identity Service's certificate)" : ""}`);
  }
  if (discovery.status !== 200) throw new Error(`discovery document answered HTTP ${discovery.status}`);
  let document: { issuer?: unknown; token_endpoint?: unknown };
  try {
    document = JSON.parse(discovery.body);
  } catch {
    throw new Error("discovery document is not JSON (is this the Identity Service's URL?)");
  }
  if (typeof document?.issuer !== "string" || typeof document?.token_endpoint !== "string") {
    throw new Error("discovery document has no issuer or token_endpoint");
  }
  // The token endpoint at our own base URL: the document's token_endpoint holds the address the
  // service sees itself at, which behind Docker port mapping or a proxy may not be reachable from here.
  let token: HttpResponse;
  try {
    token = await httpRequest(`${base}/connect/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: probe.clientId, client_secret: probe.clientSecret }).toString(),
      caPem: probe.caPem,
      timeoutMs: attemptTimeoutMs,
    });
  } catch (e) {
    throw new Error(`token endpoint: ${describeError(e)}`);
  }
  let answer: { access_token?: unknown; error?: unknown } = {};
  try {
    answer = JSON.parse(token.body);
  } catch {
    // described below by status
  }
  if (token.status === 200 && typeof answer?.access_token === "string") return;
  const error = typeof answer?.error === "string" ? ` ${answer.error}` : "";
  const hint =
    answer?.error === "invalid_client" || answer?.error === "unauthorized_client"
      ? " (the Identity Service does not accept this client id and secret: it copies its Clients setting into its database only when the client is missing there, so after changing the secret delete the client's rows and restart it)"
      : "";
  throw new Error(`token endpoint answered HTTP ${token.status}${error} for client_credentials${hint}`);
}

/**
 * Waits until the Identity Service answers its discovery document AND issues a client_credentials
 * token for this client: polls with backoff (0.25 s doubling to 5 s) and fails at the deadline
 * with the URL and the last failure. Returns the number of attempts made.
 */
export async function waitForIdentityService(probe: IdentityServiceProbe): Promise<number> {
  const started = Date.now();
  const deadline = started + probe.timeoutMs;
  const where = safeUrl(probe.url);
  let delay = 250;
  let last = "";
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - Date.now();
    try {
      // At least half a second per attempt, so the last one near the deadline can still tell what
      // is wrong instead of timing out at once (the wait may overrun the deadline by that much).
      await probeIdentityService(probe, Math.min(10000, Math.max(500, remaining)));
      return attempt;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(
        `The Identity Service at ${where} was not ready after ${Math.round(probe.timeoutMs / 1000)} s (${attempt} attempts). ` +
          `Last failure: ${last}. Check that it runs and is reachable from here, or raise readinessTimeoutSeconds. Nothing was changed in Creatio.`,
      );
    }
    const wait = Math.min(delay, left);
    probe.onWait?.(`waiting for the Identity Service at ${where} (attempt ${attempt}, last error: ${last}); next try in ${Math.round(wait / 100) / 10} s`);
    await new Promise((r) => setTimeout(r, wait));
    delay = Math.min(delay * 2, 5000);
  }
}
