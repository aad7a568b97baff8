/**
 * The Identity Service container's environment, as Creatio's Docker guide lists it. Pure.
 * Names are exact: `__` is .NET's configuration nesting separator.
 */
import { DbProvider } from "./connectionString";

/** Where the HTTPS PFX is uploaded in the container (the guide's `/https/aspnetapp.pfx`). */
export const KESTREL_CERTIFICATE_PATH = "/https/aspnetapp.pfx";
/** The OpenID Connect discovery document every health check reads. */
export const DISCOVERY_PATH = "/.well-known/openid-configuration";

/** The environment variables of Creatio's Docker guide, by role (the policy pack reads them too). */
export const IDENTITY_SERVICE_ENV = {
  dbProvider: "DbProvider",
  postgresConnection: "PostgresConnection",
  msSqlConnection: "MsSqlConnection",
  clients: "Clients",
  urls: "ASPNETCORE_URLS",
  httpsPort: "ASPNETCORE_HTTPS_PORT",
  kestrelCertificatePath: "ASPNETCORE_Kestrel__Certificates__Default__Path",
  kestrelCertificatePassword: "ASPNETCORE_Kestrel__Certificates__Default__Password",
  runningInContainer: "DOTNET_RUNNING_IN_CONTAINER",
  logLevel: "Logging__LogLevel__Default",
  redisConnection: "RedisConnection",
} as const;

export interface IdentityServiceEnvInput {
  readonly dbProvider: DbProvider;
  readonly connectionString: string;
  readonly clientsJson: string;
  readonly redisConnection?: string;
  readonly certificatePassword: string;
  readonly logLevel: string;
  /** IdentityClientSync's `reseedToken`: a new value restarts the container (see RESEED_TOKEN_VARIABLE). */
  readonly reseedToken?: string | null;
}

/**
 * Carries the client sync's `reseedToken` into the container. The Identity Service ignores it; it
 * exists so that the container's environment, and with it the container, changes whenever the sync
 * deleted client rows: the Docker provider replaces a container whose environment changed (as it
 * does for a new `Clients`), and the new container seeds the deleted clients. Not a label: the
 * Docker provider keys labels by name, and a change of a label's value alone has been reported not
 * to replace the container.
 */
export const RESEED_TOKEN_VARIABLE = "CREATIO_IDENTITY_RESEED_TOKEN";

/** One variable of the Identity Service's environment; `secret` ones carry a credential. */
export interface IdentityServiceVariable {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
}

/**
 * The variables of Creatio's Docker guide, in a stable order (so previews show no reordering), each
 * marked when it carries a credential: the Docker container gets them all as values, a Kubernetes
 * pod takes the secret ones from a Secret. Without the reseed token, which each platform carries its
 * own way.
 */
export function identityServiceVariables(input: Omit<IdentityServiceEnvInput, "reseedToken">): IdentityServiceVariable[] {
  const E = IDENTITY_SERVICE_ENV;
  const v = (name: string, value: string, secret = false): IdentityServiceVariable => ({ name, value, secret });
  const vars = [
    v(E.dbProvider, input.dbProvider),
    v(input.dbProvider === "MsSqlServer" ? E.msSqlConnection : E.postgresConnection, input.connectionString, true),
    v(E.clients, input.clientsJson, true),
    v(E.urls, "https://+;http://+"),
    v(E.httpsPort, "443"),
    v(E.kestrelCertificatePath, KESTREL_CERTIFICATE_PATH),
    v(E.kestrelCertificatePassword, input.certificatePassword, true),
    v(E.runningInContainer, "true"),
    v(E.logLevel, input.logLevel),
  ];
  // Blank disables machineKey protection (the guide): leave the variable out rather than set it empty.
  if (input.redisConnection) vars.push(v(E.redisConnection, input.redisConnection, true));
  return vars;
}

/** The `KEY=value` list for the Docker container, in a stable order (so previews show no reordering). */
export function identityServiceEnvironment(input: IdentityServiceEnvInput): string[] {
  const env = identityServiceVariables(input).map(({ name, value }) => `${name}=${value}`);
  if (input.reseedToken) env.push(`${RESEED_TOKEN_VARIABLE}=${input.reseedToken}`);
  return env;
}

/**
 * Docker health check: the discovery document over the container's own HTTP port. The .NET runtime
 * images ship without curl or wget, so bash's /dev/tcp is the fallback.
 */
export function healthCheckCommand(): string {
  const request = `GET ${DISCOVERY_PATH} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n`;
  return (
    `curl -fsS -o /dev/null http://127.0.0.1${DISCOVERY_PATH} 2>/dev/null || ` +
    `bash -c 'exec 3<>/dev/tcp/127.0.0.1/80 && printf "${request}" >&3 && head -n 1 <&3 | grep -q " 200 "'`
  );
}
