/**
 * A stand-in for Creatio's Identity Service (IdentityServer4) with just what readiness checks use,
 * per /work/shared/DESIGN.md: `GET /.well-known/openid-configuration` (JSON with `issuer` and
 * `token_endpoint`) and `POST /connect/token` with `grant_type=client_credentials` (form body
 * `client_id`, `client_secret`): 200 with an `access_token`, or 400 `{"error":"invalid_client"}`.
 *
 * Knobs for the cases a deployment meets: a slow start (503 for the first N ms or requests), a
 * service that accepts connections but never answers, HTTPS with a self-signed certificate (its PEM
 * is `caPem`, to test trusting one CA for one client only). Reusable outside jest.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { AddressInfo, Socket } from "node:net";
import forge from "node-forge";

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
}

export interface IdentityServiceStandIn {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  /** With `https`: the self-signed certificate (PEM), which is its own CA. */
  readonly caPem?: string;
  readonly options: IdentityServiceStandInOptions;
  readonly requests: Array<{ method: string; path: string; status: number }>;
  /** How many tokens were issued. */
  tokensIssued(): number;
  stop(): Promise<void>;
}

/** A self-signed certificate (CA:true, so it can be trusted as its own CA) for 127.0.0.1 and localhost. */
export function selfSignedCertificate(commonName = "identity-service-stand-in"): { certPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - 60000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600 * 1000);
  const attrs = [{ name: "commonName", value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: "basicConstraints", cA: true },
    { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

export async function startIdentityServiceStandIn(options: IdentityServiceStandInOptions = {}): Promise<IdentityServiceStandIn> {
  const started = Date.now();
  const requests: Array<{ method: string; path: string; status: number }> = [];
  let issued = 0;
  let url = "";
  const valid = (id: string, secret: string) =>
    options.isValidClient ? options.isValidClient(id, secret) : (options.clients ?? []).some((c) => c.clientId === id && c.secret === secret);

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const record = { method: req.method ?? "", path: (req.url ?? "/").split("?")[0], status: 0 };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (options.neverAnswer) return; // hold the request open until stop()
      const send = (status: number, body: unknown) => {
        record.status = status;
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const starting = (options.unavailableForMs !== undefined && Date.now() - started < options.unavailableForMs) ||
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
      if (req.method === "POST" && record.path === "/connect/token") {
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        if (form.get("grant_type") !== "client_credentials") return send(400, { error: "unsupported_grant_type" });
        if (!valid(form.get("client_id") ?? "", form.get("client_secret") ?? "")) return send(400, { error: "invalid_client" });
        issued++;
        return send(200, { access_token: randomBytes(24).toString("hex"), expires_in: 3600, token_type: "Bearer", scope: "IdentityServerApi" });
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
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
