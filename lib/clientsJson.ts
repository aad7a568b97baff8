/**
 * The Identity Service's `Clients` setting: a JSON array serialized as ONE string, in exactly the
 * shape Creatio's guides ship (grant types, scopes, token lifetimes, and
 * `Properties.AllowedQueryParameters`, which is itself a JSON string inside the JSON).
 * Pure: no Pulumi, no I/O.
 */

/** The scopes Creatio's guide grants its system client; Creatio calls these Identity Service APIs. */
export const CREATIO_CLIENT_SCOPES: readonly string[] = [
  "register_own_resource",
  "get_resource_list",
  "get_client_info",
  "find_clients",
  "remove_client",
  "update_client",
  "add_registrar_client",
  "IdentityServerApi",
];

/** Grant types as shipped: `implicit` for Creatio's UI redirects, `client_credentials` for Creatio itself. */
export const CREATIO_CLIENT_GRANT_TYPES: readonly string[] = ["implicit", "client_credentials"];

/** Query parameters Creatio passes through the authorize endpoint (invitations, target subject). */
export const ALLOWED_QUERY_PARAMETERS: readonly string[] = ["invitationHash", "targetSubject"];

export interface CreatioClient {
  /** 16 characters in Creatio's guide. */
  readonly clientId: string;
  readonly clientName: string;
  /** 32 characters in Creatio's guide. */
  readonly clientSecret: string;
  /** Creatio's base URL; the redirect URIs are derived from it. */
  readonly creatioUrl: string;
  readonly identityTokenLifetimeSeconds?: number;
  readonly accessTokenLifetimeSeconds?: number;
}

/** One entry of the `Clients` array, with IdentityServer's property names. */
export interface ClientsEntry {
  ClientId: string;
  ClientName: string;
  Secrets: string[];
  AllowedGrantTypes: string[];
  RedirectUris: string[];
  PostLogoutRedirectUris: string[];
  IdentityTokenLifetime: number;
  AccessTokenLifetime: number;
  Properties: { AllowedQueryParameters: string };
  AllowedScopes: string[];
}

/** `https://creatio.example.com/` → `https://creatio.example.com` (Creatio's redirect URIs have no trailing slash). */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The redirect URIs Creatio's UI uses: the site, `/lib` and `/lib/`. */
export function creatioRedirectUris(creatioUrl: string): string[] {
  const base = normalizeBaseUrl(creatioUrl);
  return [base, `${base}/lib`, `${base}/lib/`];
}

/** The `Clients` entry for Creatio's system client, in the guide's property order. */
export function creatioClientsEntry(client: CreatioClient): ClientsEntry {
  const base = normalizeBaseUrl(client.creatioUrl);
  return {
    ClientId: client.clientId,
    ClientName: client.clientName,
    Secrets: [client.clientSecret],
    AllowedGrantTypes: [...CREATIO_CLIENT_GRANT_TYPES],
    RedirectUris: creatioRedirectUris(base),
    PostLogoutRedirectUris: [base],
    IdentityTokenLifetime: client.identityTokenLifetimeSeconds ?? 300,
    AccessTokenLifetime: client.accessTokenLifetimeSeconds ?? 3600,
    Properties: { AllowedQueryParameters: JSON.stringify(ALLOWED_QUERY_PARAMETERS) },
    AllowedScopes: [...CREATIO_CLIENT_SCOPES],
  };
}

/** The `Clients` environment value: the JSON array as one string. */
export function buildClientsJson(clients: readonly CreatioClient[]): string {
  return JSON.stringify(clients.map(creatioClientsEntry));
}
