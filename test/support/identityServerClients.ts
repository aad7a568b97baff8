/**
 * Writes a client into the IdentityServer4 tables of test/fixtures/identityserver4.sql the way the
 * Identity Service seeds one from its `Clients` setting: one `Clients` row and the child rows,
 * secrets hashed as IdentityServer4's `Sha256()` (SHA-256, base64). Shared by the IdentityClientSync
 * tests and the e2e suite's stand-in for a restarting container.
 */
import { createHash } from "node:crypto";

/** A `Clients` entry as lib/clientsJson.ts builds it (the fields seeding reads). */
export interface SeedableClient {
  readonly ClientId: string;
  readonly ClientName?: string;
  readonly Secrets?: readonly string[];
  readonly AllowedGrantTypes?: readonly string[];
  readonly RedirectUris?: readonly string[];
  readonly PostLogoutRedirectUris?: readonly string[];
  readonly IdentityTokenLifetime?: number;
  readonly AccessTokenLifetime?: number;
  readonly Properties?: Readonly<Record<string, string>>;
  readonly AllowedScopes?: readonly string[];
}

/** Runs one statement and returns its rows (a pg Client, a pool, or a test's own helper). */
export type Query = (sql: string, params?: unknown[]) => Promise<any[]>;

/** IdentityServer4's `"secret".Sha256()`: what `ClientSecrets."Value"` holds. */
export function hashClientSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("base64");
}

/**
 * Inserts one client and returns its `Clients."Id"`. `fillEveryTable` also writes a row to the
 * client tables the `Clients` setting does not feed (CORS origins, IdP restrictions, claims), so a
 * test can check that deletion reaches every one of them.
 */
export async function insertClient(query: Query, entry: SeedableClient, options: { created?: string; fillEveryTable?: boolean } = {}): Promise<number> {
  const created = options.created ?? new Date().toISOString();
  const [{ Id }] = await query(
    `INSERT INTO "Clients" ("Enabled","ClientId","ProtocolType","RequireClientSecret","ClientName","RequireConsent","AllowRememberConsent",
       "AlwaysIncludeUserClaimsInIdToken","RequirePkce","AllowPlainTextPkce","RequireRequestObject","AllowAccessTokensViaBrowser",
       "FrontChannelLogoutSessionRequired","BackChannelLogoutSessionRequired","AllowOfflineAccess","IdentityTokenLifetime","AccessTokenLifetime",
       "AuthorizationCodeLifetime","AbsoluteRefreshTokenLifetime","SlidingRefreshTokenLifetime","RefreshTokenUsage","UpdateAccessTokenClaimsOnRefresh",
       "RefreshTokenExpiration","AccessTokenType","EnableLocalLogin","IncludeJwtId","AlwaysSendClientClaims","ClientClaimsPrefix","Created",
       "DeviceCodeLifetime","NonEditable")
     VALUES (true,$1,'oidc',true,$2,false,true,false,true,false,false,false,true,true,false,$3,$4,300,2592000,1296000,1,false,1,0,true,true,false,'client_',
       $5,300,false) RETURNING "Id"`,
    [entry.ClientId, entry.ClientName ?? null, entry.IdentityTokenLifetime ?? 300, entry.AccessTokenLifetime ?? 3600, created],
  );
  const many = async (table: string, column: string, values: readonly string[] = []) => {
    for (const v of values) await query(`INSERT INTO "${table}" ("${column}","ClientId") VALUES ($1,$2)`, [v, Id]);
  };
  await many("ClientScopes", "Scope", entry.AllowedScopes);
  await many("ClientGrantTypes", "GrantType", entry.AllowedGrantTypes);
  await many("ClientRedirectUris", "RedirectUri", entry.RedirectUris);
  await many("ClientPostLogoutRedirectUris", "PostLogoutRedirectUri", entry.PostLogoutRedirectUris);
  for (const secret of entry.Secrets ?? []) {
    await query(`INSERT INTO "ClientSecrets" ("Value","Type","Created","ClientId") VALUES ($1,'SharedSecret',$2,$3)`, [hashClientSecret(secret), created, Id]);
  }
  for (const [key, value] of Object.entries(entry.Properties ?? {})) {
    await query(`INSERT INTO "ClientProperties" ("Key","Value","ClientId") VALUES ($1,$2,$3)`, [key, value, Id]);
  }
  if (options.fillEveryTable) {
    await many("ClientCorsOrigins", "Origin", entry.RedirectUris?.slice(0, 1));
    await many("ClientIdPRestrictions", "Provider", ["local"]);
    await query(`INSERT INTO "ClientClaims" ("Type","Value","ClientId") VALUES ('role','creatio',$1)`, [Id]);
  }
  return Id;
}
