/**
 * Every default the stack and its components share, in one place: the config keys take their
 * defaults from here (and Pulumi.yaml and the README table are generated from the keys), and a
 * component used on its own falls back to the same values.
 */
import { ALL_EMPLOYEES_ID } from "./creatio/constants";

export const DEFAULTS = {
  creatioUrl: "http://localhost:8080",
  clientName: "Creatio",
  identityServiceSourceDir: "./IdentityService",
  /** The repository of images built from the Identity Service folder (the tag is the content hash). */
  imageRepository: "creatio-identity-service",
  containerName: "creatio-identity-service",
  httpPort: 8090,
  httpsPort: 8443,
  listenAddress: "0.0.0.0",
  logLevel: "Information",
  /** How long `pulumi up` waits for the Identity Service container to become healthy. */
  healthTimeoutSeconds: 180,
  databaseSnapshotsToKeep: 3,
  certificateDnsNames: ["localhost"] as string[],
  certificateValidityDays: 365,
  certificateEarlyRenewalDays: 30,
  databaseMode: "container",
  databaseImage: "postgres:16-alpine",
  databaseHostPort: 55432,
  databasePort: 5432,
  databaseSslMode: "require",
  databaseName: "identity_service",
  databaseUsername: "identity_service",
  databaseProvider: "Postgres",
  /** pulumi destroy keeps the Identity Service database (its clients, keys and snapshots) unless told otherwise. */
  databaseRetainOnDelete: true,
  databaseTakeBack: false,
  creatioUsername: "Supervisor",
  /** .NET Framework Creatio (its application under /0) unless told otherwise. */
  creatioNetCore: false,
  /** Create Creatio's default OAuth resource when it has none (integrated applications need it). */
  creatioCreateDefaultResource: true,
  /** An integrated application may get tokens unless made inactive. */
  applicationActive: true,
  /** How long an integrated application's create waits for the Identity Service to issue its client a token. */
  applicationReadinessTimeoutSeconds: 60,
  creatioFeatureAdminUnitIds: [ALL_EMPLOYEES_ID] as string[],
  readinessTimeoutSeconds: 300,
  platform: "docker",
  kubernetesNamespace: "creatio-identity",
  kubernetesCreateNamespace: true,
  /** Deployment and Service name on Kubernetes (the Docker container's default name, for one vocabulary). */
  kubernetesName: "creatio-identity-service",
  replicas: 2,
  autoscaleCpuPercent: 70,
  /** Container resources on Kubernetes: a starting point for one ASP.NET Core service; docs/kubernetes.md says how to size them. */
  cpuRequest: "250m",
  cpuLimit: "1",
  memoryRequest: "256Mi",
  memoryLimit: "512Mi",
  kubernetesServiceType: "ClusterIP",
} as const;

/** The Identity Service URL Creatio and browsers use when `publicUrl` is not set. */
export function defaultPublicUrl(httpsPort: number): string {
  return `https://localhost:${httpsPort}`;
}

/** The stack whose dev database keeps the Docker names it had before they were derived from the stack. */
export const FIXED_NAMES_STACK = "dev";

/**
 * The Docker network and volume of the dev database (databaseMode container), from the database
 * component's name and the stack's: Docker names are per host, so two stacks on one Docker host
 * need names of their own (a second `creatio-identity-db-network` fails to create; a second
 * `creatio-identity-db-data` would silently be the first stack's data). The `dev` stack keeps the
 * names every stack had before (`<component>-network`, `<component>-data`), so it plans no
 * replacement; any other stack gets `<component>-<stack>-network` and `<component>-<stack>-data`
 * (stack names use only letters, digits, `_`, `.` and `-`, all valid in Docker names).
 */
export function devDatabaseDockerNames(component: string, stack: string): { network: string; volume: string } {
  const base = stack === FIXED_NAMES_STACK ? component : `${component}-${stack}`;
  return { network: `${base}-network`, volume: `${base}-data` };
}
