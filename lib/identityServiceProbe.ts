/**
 * The readiness gate both Creatio providers use before pointing Creatio at the Identity Service:
 * its discovery document answers AND it issues a real `client_credentials` token for the client.
 * Polls with backoff on lib/clock.ts's clock, which tests may replace to skip the waiting.
 *
 * Runs inside dynamic providers after closure serialization: no module state.
 */
import { Clock, systemClock } from "./clock";
import { describeError, httpRequest, HttpResponse, safeUrl } from "./http";

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
  /** Default: lib/clock.ts's systemClock. */
  readonly clock?: Clock;
}

/** One readiness probe: the discovery document, then a client_credentials token (returned). Throws what failed. */
async function probeIdentityService(probe: IdentityServiceProbe, attemptTimeoutMs: number): Promise<string> {
  const base = probe.url.replace(/\/+$/, "");
  let discovery: HttpResponse;
  try {
    discovery = await httpRequest(`${base}/.well-known/openid-configuration`, { caPem: probe.caPem, timeoutMs: attemptTimeoutMs, headers: { Accept: "application/json" } });
  } catch (e) {
    const text = describeError(e);
    const tls = /certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY/i.test(text);
    throw new Error(
      `discovery document: ${text}${tls ? ' (the certificate\'s CA is not trusted: `pulumi config set identityServerCaPem "$(cat ca.pem)"` with the CA that signed it)' : ""}`,
    );
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
  return clientCredentialsToken({ ...probe, timeoutMs: attemptTimeoutMs });
}

/**
 * One `client_credentials` token request at `{url}/connect/token` (form body, as IdentityServer4
 * takes it). Returns the access token; throws what the service answered, with a hint for a client
 * it does not accept.
 */
export async function clientCredentialsToken(t: Pick<IdentityServiceProbe, "url" | "clientId" | "clientSecret" | "caPem" | "timeoutMs">): Promise<string> {
  const base = t.url.replace(/\/+$/, "");
  let token: HttpResponse;
  try {
    token = await httpRequest(`${base}/connect/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: t.clientId, client_secret: t.clientSecret }).toString(),
      caPem: t.caPem,
      timeoutMs: t.timeoutMs,
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
  if (token.status === 200 && typeof answer?.access_token === "string") return answer.access_token;
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
 * with the URL and the last failure. Returns the number of attempts made and the token it got (the
 * caller may use it once more, e.g. to see whether Creatio accepts it).
 */
export async function waitForIdentityService(probe: IdentityServiceProbe): Promise<{ attempts: number; accessToken: string }> {
  const clock = probe.clock ?? systemClock;
  const started = clock.now();
  const deadline = started + probe.timeoutMs;
  const where = safeUrl(probe.url);
  let delay = 250;
  let last = "";
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - clock.now();
    try {
      // At least half a second per attempt, so the last one near the deadline can still tell what
      // is wrong instead of timing out at once (the wait may overrun the deadline by that much).
      const accessToken = await probeIdentityService(probe, Math.min(10000, Math.max(500, remaining)));
      return { attempts: attempt, accessToken };
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    const left = deadline - clock.now();
    if (left <= 0) {
      throw new Error(
        `The Identity Service at ${where} was not ready after ${Math.round(probe.timeoutMs / 1000)} s (${attempt} attempts). ` +
          `Last failure: ${last}. Check that it runs and is reachable from here, or raise readinessTimeoutSeconds.`,
      );
    }
    const wait = Math.min(delay, left);
    probe.onWait?.(`waiting for the Identity Service at ${where} (attempt ${attempt}, last error: ${last}); next try in ${Math.round(wait / 100) / 10} s`);
    await clock.sleep(wait);
    delay = Math.min(delay * 2, 5000);
  }
}
