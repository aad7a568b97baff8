/**
 * CreatioIdentity: the whole deployment as one component, as pulumi-eks's Cluster and pulumi-awsx's
 * Vpc are: built from the validated stack config (config/), it owns every resource it creates (the
 * client, the certificate, the database, the client sync, the service on Docker or Kubernetes, and
 * the Creatio integration with its applications) and exposes what Creatio and the applications need.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { ClientCredentials } from "./clientCredentials";
import { Certificate } from "./certificate";
import { IdentityDatabase, IdentityDatabaseArgs } from "./identityDatabase";
import { IdentityService } from "./identityService";
import { KubernetesIdentityService } from "./kubernetesIdentityService";
import { IdentityClientSync } from "./identityClientSync";
import { CreatioOAuthIntegration } from "./creatioOAuthIntegration";
import { postgresDatabaseIdentity } from "../lib/connectionString";
import { CLIENT_SYNC_UNSUPPORTED, DATABASE_SUPPORT } from "../lib/databaseSupport";
import { CreatioOAuthApplication, warnUnlessCreatioAcceptsTokens } from "./creatioOAuthApplication";
import type { SnapshotInfo } from "../lib/databaseSnapshots";
import { devDatabaseDockerNames } from "../lib/defaults";
import { COMPONENT_TYPES } from "../lib/typeTokens";
import { OAuthSettingValues, oauthSettingValues } from "../lib/creatio/constants";

/** Creatio's three OAuth 2.0 system settings (lib/creatio/constants OAUTH_SETTING_CODES) and the values this stack gives them. */
export type CreatioSettings = OAuthSettingValues;

export interface StackOutputs {
  /** The Identity Service URL Creatio and browsers use. */
  readonly identityServiceUrl: pulumi.Output<string>;
  readonly discoveryUrl: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  /** Secret. */
  readonly clientSecret: pulumi.Output<string>;
  /** Secret. The values of Creatio's three system settings, keyed by setting code. */
  readonly creatioSettings: pulumi.Output<CreatioSettings>;
  /** Secret. The Identity Service database connection string (ADO.NET). */
  readonly connectionString: pulumi.Output<string>;
  readonly dbProvider: pulumi.Output<string>;
  /** When the HTTPS certificate expires (ISO 8601). */
  readonly certificateExpiresAt: pulumi.Output<string>;
  /** The HTTPS certificate, PEM (public): what Creatio's server must trust when it is self-signed or from an internal CA. */
  readonly certificatePem: pulumi.Output<string>;
  /** What the Creatio integration changed in Creatio (only when `creatioIntegration` is on). */
  readonly creatioIntegration?: pulumi.Output<CreatioIntegrationSummary>;
  /** Secret. Each OAuth 2.0 integrated application's credentials, by its key (only when `creatioIntegration` is on). */
  readonly creatioOAuthApplications?: pulumi.Output<Record<string, ApplicationCredentials>>;
  /** The image the Identity Service runs (`pulumi config set image <this>` runs it again). */
  readonly image: pulumi.Output<string>;
  /** The image it ran before the last image change: what to roll back to (null before any change). */
  readonly previousImage: pulumi.Output<string | null>;
  /** Snapshots of its database, newest first: name, time, image, size (docs/upgrade.md). */
  readonly databaseSnapshots: pulumi.Output<SnapshotInfo[]>;
  /** platform kubernetes: the namespace, and the names of the Deployment and the Service. */
  readonly kubernetesNamespace?: pulumi.Output<string>;
  readonly deploymentName?: pulumi.Output<string>;
  readonly serviceName?: pulumi.Output<string>;
}

/** What an application needs to get tokens: the stack output `creatioOAuthApplications[<key>]`. */
export interface ApplicationCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The Identity Service's token endpoint (`client_credentials`), at its public URL. */
  readonly tokenUrl: string;
}

