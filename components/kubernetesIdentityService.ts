import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { COMPONENT_TYPES } from "../lib/typeTokens";
import { podCountProblem } from "../lib/validators";
import { DEFAULTS } from "../lib/defaults";
import { DbProvider } from "../lib/connectionString";
import { DISCOVERY_PATH, identityServiceVariables } from "../lib/identityServiceEnv";
import {
  dockerConfigJson,
  environmentSecretData,
  IDENTITY_SERVICE_CONTAINER,
  identityServiceProbes,
  ingressHost,
  PFX_MOUNT,
  podEnvironment,
  podLabels,
  PORTS,
  PATCH_FORCE_ANNOTATION,
  RESEED_TOKEN_ANNOTATION,
} from "../lib/kubernetesManifests";
import type { SnapshotInfo } from "../lib/databaseSnapshots";
import { identityServiceImage, IdentityServiceImageArgs, ServiceSnapshotArgs, snapshotBeforeImageChanges } from "./identityServiceImage";

export interface KubernetesIdentityServiceArgs extends IdentityServiceImageArgs {
  /** `DbProvider`: Postgres or MsSqlServer. */
  readonly dbProvider: pulumi.Input<DbProvider>;
  /** ADO.NET connection string for `PostgresConnection`/`MsSqlConnection`, as the pods reach the database (secret). */
  readonly connectionString: pulumi.Input<string>;
  /** The `Clients` JSON string (secret). */
  readonly clientsJson: pulumi.Input<string>;
  /** StackExchange.Redis connection string (secret): the pods share their machine key through it. Needed for more than one pod. */
  readonly redisConnection?: pulumi.Input<string>;
  /** The HTTPS certificate: PFX bytes (base64) and password, both secret. */
  readonly certificate: { readonly pfxBase64: pulumi.Input<string>; readonly password: pulumi.Input<string> };
  /** The URL Creatio and browsers use (the Ingress host, or the Service's address). */
  readonly publicUrl: pulumi.Input<string>;
  /** `Logging__LogLevel__Default`. Default "Information". */
  readonly logLevel?: pulumi.Input<string>;
  /** IdentityClientSync's `reseedToken`: a new value rolls the pods (a pod-template annotation), so they seed the clients it deleted. */
  readonly reseedToken?: pulumi.Input<string | null | undefined>;
  /** Snapshot the database before every image change, and restore one on request (IdentityDatabaseSnapshot). */
  readonly databaseSnapshots?: ServiceSnapshotArgs;
  /** The cluster's kubeconfig (contents or path; secret). Unset: the stack's `kubernetes:*` config, else the ambient one. */
  readonly kubeconfig?: pulumi.Input<string>;
  /** The kubeconfig context. Unset: its current one. */
  readonly context?: pulumi.Input<string>;
  /** Namespace of every object. Default "creatio-identity". */
  readonly namespace?: string;
  /** Create the namespace (and delete it on destroy). Default true. */
  readonly createNamespace?: boolean;
  /** Name of the Deployment and the Service. Default "creatio-identity-service". */
  readonly deploymentName?: string;
  /** Pods. Default 2. */
  readonly replicas?: number;
  /** With it, a HorizontalPodAutoscaler scales between `replicas` and this on CPU. */
  readonly replicasMax?: number;
  /** The autoscaler's average CPU target, percent of the request. Default 70. */
  readonly autoscaleCpuPercent?: number;
  /** Container resources. Default requests 250m / 256Mi, limits 1 / 512Mi. */
  readonly resources?: { readonly requests: { readonly cpu: string; readonly memory: string }; readonly limits: { readonly cpu: string; readonly memory: string } };
  /** The Service's type. Default ClusterIP. */
  readonly serviceType?: pulumi.Input<string>;
  /** An Ingress of this class for publicUrl's host, with TLS from `tls`. */
  readonly ingress?: {
    readonly className: pulumi.Input<string>;
    /** The certificate the Ingress serves (a `kubernetes.io/tls` Secret): key (secret) and chain, PEM. */
    readonly tls: pulumi.Input<{ privateKeyPem: string; certificateChainPem: string }>;
  };
  /** The image's registry login: the built image is pushed with it, and the pods pull with it. */
  readonly registry?: { readonly server: string; readonly username: pulumi.Input<string>; readonly password: pulumi.Input<string> };
}

/**
 * The Identity Service on Kubernetes: the image (built from `Dockerfile-OAuth` and pushed, or
 * given), a Deployment of `replicas` pods that never takes a ready pod away before its replacement
 * is ready, probes on the discovery document over HTTPS, pods spread across nodes, every credential
 * from Secrets (the environment's, the PFX mounted under /https), a Service, a PodDisruptionBudget
 * with more than one pod, and optionally an autoscaler and an Ingress. The Kubernetes provider waits
 * until the Deployment is ready, so what uses `url` starts only once the service answers. With
 * `databaseSnapshots`, the database is copied before the Deployment changes image
 * (IdentityDatabaseSnapshot), and a declared restore scales it to 0 meanwhile.
 */
