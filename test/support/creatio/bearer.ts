/**
 * The Creatio stand-in's check of an integrated application's bearer token, modelled on how an
 * ASP.NET resource server checks an IdentityServer token with JwtBearer, which is how Creatio's API
 * takes `Authorization: Bearer`: the authority's discovery document gives the issuer and `jwks_uri`;
 * the token must be an RS256 JWT signed by a key of that JWKS (by `kid`; an unknown `kid` refetches
 * the document and keys once, as JwtBearer's RefreshOnIssuerKeyNotFound does), its `iss` must be
 * the document's issuer, and it must be within its lifetime give or take JwtBearer's default
 * five-minute clock skew. Documents are cached per authority, as JwtBearer's ConfigurationManager
 * caches them. Which authority is asked is the server's business (creatioStandIn.ts): on .NET 6/8
 * the OAuth20IdentityServerUrl Creatio had when it started. The audience is not checked: which
 * audience Creatio expects is not in the sources read.
 */
import { createPublicKey, verify } from "node:crypto";

/** What the check found: the token's client, or why it was refused. */
export type BearerCheck = { readonly ok: true; readonly clientId: string } | { readonly ok: false; readonly reason: string };

interface AuthorityConfig {
  readonly issuer: string;
  readonly keys: Array<Record<string, unknown>>;
}

/** A checker with its own cache of discovery documents and keys. */
export function bearerChecker(): { check(token: string, authority: string): Promise<BearerCheck> } {
  const cache = new Map<string, AuthorityConfig>();
  const getJson = async (url: string) => {
    const r = await fetch(url, { signal: AbortSignal.timeout(10000) });
    if (!r.ok) throw new Error(`HTTP ${r.status} from ${url}`);
    return (await r.json()) as any;
  };
  const load = async (authority: string): Promise<AuthorityConfig> => {
    const document = await getJson(`${authority}/.well-known/openid-configuration`);
    const jwks = await getJson(String(document.jwks_uri));
    const config = { issuer: String(document.issuer), keys: Array.isArray(jwks.keys) ? jwks.keys : [] };
    cache.set(authority, config);
    return config;
  };
  return {
    async check(token, rawAuthority) {
      const authority = rawAuthority.replace(/\/+$/, "");
      if (!/^https?:\/\//.test(authority)) return { ok: false, reason: "no authority configured (OAuth20IdentityServerUrl was empty)" };
      const parts = token.split(".");
      if (parts.length !== 3) return { ok: false, reason: "not a JWT" };
      let header: any;
      let payload: any;
      try {
        header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
        payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
      } catch {
        return { ok: false, reason: "not a JWT" };
      }
      if (header?.alg !== "RS256") return { ok: false, reason: `algorithm ${String(header?.alg)} not accepted` };
      let config: AuthorityConfig;
      try {
        config = cache.get(authority) ?? (await load(authority));
        if (!config.keys.some((k) => k.kid === header.kid)) config = await load(authority);
      } catch (e) {
        return { ok: false, reason: `the authority's discovery document or keys could not be read: ${(e as Error).message}` };
      }
      const jwk = config.keys.find((k) => k.kid === header.kid);
      if (!jwk) return { ok: false, reason: "signing key not found (IDX10503)" };
      const signed = verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(parts[2], "base64url"));
      if (!signed) return { ok: false, reason: "invalid signature" };
      if (payload.iss !== config.issuer) return { ok: false, reason: `issuer ${String(payload.iss)} is not ${config.issuer}` };
      const now = Math.floor(Date.now() / 1000);
      const skew = 300;
      if (typeof payload.exp !== "number" || payload.exp + skew < now) return { ok: false, reason: "token expired" };
      if (typeof payload.nbf === "number" && payload.nbf - skew > now) return { ok: false, reason: "token not yet valid" };
      if (typeof payload.client_id !== "string" || !payload.client_id) return { ok: false, reason: "no client_id claim" };
      return { ok: true, clientId: payload.client_id };
    },
  };
}