/** What the post-deploy step did to Creatio, for the stack's outputs. */
export interface CreatioIntegrationSummary {
  readonly featureId: string;
  /** OAuth20Integration state per admin unit id, as Creatio has it now. */
  readonly featureStates: Record<string, number>;
  /** Rows the step inserted (deleted again on destroy). */
  readonly insertedFeatureStateIds: string[];
  readonly settingsWritten: string[];
  /** Name of Creatio's default OAuth resource (null when it has none). */
  readonly defaultResource: string | null;
  /** Name of the default OAuth resource this stack created (null when one was there before). */
  readonly createdDefaultResource: string | null;
}

/**
 * Options of the resources the deployment makes at its top: under the CreatioIdentity component,
 * with an alias to the stack itself, where earlier versions created them, so that every existing
 * stack keeps its resources (their children follow their parents' aliases).
 */
export interface DeploymentParent {
  readonly parent?: pulumi.Resource;
  readonly aliases?: pulumi.Input<pulumi.Alias | string>[];
}

/** Builds every resource of the deployment under one name prefix, as children of `top.parent` (none: the stack's own resources, as earlier versions made them). */
export function createIdentityResources(config: StackConfig, name: string, top: DeploymentParent = {}): StackOutputs {
  const client = new ClientCredentials(`${name}-client`, config.client, top);
  const certificate = new Certificate(`${name}-certificate`, config.certificate, top);
  const database = new IdentityDatabase(`${name}-db`, withStackDockerNames(config.database, `${name}-db`), top);

  // The Identity Service seeds its client from `Clients` only when the client is missing, so a
  // changed client must be deleted from its database before the container restarts. The container
  // takes `Clients` and the reseed token from the sync's outputs: data dependencies that order
  // sync -> container, and restart the container whenever the sync deleted rows.
  let clientsJson: pulumi.Output<string> = client.clientsJson;
  let reseedToken: pulumi.Output<string | null | undefined> | undefined;
  if (DATABASE_SUPPORT[config.dbProvider].clientSync) {
    const sync = new IdentityClientSync(
      `${name}-client-sync`,
      {
        dbProvider: database.dbProvider,
        // Pulumi reaches the database from this machine (container mode: 127.0.0.1 and the published
        // port); which database it is, is where the container's own string leads, so a new host port
        // or password is an update that deletes nothing. host:port/name holds no secret.
        connectionString: database.connectionStringFromHost,
        database: pulumi.unsecret(database.connectionString.apply(postgresDatabaseIdentity)),
        clientsJson: client.clientsJson,
      },
      top,
    );
    clientsJson = sync.clientsJson;
    reseedToken = sync.reseedToken;
  } else {
    pulumi.log.warn(
      `IdentityClientSync is not used: ${CLIENT_SYNC_UNSUPPORTED}. A changed client id or secret will NOT reach the Identity Service database by itself.`,
      top.parent,
    );
  }

  const service = config.kubernetes
    ? kubernetesService(name, config, certificate, { database, clientsJson, reseedToken }, top)
    : dockerService(name, config, certificate, { database, clientsJson, reseedToken }, top);

  // The URL Creatio's server uses to reach the Identity Service (config decides it); it waits on
  // service.url, i.e. on the healthy container.
  const urlForCreatio = service.url.apply(() => config.service.urlForCreatio);
  const creatioSettings = pulumi.secret(
    pulumi
      .all([urlForCreatio, client.clientId, client.clientSecret])
      .apply(([identityServerUrl, clientId, clientSecret]) => oauthSettingValues({ identityServerUrl, clientId, clientSecret })),
  );
  const creatio = config.creatio ? switchCreatioOver(name, config.creatio, { client, certificate, service, urlForCreatio }, top) : undefined;

  return {
    creatioIntegration: creatio?.integration,
    creatioOAuthApplications: creatio?.applications,
    identityServiceUrl: service.url,
    discoveryUrl: service.discoveryUrl,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    creatioSettings,
    connectionString: database.connectionString,
    dbProvider: database.dbProvider,
    certificateExpiresAt: certificate.expiresAt,
    certificatePem: pulumi.unsecret(certificate.certificatePem),
    image: service.image,
    // null, not undefined: an undefined stack output draws a warning on every `pulumi up`.
    previousImage: service.previousImage.apply((p) => p ?? null),
    databaseSnapshots: service.databaseSnapshots,
    ...(service instanceof KubernetesIdentityService ? { kubernetesNamespace: service.namespace, deploymentName: service.deploymentName, serviceName: service.serviceName } : {}),
  };
}