export class KubernetesIdentityService extends pulumi.ComponentResource {
  /** The URL Creatio and browsers use (resolves once the Deployment is ready). */
  public readonly url: pulumi.Output<string>;
  /** `<url>/.well-known/openid-configuration`. */
  public readonly discoveryUrl: pulumi.Output<string>;
  /** The image as users type it (`pulumi config set image <this>`). */
  public readonly image: pulumi.Output<string>;
  /** The exact image reference the pods run (a digest for a built image). */
  public readonly imageRef: pulumi.Output<string>;
  /** The image before the last image change (undefined without databaseSnapshots, or before any change). */
  public readonly previousImage: pulumi.Output<string | undefined>;
  /** Every snapshot of the Identity Service database, newest first. */
  public readonly databaseSnapshots: pulumi.Output<SnapshotInfo[]>;
  public readonly namespace: pulumi.Output<string>;
  public readonly deploymentName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: KubernetesIdentityServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.kubernetesIdentityService, name, {}, opts);
    const replicas = args.replicas ?? DEFAULTS.replicas;
    const pods = podCountProblem(replicas);
    if (pods) throw new Error(`KubernetesIdentityService ${name}: replicas ${pods}.`);
    if (args.replicasMax !== undefined && (podCountProblem(args.replicasMax) || args.replicasMax < replicas)) {
      throw new Error(`KubernetesIdentityService ${name}: replicasMax must be a whole number, at least replicas (${replicas}).`);
    }
    if (replicas > 1 && args.redisConnection === undefined) {
      throw new Error(
        `KubernetesIdentityService ${name}: ${replicas} pods need redisConnection: they share their machine key through Redis, or tokens one pod issues fail at another. Give redisConnection, or replicas 1.`,
      );
    }
    const namespaceName = args.namespace ?? DEFAULTS.kubernetesNamespace;
    const deploymentName = args.deploymentName ?? DEFAULTS.kubernetesName;
    const labels = podLabels(deploymentName);
    const resources = args.resources ?? {
      requests: { cpu: DEFAULTS.cpuRequest, memory: DEFAULTS.memoryRequest },
      limits: { cpu: DEFAULTS.cpuLimit, memory: DEFAULTS.memoryLimit },
    };

    // An explicit provider only for an explicit cluster: otherwise the default one, which reads the
    // stack's `kubernetes:*` config and the ambient kubeconfig, as users of the provider expect.
    const provider =
      args.kubeconfig !== undefined || args.context !== undefined
        ? new k8s.Provider(`${name}-provider`, { kubeconfig: args.kubeconfig, context: args.context }, { parent: this })
        : undefined;
    const child = (extra?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions => ({ parent: this, ...(provider ? { provider } : {}), ...extra });

    const namespace = args.createNamespace === false ? undefined : new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: namespaceName } }, child());
    // Every object waits for the namespace it lives in.
    const ns = namespace ? namespace.metadata.name : pulumi.output(namespaceName);
    const meta = (extra: Record<string, unknown> = {}) => ({ namespace: ns, labels, ...extra });

    const built = identityServiceImage(
      name,
      args,
      { kind: "registry", registry: args.registry ? { server: args.registry.server, username: args.registry.username, password: args.registry.password } : undefined },
      this,
    );
    this.image = built.image;
    this.imageRef = built.imageRef;

    // The snapshot runs before the Deployment changes image: the Deployment's image comes through it.
    const snapshotted = snapshotBeforeImageChanges(name, this, built, args.dbProvider, args.databaseSnapshots, {
      containerName: deploymentName,
      kubernetes: { kubeconfig: args.kubeconfig, context: args.context, namespace: namespaceName },
    });
    const imageForPods = snapshotted.imageToRun;
    this.previousImage = snapshotted.previousImage;
    this.databaseSnapshots = snapshotted.databaseSnapshots;

    // The credentials: immutable Secrets without a fixed name, so a changed value is a new Secret and
    // the pod template, which names it, rolls the pods; the old Secret goes once they have rolled.
    const variables = pulumi
      .all([args.dbProvider, args.connectionString, args.clientsJson, args.redisConnection, args.certificate.password, args.logLevel ?? DEFAULTS.logLevel])
      .apply(([dbProvider, connectionString, clientsJson, redisConnection, certificatePassword, logLevel]) =>
        identityServiceVariables({ dbProvider, connectionString, clientsJson, redisConnection, certificatePassword, logLevel }),
      );
    const envSecret = new k8s.core.v1.Secret(
      `${name}-env`,
      { metadata: meta(), type: "Opaque", immutable: true, stringData: pulumi.secret(variables.apply(environmentSecretData)) },
      child(),
    );
    const pfxSecret = new k8s.core.v1.Secret(
      `${name}-pfx`,
      { metadata: meta(), type: "Opaque", immutable: true, data: { [PFX_MOUNT.file]: pulumi.secret(args.certificate.pfxBase64) } },
      child(),
    );
    const pullSecret = args.registry
      ? new k8s.core.v1.Secret(
          `${name}-registry`,
          {
            metadata: meta(),
            type: "kubernetes.io/dockerconfigjson",
            stringData: {
              ".dockerconfigjson": pulumi.secret(pulumi.all([args.registry.username, args.registry.password]).apply(([u, p]) => dockerConfigJson(args.registry!.server, u, p))),
            },
          },
          child(),
        )
      : undefined;

    const autoscaled = args.replicasMax !== undefined;
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: meta({
          name: deploymentName,
          // The stack is the source of truth for what it sets: `pulumi up` takes back a field someone
          // changed by hand (`kubectl scale`, `kubectl set image`) instead of failing on the
          // server-side apply conflict. Fields the stack does not set stay theirs.
          annotations: { [PATCH_FORCE_ANNOTATION]: "true" },
        }),
        spec: {
          // With the autoscaler the pod count is its to set: the Deployment leaves the field alone,
          // or every update would fight it.
          replicas: autoscaled ? undefined : replicas,
          selector: { matchLabels: labels },
          // Never a ready pod fewer: a new pod comes first, an old one goes once the new one is ready.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: {
              labels,
              annotations: pulumi.output(args.reseedToken).apply((token): Record<string, string> => (token ? { [RESEED_TOKEN_ANNOTATION]: token } : {})),
            },
            spec: {
              imagePullSecrets: pullSecret ? [{ name: pullSecret.metadata.name }] : undefined,
              // One pod per node where the nodes allow it; never a pod left unscheduled for it.
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } }],
              containers: [
                {
                  name: IDENTITY_SERVICE_CONTAINER,
                  image: imageForPods,
                  workingDir: "/app",
                  ports: [
                    { name: "http", containerPort: PORTS.http },
                    { name: "https", containerPort: PORTS.https },
                  ],
                  env: pulumi.all([variables, envSecret.metadata.name]).apply(([vars, secretName]) => podEnvironment(vars, secretName)),
                  volumeMounts: [{ name: PFX_MOUNT.volume, mountPath: PFX_MOUNT.directory, readOnly: true }],
                  resources,
                  ...identityServiceProbes(),
                },
              ],
              volumes: [{ name: PFX_MOUNT.volume, secret: { secretName: pfxSecret.metadata.name } }],
            },
          },
        },
      },
      // A fixed name: a replacement must delete the old Deployment first.
      child({ deleteBeforeReplace: true }),
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: meta({ name: deploymentName }),
        spec: {
          type: args.serviceType ?? DEFAULTS.kubernetesServiceType,
          selector: labels,
          ports: [
            { name: "https", port: PORTS.https, targetPort: "https", protocol: "TCP" },
            { name: "http", port: PORTS.http, targetPort: "http", protocol: "TCP" },
          ],
        },
      },
      child({ deleteBeforeReplace: true }),
    );

    if (replicas > 1) {
      new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata: meta(), spec: { minAvailable: 1, selector: { matchLabels: labels } } }, child());
    }
    if (autoscaled) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-autoscaler`,
        {
          metadata: meta(),
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
            minReplicas: replicas,
            maxReplicas: args.replicasMax,
            metrics: [
              { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.autoscaleCpuPercent ?? DEFAULTS.autoscaleCpuPercent } } },
            ],
          },
        },
        child(),
      );
    }
    if (args.ingress) {
      const tls = pulumi.output(args.ingress.tls);
      const tlsSecret = new k8s.core.v1.Secret(
        `${name}-tls`,
        {
          metadata: meta(),
          type: "kubernetes.io/tls",
          stringData: { "tls.crt": tls.certificateChainPem, "tls.key": pulumi.secret(tls.privateKeyPem) },
        },
        child(),
      );
      const host = pulumi.output(args.publicUrl).apply(ingressHost);
      new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        {
          metadata: meta({
            // ingress-nginx's way to say the pods speak HTTPS; other controllers have their own (docs/kubernetes.md).
            annotations: { "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS" },
          }),
          spec: {
            ingressClassName: args.ingress.className,
            tls: [{ hosts: [host], secretName: tlsSecret.metadata.name }],
            rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service.metadata.name, port: { name: "https" } } } }] } }],
          },
        },
        child(),
      );
    }

    this.namespace = ns;
    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    // The provider resolves the Deployment once its pods are ready: so does the URL, and what uses it.
    this.url = pulumi.all([pulumi.output(args.publicUrl), deployment.status]).apply(([u]) => u.replace(/\/+$/, ""));
    this.discoveryUrl = this.url.apply((u) => `${u}${DISCOVERY_PATH}`);

    this.registerOutputs({
      url: this.url,
      discoveryUrl: this.discoveryUrl,
      image: this.image,
      imageRef: this.imageRef,
      previousImage: this.previousImage,
      databaseSnapshots: this.databaseSnapshots,
      namespace: this.namespace,
      deploymentName: this.deploymentName,
      serviceName: this.serviceName,
    });
  }
}
