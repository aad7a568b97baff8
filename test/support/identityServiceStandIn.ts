/**
 * A stand-in for Creatio's Identity Service (IdentityServer4) with what this package and Creatio use:
 * `GET /.well-known/openid-configuration` (JSON with `issuer` and `token_endpoint`), `POST
 * /connect/token` with `grant_type=client_credentials` (form body `client_id`, `client_secret`): 200
 * with an `access_token`, or 400 `{"error":"invalid_client"}`; and the API Creatio calls with such a
 * token when it registers its default resource (`POST /api/OwnedResources/register`, recorded in
 * `resources`), and the client applications Creatio registers for its "OAuth 2.0 integrated
 * applications" (`registeredClients`, see below). Further API routes can be added through
 * `apiRoutes`. The real service's API paths are known only from names in Creatio's assemblies
 * (scopes `add_registrar_client`, `update_client`, `remove_client`; `clients/addregistrar`,
 * `Clients/update`, `Clients/scopes`); this is the stand-in's own contract.
 *
 * Integrated applications (what Creatio's `OAuthClientAppListener` asks for): `POST
 * /api/clients/addregistrar` with Creatio's `ClientAppInfoRequest` (`ClientAppName`, `ClientAppUri`,
 * `Enabled`, `SystemUserId`, `RedirectUris`, ...) registers a client; the SERVICE generates its id
 * and secret and answers `{ClientId, Secret}`. `POST /api/Clients/update` (same body, by `ClientId`)
 * changes it, `Enabled: false` included; `POST /api/clients/remove` `{ClientId}` removes it;
 * `POST /api/Clients/scopes` `{ClientId, ResourceName}` grants it a resource's scope. An unknown
 * `ClientId` answers 404. A registered client gets `client_credentials` tokens with its secret while
 * it is enabled; a disabled or removed one gets `invalid_client`.
 *
 * Tokens are JWTs as IdentityServer4 issues them (RS256, header `kid`; claims `iss` = its URL,
 * `client_id`, `scope`, `iat`/`nbf`/`exp`, `jti`), signed with a key made at start whose public half
 * is at the discovery document's `jwks_uri` (`/.well-known/openid-configuration/jwks`), so a
 * resource server (the Creatio stand-in) can check them as ASP.NET's JwtBearer does: issuer and
 * signature through the discovery document and the JWKS. `tokenLifetimeSeconds` shortens them.
 *
 * Knobs for the cases a deployment meets: a slow start (503 for the first N ms or requests), a
 * service that accepts connections but never answers, HTTPS with a self-signed certificate (its PEM
 * is `caPem`, to test trusting one CA for one client only). Reusable outside jest.
 */
import { performance } from "node:perf_hooks";
import { generateKeyPairSync, randomBytes, randomUUID, sign } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { AddressInfo, Socket } from "node:net";
import { testCertificate } from "./pfxFixtures";

export interface IdentityServiceStandInOptions {
  /** Clients that get tokens (mutable). Ignored when `isValidClient` is given. */
  clients?: Array<{ clientId: string; secret: string }>;
  /** Decides which client id and secret get a token. */
  isValidClient?: (clientId: string, secret: string) => boolean;
  /** Answer 503 to everything until this many ms after start (a container still starting). */
  unavailableForMs?: number;
  /** Answer 503 to the first this many requests. */
  unavailableForRequests?: number;
  /** Accept connections but never answer (mutable). */
  neverAnswer?: boolean;
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 and localhost. */
  readonly https?: boolean;
  /**
   * The shape of the client ids it generates for registered applications: 16 letters and digits
   * (default), or a Guid. The real service's format is not documented; Creatio must cope with both.
   */
  clientIdFormat?: "alphanumeric" | "guid";
  /** Lifetime of issued tokens (default 3600). */
  tokenLifetimeSeconds?: number;
  /** More API routes (`POST /api/...` with a bearer token): path → handler(body, clientId of the token). */
  apiRoutes?: Record<string, (body: any, clientId: string) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>>;
}

