import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { DbProvider } from "../lib/connectionString";
import { identityServiceEnvironment, KESTREL_CERTIFICATE_PATH, DISCOVERY_PATH, healthCheckCommand } from "../lib/identityServiceEnv";

export interface IdentityServiceArgs {
  /** A prebuilt Identity Service image to run. Mutually exclusive with `sourceDir`. */
  readonly image?: pulumi.Input<string>;
  /** Folder of the unpacked IdentityService.zip; the image is built from its `Dockerfile-OAuth`. */
  readonly sourceDir?: string;
  /** Tag of the image built from `sourceDir`. Default "creatio-identity-service:latest". */
  readonly imageName?: pulumi.Input<string>;
  /** Container name. Default "creatio-identity-service". */
  readonly containerName?: pulumi.Input<string>;
  /** `DbProvider`: Postgres or MsSqlServer. */
  readonly dbProvider: pulumi.Input<DbProvider>;
  /** ADO.NET connection string for `PostgresConnection`/`MsSqlConnection` (secret). */
  readonly connectionString: pulumi.Input<string>;
  /** The `Clients` JSON string (secret). */
  readonly clientsJson: pulumi.Input<string>;
  /** StackExchange.Redis connection string; omitted disables machineKey protection. */
  readonly redisConnection?: pulumi.Input<string>;
  /** The HTTPS certificate: PFX bytes (base64) and password, both secret. */
  readonly certificate: { readonly pfxBase64: pulumi.Input<string>; readonly password: pulumi.Input<string> };
  /** Host port for container port 80. Default 8090. */
  readonly httpPort?: pulumi.Input<number>;
  /** Host port for container port 443. Default 8443. */
  readonly httpsPort?: pulumi.Input<number>;
  /** Host address the ports are published on. Default "0.0.0.0". */
  readonly listenAddress?: pulumi.Input<string>;
  /** The URL Creatio and browsers use. Default `https://localhost:<httpsPort>`. */
  readonly publicUrl?: pulumi.Input<string>;
  /** `Logging__LogLevel__Default`. Default "Information". */
  readonly logLevel?: pulumi.Input<string>;
  /** A Docker network to join (the dev database's); undefined joins none. */
  readonly networkName?: pulumi.Input<string | undefined>;
  /** Seconds to wait for the container's health check on create/update. Default 180. */
  readonly healthTimeoutSeconds?: pulumi.Input<number>;
  /**
   * IdentityClientSync's `reseedToken`: when it changes, the container is replaced (restarted), so
   * the Identity Service seeds the clients the sync deleted. Passed as the environment variable
   * `CREATIO_IDENTITY_RESEED_TOKEN`, which the service ignores; undefined sets nothing.
   */
  readonly reseedToken?: pulumi.Input<string | undefined>;
}

/**
 * The Identity Service container: the image (built from `Dockerfile-OAuth` or given), every
 * environment variable of Creatio's Docker guide, the PFX uploaded where Kestrel reads it, ports
 * 80/443 published, a restart policy and a health check on the discovery document.
 */
export class IdentityService extends pulumi.ComponentResource {
  /** The URL Creatio and browsers use. */
  public readonly url: pulumi.Output<string>;
  /** `<url>/.well-known/openid-configuration`. */
  public readonly discoveryUrl: pulumi.Output<string>;
  /** The image reference the container runs (an id or digest, so a rebuilt image replaces the container). */
  public readonly imageRef: pulumi.Output<string>;
  public readonly containerName: pulumi.Output<string>;
  public readonly containerId: pulumi.Output<string>;

  constructor(name: string, args: IdentityServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("creatio:identity:IdentityService", name, {}, opts);
    if ((args.image === undefined) === (args.sourceDir === undefined)) {
      throw new Error(`IdentityService ${name}: set exactly one of image (a prebuilt image) or sourceDir (the unpacked IdentityService.zip with Dockerfile-OAuth).`);
    }

    if (args.sourceDir !== undefined) {
      const built = new docker.Image(
        `${name}-image`,
        {
          build: { context: args.sourceDir, dockerfile: path.join(args.sourceDir, "Dockerfile-OAuth") },
          imageName: args.imageName ?? "creatio-identity-service:latest",
          skipPush: true,
        },
        { parent: this },
      );
      // repoDigest changes with every rebuilt image, so the container follows it; older engines
      // leave it empty for unpushed images, and then the tag is all there is.
      this.imageRef = pulumi.all([built.repoDigest, built.imageName]).apply(([digest, tag]) => digest || tag);
    } else {
      const pulled = new docker.RemoteImage(`${name}-image`, { name: args.image!, keepLocally: true }, { parent: this });
      this.imageRef = pulled.imageId;
    }

    const httpPort = args.httpPort ?? 8090;
    const httpsPort = args.httpsPort ?? 8443;
    const ip = args.listenAddress ?? "0.0.0.0";
    const baseUrl = pulumi.output(args.publicUrl ?? pulumi.interpolate`https://localhost:${httpsPort}`).apply((u) => u.replace(/\/+$/, ""));

    const envs = pulumi.secret(
      pulumi
        .all([args.dbProvider, args.connectionString, args.clientsJson, args.redisConnection, args.certificate.password, args.logLevel ?? "Information", args.reseedToken])
        .apply(([dbProvider, connectionString, clientsJson, redisConnection, certificatePassword, logLevel, reseedToken]) =>
          identityServiceEnvironment({ dbProvider, connectionString, clientsJson, redisConnection, certificatePassword, logLevel, reseedToken }),
        ),
    );

    const container = new docker.Container(
      `${name}-container`,
      {
        name: args.containerName ?? "creatio-identity-service",
        image: this.imageRef,
        envs,
        workingDir: "/app",
        // Ascending internal port: the docker provider reads ports back in that order, and any
        // other order shows as a change on every preview.
        ports: [
          { internal: 80, external: httpPort, ip, protocol: "tcp" },
          { internal: 443, external: httpsPort, ip, protocol: "tcp" },
        ],
        uploads: [{ file: KESTREL_CERTIFICATE_PATH, contentBase64: pulumi.secret(args.certificate.pfxBase64), permissions: "0444" }],
        restart: "unless-stopped",
        healthcheck: { tests: ["CMD-SHELL", healthCheckCommand()], interval: "10s", timeout: "5s", retries: 6, startPeriod: "20s" },
        // Waiting for "healthy" makes what uses this component's URL (the Creatio integration) start
        // only after the Identity Service has created its tables and serves its discovery document.
        // The client sync runs BEFORE the container: the container takes `Clients` and the reseed
        // token from the sync's outputs.
        wait: true,
        waitTimeout: args.healthTimeoutSeconds ?? 180,
        networksAdvanced: pulumi.output(args.networkName).apply((network) => (network ? [{ name: network }] : undefined)),
        mustRun: true,
      },
      // Fixed container name and host ports: the old container must go before its replacement starts.
      { parent: this, deleteBeforeReplace: true },
    );
    this.containerName = container.name;
    this.containerId = container.id;
    // The URLs depend on the container, so whatever uses them waits until the service is healthy.
    this.url = pulumi.all([baseUrl, container.id]).apply(([u]) => u);
    this.discoveryUrl = this.url.apply((u) => `${u}${DISCOVERY_PATH}`);

    this.registerOutputs({ url: this.url, discoveryUrl: this.discoveryUrl, imageRef: this.imageRef, containerName: this.containerName, containerId: this.containerId });
  }
}