/**
 * IdentityDatabase's arguments from the database config, the dev database's Docker network and
 * volume named for this stack (lib/defaults devDatabaseDockerNames): two stacks on one Docker host
 * get their own.
 */
function withStackDockerNames(database: StackConfig["database"], component: string): IdentityDatabaseArgs {
  if (!database.container) return database;
  const { network, volume } = devDatabaseDockerNames(component, pulumi.getStack());
  return { ...database, container: { networkName: network, volumeName: volume, ...database.container } };
}

/** What both platforms' services take from the rest of the stack. */
interface ServiceInputs {
  readonly database: IdentityDatabase;
  /** `Clients`, through the client sync where there is one. */
  readonly clientsJson: pulumi.Output<string>;
  readonly reseedToken?: pulumi.Output<string | null | undefined>;
}

/**
 * What both platforms' service components take alike: the image settings (exactly one of image and
 * sourceDir), the service's settings, the database, `Clients`, the certificate, and the snapshot
 * of the database before an image change with the declared restore (docs/upgrade.md), reaching the
 * database as this machine does, like the client sync.
 */
function commonServiceArgs(config: StackConfig, certificate: Certificate, inputs: ServiceInputs) {
  const svc = config.service;
  return {
    ...(svc.image !== undefined ? { image: svc.image } : { sourceDir: svc.sourceDir, imageName: svc.imageName }),
    publicUrl: svc.publicUrl,
    logLevel: svc.logLevel,
    redisConnection: svc.redisConnection,
    dbProvider: inputs.database.dbProvider,
    connectionString: inputs.database.connectionString,
    clientsJson: inputs.clientsJson,
    certificate: { pfxBase64: certificate.pfxBase64, password: certificate.password },
    reseedToken: inputs.reseedToken,
    databaseSnapshots: { connectionString: inputs.database.connectionStringFromHost, ...config.databaseSnapshots, keptOnDelete: inputs.database.keptOnDelete },
  };
}

/** platform docker: one container on one Docker host. */
function dockerService(name: string, config: StackConfig, certificate: Certificate, inputs: ServiceInputs, top: DeploymentParent): IdentityService {
  const svc = config.service;
  return new IdentityService(
    `${name}-service`,
    {
      ...commonServiceArgs(config, certificate, inputs),
      containerName: svc.containerName,
      httpPort: svc.httpPort,
      httpsPort: svc.httpsPort,
      listenAddress: svc.listenAddress,
      dockerHost: svc.dockerHost,
      dockerConnection: svc.dockerConnection,
      networkName: inputs.database.networkName,
    },
    top,
  );
}

/** platform kubernetes: a Deployment, its Service and what keeps it available. */
function kubernetesService(name: string, config: StackConfig, certificate: Certificate, inputs: ServiceInputs, top: DeploymentParent): KubernetesIdentityService {
  const k = config.kubernetes!;
  return new KubernetesIdentityService(
    `${name}-service`,
    {
      ...commonServiceArgs(config, certificate, inputs),
      kubeconfig: k.kubeconfig,
      context: k.context,
      namespace: k.namespace,
      createNamespace: k.createNamespace,
      replicas: k.replicas,
      replicasMax: k.replicasMax,
      autoscaleCpuPercent: k.autoscaleCpuPercent,
      resources: k.resources,
      serviceType: k.serviceType,
      ingress: k.ingressClassName !== undefined ? { className: k.ingressClassName, tls: certificate.tlsPair() } : undefined,
      registry: k.registry,
    },
    top,
  );
}

/**
 * Post-deploy: switch Creatio over once the Identity Service issues a token for this client, then
 * create the integrated applications, which Creatio refuses while OAuth20Integration is off or it has
 * no default resource.
 */
