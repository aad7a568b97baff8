import * as pulumi from "@pulumi/pulumi";
import { COMPONENT_TYPES } from "../lib/typeTokens";
import { DEFAULTS, defaultPublicUrl } from "../lib/defaults";
import * as docker from "@pulumi/docker";
import { DbProvider } from "../lib/connectionString";
import { identityServiceEnvironment, KESTREL_CERTIFICATE_PATH, DISCOVERY_PATH, healthCheckCommand } from "../lib/identityServiceEnv";
import type { DockerConnectionSettings } from "../lib/dockerHost";
import type { SnapshotInfo } from "../lib/databaseSnapshots";
import { IdentityServiceHealthGate } from "./identityServiceHealthGate";
import { identityServiceImage, IdentityServiceImageArgs, ServiceSnapshotArgs, snapshotBeforeImageChanges } from "./identityServiceImage";

export interface IdentityServiceArgs extends IdentityServiceImageArgs {
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
  readonly healthTimeoutSeconds?: number;
  /**
   * IdentityClientSync's `reseedToken`: when it changes, the container is replaced (restarted), so
   * the Identity Service seeds the clients the sync deleted. Passed as the environment variable
   * `CREATIO_IDENTITY_RESEED_TOKEN`, which the service ignores; undefined sets nothing.
   */
  readonly reseedToken?: pulumi.Input<string | null | undefined>;
  /**
   * Snapshot the Identity Service database before the container changes image, and restore one on
   * request (IdentityDatabaseSnapshot). Without it, image changes are not backed up.
   */
  readonly databaseSnapshots?: ServiceSnapshotArgs;
  /**
   * The Docker engine the snapshot restore and the health gate call: the one @pulumi/docker creates
   * the container on. `docker:host`; default DOCKER_HOST, else the local socket (lib/dockerHost.ts).
   */
  readonly dockerHost?: string;
  /** The other `docker:*` connection settings the stack sets (context, certificates, sshOpts); give it as a secret when it holds a key. */
  readonly dockerConnection?: pulumi.Input<DockerConnectionSettings | undefined>;
}

/**
 * The Identity Service container: the image (built from `Dockerfile-OAuth` under its content tag, or
 * given), every environment variable of Creatio's Docker guide, the PFX uploaded where Kestrel reads
 * it, ports 80/443 published, a restart policy and a health check on the discovery document. With
 * `databaseSnapshots`, the database is copied before the container changes image
 * (IdentityDatabaseSnapshot); IdentityServiceHealthGate waits until a new container is healthy.
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
  /** The image the container runs, as a reference users can type (`pulumi config set image <this>`). */
  public readonly image: pulumi.Output<string>;
  /** The image before the last image change (undefined without databaseSnapshots, or before any change). */
  public readonly previousImage: pulumi.Output<string | undefined>;
  /** Every snapshot of the Identity Service database, newest first (empty without databaseSnapshots, or on MS SQL). */
  public readonly databaseSnapshots: pulumi.Output<SnapshotInfo[]>;

  constructor(name: string, args: IdentityServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.identityService, name, {}, opts);
    const built = identityServiceImage(name, args, { kind: "localEngine" }, this);
    this.imageRef = built.imageRef;
    this.image = built.image;
    const image = built.image;

    const containerName = args.containerName ?? DEFAULTS.containerName;
    // The snapshot runs before the container changes image: the container's image comes through it.
    const snapshotted = snapshotBeforeImageChanges(name, this, built, args.dbProvider, args.databaseSnapshots, {
      containerName,
      dockerHost: args.dockerHost,
      dockerConnection: args.dockerConnection,
      healthTimeoutSeconds: args.healthTimeoutSeconds,
    });
    const { snapshot } = snapshotted;
    const imageForContainer = snapshotted.imageToRun;
    this.previousImage = snapshotted.previousImage;
    this.databaseSnapshots = snapshotted.databaseSnapshots;
    const healthTimeoutSeconds = args.healthTimeoutSeconds ?? DEFAULTS.healthTimeoutSeconds;

    const httpPort = args.httpPort ?? DEFAULTS.httpPort;
    const httpsPort = args.httpsPort ?? DEFAULTS.httpsPort;
    const ip = args.listenAddress ?? DEFAULTS.listenAddress;
    const baseUrl = pulumi.output(args.publicUrl ?? pulumi.output(httpsPort).apply(defaultPublicUrl)).apply((u) => u.replace(/\/+$/, ""));

    const envs = pulumi.secret(
      pulumi
        .all([args.dbProvider, args.connectionString, args.clientsJson, args.redisConnection, args.certificate.password, args.logLevel ?? DEFAULTS.logLevel, args.reseedToken])
        .apply(([dbProvider, connectionString, clientsJson, redisConnection, certificatePassword, logLevel, reseedToken]) =>
          identityServiceEnvironment({ dbProvider, connectionString, clientsJson, redisConnection, certificatePassword, logLevel, reseedToken }),
        ),
    );

    const container = new docker.Container(
      `${name}-container`,
      {
        name: containerName,
        image: imageForContainer,
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
        // only after the Identity Service has created its tables and serves its discovery document:
        // the health gate below waits (on whatever engine this container is created on), so the
        // provider's own wait is off. The client sync runs BEFORE the container: the container takes
        // `Clients` and the reseed token from the sync's outputs.
        wait: false,
        waitTimeout: healthTimeoutSeconds,
        networksAdvanced: pulumi.output(args.networkName).apply((network) => (network ? [{ name: network }] : undefined)),
        mustRun: true,
      },
      // Fixed container name and host ports: the old container must go before its replacement starts.
      { parent: this, deleteBeforeReplace: true },
    );
    this.containerName = container.name;
    this.containerId = container.id;
    const gate = new IdentityServiceHealthGate(
      `${name}-health`,
      {
        containerName: container.name,
        containerId: container.id,
        image,
        previousImage: snapshot?.previousImage,
        snapshot: snapshot?.snapshotBeforeImageChange,
        dockerHost: args.dockerHost,
        dockerConnection: args.dockerConnection,
        timeoutSeconds: healthTimeoutSeconds,
      },
      { parent: this },
    );
    const healthy = gate.healthyAt;
    // The URLs depend on the healthy container, so whatever uses them waits until the service is healthy.
    this.url = pulumi.all([baseUrl, healthy]).apply(([u]) => u);
    this.discoveryUrl = this.url.apply((u) => `${u}${DISCOVERY_PATH}`);

    this.registerOutputs({
      url: this.url,
      discoveryUrl: this.discoveryUrl,
      imageRef: this.imageRef,
      containerName: this.containerName,
      containerId: this.containerId,
      image: this.image,
      previousImage: this.previousImage,
      databaseSnapshots: this.databaseSnapshots,
    });
  }
}
