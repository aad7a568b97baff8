/**
 * Whether Creatio accepts an access token that the Identity Service issued to an integrated
 * application: the proof that a switch-over reached Creatio's API, not just its settings.
 *
 * `GET {app}/odata/SysAdminUnit?$select=Id&$top=1` with `Authorization: Bearer <token>` and no
 * cookie, as an integrated application calls Creatio's OData API under `{app}/odata/` (clio's
 * `VerifyOAuthAppCommand.cs`, `verify-oauth-app`, proves an application the same way: a
 * client_credentials token, then one bearer call to Creatio's API, a DataService SelectQuery there). Accepted: 2xx, or 403 (the token was taken: the system user
 * may lack the right to use OData). Refused: 401, a redirect or the login page. Anything else (no
 * answer, 5xx) says nothing either way and is reported as not accepted, with what happened.
 *
 * .NET 6/8 Creatio sets up its bearer check from `OAuth20IdentityServerUrl` once, as it starts, so
 * it may refuse tokens from an Identity Service it was switched to until it is restarted.
 *
 * Runs inside dynamic providers after closure serialization: no module state.
 */
import { describeError, httpRequest } from "../http";

export interface TokenAcceptance {
  readonly accepted: boolean;
  /** What Creatio answered, for the log (never the token). */
  readonly detail: string;
}

/** Asks Creatio's API once with the token. */
export async function creatioAcceptsToken(appUrl: string, accessToken: string, timeoutMs: number): Promise<TokenAcceptance> {
  const url = `${appUrl.replace(/\/+$/, "")}/odata/SysAdminUnit?$select=Id&$top=1`;
  try {
    const r = await httpRequest(url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" }, timeoutMs });
    const html = r.body.trimStart().startsWith("<");
    if ((r.status >= 200 && r.status < 300 && !html) || r.status === 403) {
      return { accepted: true, detail: `Creatio's OData API answered HTTP ${r.status} to a bearer token` };
    }
    const why =
      r.status === 401
        ? "refused the bearer token"
        : r.status >= 300 && r.status < 400
          ? "redirected to its login page"
          : html
            ? "answered its login page"
            : `answered HTTP ${r.status}`;
    return { accepted: false, detail: `Creatio's OData API ${why} (HTTP ${r.status})` };
  } catch (e) {
    return { accepted: false, detail: `Creatio's OData API did not answer: ${describeError(e)}` };
  }
}