function switchCreatioOver(
  name: string,
  c: NonNullable<StackConfig["creatio"]>,
  deps: { client: ClientCredentials; certificate: Certificate; service: IdentityService | KubernetesIdentityService; urlForCreatio: pulumi.Output<string> },
  top: DeploymentParent,
): { integration: pulumi.Output<CreatioIntegrationSummary>; applications: pulumi.Output<Record<string, ApplicationCredentials>> } {
  const identityService = {
    identityServerUrl: deps.urlForCreatio,
    // This machine checks readiness through the public URL; Creatio may use another one.
    identityServerCheckUrl: deps.service.url,
    // Trusted for these checks only, never globally: the stack's own self-signed certificate, and
    // the CA a supplied certificate comes from (identityServerCaPem).
    identityServerCaPem: deps.certificate.selfSigned
      ? deps.certificate.certificatePem.apply((pem) => [pem, c.identityServerCaPem].filter(Boolean).join("\n"))
      : c.identityServerCaPem,
    readinessTimeoutSeconds: c.readinessTimeoutSeconds,
  };
  const integration = new CreatioOAuthIntegration(
    `${name}-creatio-oauth`,
    {
      ...identityService,
      clientId: deps.client.clientId,
      clientSecret: deps.client.clientSecret,
      creatio: c.connection,
      featureAdminUnitIds: c.featureAdminUnitIds,
      createDefaultResource: c.createDefaultResource,
    },
    { ...top, dependsOn: [deps.service] },
  );
  const summary = pulumi
    .all([
      integration.featureId,
      integration.featureStates,
      integration.insertedFeatureStateIds,
      integration.settingsWritten,
      integration.defaultResource,
      integration.createdDefaultResource,
    ])
    .apply(([featureId, featureStates, insertedFeatureStateIds, settingsWritten, defaultResource, createdDefaultResource]) => ({
      featureId,
      featureStates,
      insertedFeatureStateIds,
      settingsWritten,
      defaultResource,
      createdDefaultResource,
    }));
  // Each application takes Creatio's connection from the integration's output: a property
  // dependency, so a replaced integration (another Creatio) has the engine delete the applications
  // before it switches OAuth off, and create them after it is back. `key` names each one for life.
  const applications = c.applications.map(({ key, ...app }) => {
    const application = new CreatioOAuthApplication(
      `${name}-creatio-app-${key}`,
      { ...app, ...identityService, creatio: integration.creatio },
      { ...top, dependsOn: [integration] },
    );
    return [key, application] as const;
  });
  // The switch-over proven end to end: each application's token taken by Creatio, or a warning naming the fix.
  for (const [appKey, application] of applications) warnUnlessCreatioAcceptsTokens(application, appKey);
  const tokenUrl = pulumi.interpolate`${deps.service.url}/connect/token`;
  const credentials = pulumi.secret(
    pulumi
      .all(applications.map(([appName, a]) => pulumi.all([appName, a.clientId, a.clientSecret, tokenUrl])))
      .apply((rows) => Object.fromEntries(rows.map(([appName, clientId, clientSecret, url]) => [appName, { clientId, clientSecret, tokenUrl: url }]))),
  );
  return { integration: summary, applications: credentials };
}

/** The whole deployment's resources as one component; `outputs` are the stack's. */
export class CreatioIdentity extends pulumi.ComponentResource {
  /** What Creatio, the applications and the operators need (index.ts exports each as a stack output). */
  public readonly outputs: StackOutputs;

  /** `config`: the stack's validated configuration (config/ parseStackConfig or loadStackConfig). */
  constructor(name: string, config: StackConfig, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.creatioIdentity, name, {}, opts);
    try {
      this.outputs = createIdentityResources(config, name, { parent: this, aliases: [{ parent: pulumi.rootStackResource }] });
    } catch (e) {
      // Attributed to the component: `pulumi up` names it, without the program's stack trace.
      throw new pulumi.ResourceError(e instanceof Error ? e.message : String(e), this);
    }
    this.registerOutputs({ ...this.outputs });
  }
}
