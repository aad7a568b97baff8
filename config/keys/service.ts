/** Config keys: the Identity Service container, and the database snapshots taken when its image changes. */
import { SNAPSHOT_NAME_PATTERN } from "../../lib/databaseSnapshotSql";
import { DEFAULTS } from "../../lib/defaults";
import { parseImageReference } from "../../lib/imageTag";
import { containerNameProblem, httpUrlProblem, NO_WHITE_SPACE, portProblem } from "../../lib/validators";
import { ConfigKeySpec, oneOf } from "./spec";

const LOG_LEVELS = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];

export const SERVICE_KEYS = {
  // --- The Identity Service container ------------------------------------------------------
  identityServiceSourceDir: {
    type: "string",
    default: DEFAULTS.identityServiceSourceDir,
    example: "./IdentityService",
    description: "Folder of the unpacked IdentityService.zip (holds Dockerfile-OAuth); the image is built from it unless `image` is set. Relative to the project folder.",
  },
  image: {
    type: "string",
    example: "registry.example.com/creatio-identity-service:8.1.4",
    description: "Use this prebuilt Identity Service image instead of building one from identityServiceSourceDir.",
    check: (v: string) => (NO_WHITE_SPACE.test(v) ? undefined : "must be an image reference without spaces"),
  },
  imageName: {
    type: "string",
    default: DEFAULTS.imageRepository,
    example: "creatio-identity-service",
    description:
      "Repository of the image built from identityServiceSourceDir; its tag is the folder's content hash (src-<12 hex>), so `pulumi config set image <repository>:src-...` runs an older build again.",
    check: (v: string) => {
      if (!NO_WHITE_SPACE.test(v)) return "must be an image repository without spaces";
      const ref = parseImageReference(v);
      return ref.tag !== undefined || ref.digest !== undefined ? "must be a repository without a tag: the tag is the content hash of identityServiceSourceDir" : undefined;
    },
  },
  containerName: {
    type: "string",
    default: DEFAULTS.containerName,
    example: "creatio-identity-service",
    description: "Name of the Identity Service container (fixed: replacements delete the old container first).",
    check: containerNameProblem,
  },
  httpPort: {
    type: "integer",
    default: DEFAULTS.httpPort,
    example: "8090",
    description: "Host port published for the Identity Service's HTTP endpoint (container port 80).",
    check: portProblem,
  },
  httpsPort: {
    type: "integer",
    default: DEFAULTS.httpsPort,
    example: "8443",
    description: "Host port published for the Identity Service's HTTPS endpoint (container port 443).",
    check: portProblem,
  },
  listenAddress: {
    type: "string",
    default: DEFAULTS.listenAddress,
    example: "127.0.0.1",
    description: "Host address the ports are published on; 0.0.0.0 for every interface (as `docker run -p`).",
    check: (v: string) => (/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+$/i.test(v) ? undefined : "must be an IP address"),
  },
  publicUrl: {
    type: "string",
    example: "https://identity.example.com",
    description:
      "The Identity Service URL Creatio and browsers use. Default: https://localhost:<httpsPort>, which only this machine reaches: a Creatio in a container or on another machine needs another address.",
    check: httpUrlProblem,
  },
  logLevel: {
    type: "string",
    default: DEFAULTS.logLevel,
    example: "Warning",
    description: "Identity Service log level (Logging__LogLevel__Default).",
    check: oneOf(LOG_LEVELS),
  },
  redisConnection: {
    type: "string",
    secret: true,
    example: "redis.example.com:6379,password=...",
    description: "StackExchange.Redis connection string for machineKey protection; unset disables it.",
  },
  // --- Upgrades: database snapshots (docs/upgrade.md) --------------------------------------
  databaseSnapshotsToKeep: {
    type: "integer",
    default: DEFAULTS.databaseSnapshotsToKeep,
    example: "3",
    description: "PostgreSQL: snapshots of the Identity Service database to keep; one is taken before every image change, older ones are dropped. 0 takes none.",
    check: (v: number) => (v >= 0 ? undefined : "must be 0 or more"),
  },
  restoreDatabaseSnapshot: {
    type: "string",
    example: "snapshot_20261202064216_src_3f2a9c1b7d4e",
    description: "A snapshot to put back on the next `pulumi up` (stops the service, restores its tables in one transaction, starts it); done once. Remove the key afterwards.",
    check: (v: string) =>
      SNAPSHOT_NAME_PATTERN.test(v) ? undefined : "must be a snapshot name (snapshot_<yyyymmddhhmmss>_<image>); `pulumi stack output databaseSnapshots` lists them",
  },
} satisfies Record<string, ConfigKeySpec>;