/** A client application registered through the API (an "OAuth 2.0 integrated application" of Creatio). */
export interface RegisteredClient {
  readonly clientId: string;
  readonly secret: string;
  name: string;
  uri: string;
  description: string | null;
  enabled: boolean;
  systemUserId: string;
  redirectUris: string[];
  /** Resource names (scopes) granted. */
  scopes: string[];
  /** The Creatio client whose token registered it. */
  readonly registeredBy: string;
}

export interface IdentityServiceStandIn {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  /** With `https`: the self-signed certificate (PEM), which is its own CA. */
  readonly caPem?: string;
  readonly options: IdentityServiceStandInOptions;
  /** Every request, with the time the stand-in took to answer it (ms, set when the answer was sent). */
  readonly requests: Array<{ method: string; path: string; status: number; ms?: number }>;
  /** How many tokens were issued. */
  tokensIssued(): number;
  /** Resources registered through the API (Creatio's default resource), by Name. */
  readonly resources: Array<{ Name: string; DisplayName?: string; registeredBy: string }>;
  /** Client applications registered through the API, by client id. */
  readonly registeredClients: Map<string, RegisteredClient>;
  stop(): Promise<void>;
}

/** A self-signed certificate (CA:true, so it can be trusted as its own CA) for 127.0.0.1 and localhost. */
export function selfSignedCertificate(commonName = "identity-service-stand-in"): { certPem: string; keyPem: string } {
  return testCertificate(commonName, new Date(Date.now() - 60000), new Date(Date.now() + 24 * 3600 * 1000), {
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
}

export async function startIdentityServiceStandIn(options: IdentityServiceStandInOptions = {}): Promise<IdentityServiceStandIn> {
  const started = Date.now();
  const requests: Array<{ method: string; path: string; status: number; ms?: number }> = [];
  let issued = 0;
  const tokens = new Map<string, string>();
  const resources: Array<{ Name: string; DisplayName?: string; registeredBy: string }> = [];
  const registeredClients = new Map<string, RegisteredClient>();
  let url = "";
  // The signing key (IdentityServer4's developer signing credential plays this part in a real one).
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomBytes(8).toString("hex").toUpperCase();
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" };
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const issueJwt = (clientId: string, scope: string): string => {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = options.tokenLifetimeSeconds ?? 3600;
    const input = `${b64({ alg: "RS256", kid, typ: "at+jwt" })}.${b64({ iss: url, nbf: now, iat: now, exp: now + lifetime, client_id: clientId, scope: scope.split(" "), jti: randomUUID() })}`;
    return `${input}.${sign("RSA-SHA256", Buffer.from(input), privateKey).toString("base64url")}`;
  };
  const registeredValid = (id: string, secret: string) => {
    const c = registeredClients.get(id);
    return c !== undefined && c.enabled && c.secret === secret;
  };
  const valid = (id: string, secret: string) =>
    registeredValid(id, secret) || (options.isValidClient ? options.isValidClient(id, secret) : (options.clients ?? []).some((c) => c.clientId === id && c.secret === secret));
  /** The integrated-application routes (paths compared case-insensitively, as ASP.NET routes them). */
  const clientRoutes: Record<string, (body: any, by: string) => { status: number; body: unknown }> = {
    "/api/clients/addregistrar": (body, by) => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
      const pick = (n: number) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join("");
      const client: RegisteredClient = {
        clientId: options.clientIdFormat === "guid" ? randomUUID() : pick(16),
        secret: pick(32),
        name: String(body?.ClientAppName ?? ""),
        uri: String(body?.ClientAppUri ?? ""),
        description: body?.ClientAppDescription ?? null,
        enabled: body?.Enabled !== false,
        systemUserId: String(body?.SystemUserId ?? ""),
        redirectUris: Array.isArray(body?.RedirectUris) ? body.RedirectUris : [],
        scopes: [],
        registeredBy: by,
      };
      registeredClients.set(client.clientId, client);
      return { status: 200, body: { ClientId: client.clientId, Secret: client.secret } };
    },
    "/api/clients/update": (body) => {
      const client = registeredClients.get(String(body?.ClientId ?? ""));
      if (!client) return { status: 404, body: { error: "client_not_found" } };
      Object.assign(client, {
        name: String(body?.ClientAppName ?? client.name),
        uri: String(body?.ClientAppUri ?? client.uri),
        description: body?.ClientAppDescription ?? client.description,
        enabled: body?.Enabled !== false,
        systemUserId: String(body?.SystemUserId ?? client.systemUserId),
        redirectUris: Array.isArray(body?.RedirectUris) ? body.RedirectUris : client.redirectUris,
      });
      return { status: 200, body: {} };
    },
    "/api/clients/remove": (body) => (registeredClients.delete(String(body?.ClientId ?? "")) ? { status: 200, body: {} } : { status: 404, body: { error: "client_not_found" } }),
    "/api/clients/scopes": (body) => {
      const client = registeredClients.get(String(body?.ClientId ?? ""));
      if (!client) return { status: 404, body: { error: "client_not_found" } };
      if (!client.scopes.includes(String(body?.ResourceName))) client.scopes.push(String(body?.ResourceName));
      return { status: 200, body: {} };
    },
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const record: (typeof requests)[number] = { method: req.method ?? "", path: (req.url ?? "/").split("?")[0], status: 0 };
    requests.push(record);
    const answering = performance.now();
    res.on("finish", () => (record.ms = performance.now() - answering));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (options.neverAnswer) return; // hold the request open until stop()
      const send = (status: number, body: unknown) => {
        record.status = status;
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const starting =
        (options.unavailableForMs !== undefined && Date.now() - started < options.unavailableForMs) ||
        (options.unavailableForRequests !== undefined && requests.length <= options.unavailableForRequests);
      if (starting) return send(503, { error: "Service Unavailable" });
      if (req.method === "GET" && record.path === "/.well-known/openid-configuration") {
        return send(200, {
          issuer: url,
          jwks_uri: `${url}/.well-known/openid-configuration/jwks`,
          token_endpoint: `${url}/connect/token`,
          grant_types_supported: ["implicit", "client_credentials"],
        });
      }
      if (req.method === "GET" && record.path === "/.well-known/openid-configuration/jwks") return send(200, { keys: [jwk] });
      if (req.method === "POST" && record.path === "/connect/token") {
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        if (form.get("grant_type") !== "client_credentials") return send(400, { error: "unsupported_grant_type" });
        if (!valid(form.get("client_id") ?? "", form.get("client_secret") ?? "")) return send(400, { error: "invalid_client" });
        issued++;
        const scope = form.get("scope") ?? "IdentityServerApi";
        const token = issueJwt(form.get("client_id") ?? "", scope);
        tokens.set(token, form.get("client_id") ?? "");
        return send(200, { access_token: token, expires_in: options.tokenLifetimeSeconds ?? 3600, token_type: "Bearer", scope });
      }
      if (req.method === "POST" && record.path.startsWith("/api/")) {
        const clientId = tokens.get(String(req.headers.authorization ?? "").replace(/^Bearer /, ""));
        if (clientId === undefined) return send(401, { error: "invalid_token" });
        let body: any = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        } catch {
          return send(400, { error: "invalid_request" });
        }
        if (record.path === "/api/OwnedResources/register") {
          if (resources.some((r) => r.Name === body?.Name)) return send(409, { error: "resource_exists" });
          resources.push({ Name: String(body?.Name ?? ""), DisplayName: body?.DisplayName, registeredBy: clientId });
          return send(200, {});
        }
        const builtIn = clientRoutes[record.path.toLowerCase()];
        if (builtIn) {
          const r = builtIn(body, clientId);
          return send(r.status, r.body);
        }
        const route = options.apiRoutes?.[record.path];
        if (route) {
          void Promise.resolve(route(body, clientId)).then(
            (r) => send(r.status, r.body),
            (e) => send(500, { error: String(e) }),
          );
          return;
        }
      }
      return send(404, { error: "not_found" });
    });
  };

  let caPem: string | undefined;
  let server: http.Server | https.Server;
  if (options.https) {
    const { certPem, keyPem } = selfSignedCertificate();
    caPem = certPem;
    server = https.createServer({ cert: certPem, key: keyPem }, handler);
  } else {
    server = http.createServer(handler);
  }
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  url = `${options.https ? "https" : "http"}://127.0.0.1:${port}`;

  return {
    url,
    caPem,
    options,
    requests,
    tokensIssued: () => issued,
    resources,
    registeredClients,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
