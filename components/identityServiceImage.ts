import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { DEFAULTS } from "../lib/defaults";
import { builtImageReference, parseImageReference } from "../lib/imageTag";
import type { DbProvider } from "../lib/connectionString";
import type { SnapshotInfo } from "../lib/databaseSnapshots";
import { IdentityDatabaseSnapshot, IdentityDatabaseSnapshotArgs } from "./identityDatabaseSnapshot";

/**
 * Where the Identity Service's image comes from, for both platforms: built from the unpacked
 * IdentityService.zip (`Dockerfile-OAuth`) under its content tag, or a given image. Not a component:
 * its resource is the `${name}-image` child of the component that runs the image, as it always was.
 */
export interface IdentityServiceImageArgs {
  /** A prebuilt Identity Service image to run. Mutually exclusive with `sourceDir`. */
  readonly image?: pulumi.Input<string>;
  /** Folder of the unpacked IdentityService.zip; the image is built from its `Dockerfile-OAuth`. */
  readonly sourceDir?: string;
  /**
   * Repository of the image built from `sourceDir`, default "creatio-identity-service". The tag is
   * the folder's content tag (`src-<12 hex>`, lib/imageTag.ts), so each version built stays
   * addressable as `<repository>:src-...`. A name that already has a tag is used as it is.
   */
  readonly imageName?: string;
}

/** Where the image goes: the local engine (Docker platform), or a registry the cluster pulls from. */
export type ImageDestination =
  | { readonly kind: "localEngine" }
  | {
      readonly kind: "registry";
      /** The registry's login, when it needs one: the built image is pushed with it. */
      readonly registry?: { readonly server: pulumi.Input<string>; readonly username: pulumi.Input<string>; readonly password: pulumi.Input<string> };
    };

export interface IdentityServiceImage {
  /** The reference users type (`pulumi config set image <this>`): the given image, or `<repository>:src-...`. */
  readonly image: pulumi.Output<string>;
  /** The exact reference to run: an id or digest, so a rebuilt image under the same tag changes it. */
  readonly imageRef: pulumi.Output<string>;
}

/** Builds (or finds) the image as `${name}-image`, a child of `parent`. Throws unless exactly one of image and sourceDir is set. */
export function identityServiceImage(name: string, args: IdentityServiceImageArgs, destination: ImageDestination, parent: pulumi.Resource): IdentityServiceImage {
  if ((args.image === undefined) === (args.sourceDir === undefined)) {
    throw new Error(`${name}: set exactly one of image (a prebuilt image) or sourceDir (the unpacked IdentityService.zip with Dockerfile-OAuth).`);
  }
  if (args.sourceDir !== undefined) {
    const repository = args.imageName ?? DEFAULTS.imageRepository;
    const tagged = parseImageReference(repository).tag !== undefined ? repository : builtImageReference(repository, args.sourceDir);
    const push = destination.kind === "registry";
    const built = new docker.Image(
      `${name}-image`,
      {
        build: { context: args.sourceDir, dockerfile: path.join(args.sourceDir, "Dockerfile-OAuth") },
        imageName: tagged,
        skipPush: !push,
        ...(push && destination.registry ? { registry: destination.registry } : {}),
      },
      { parent },
    );
    // repoDigest changes with every rebuilt image, so what runs it follows; older engines leave it
    // empty for unpushed images, and then the tag is all there is.
    return { image: pulumi.output(tagged), imageRef: pulumi.all([built.repoDigest, built.imageName]).apply(([digest, tag]) => digest || tag) };
  }
  const given = pulumi.output(args.image!);
  // The cluster pulls the image itself; nothing to find here.
  if (destination.kind === "registry") return { image: given, imageRef: given };
  // An older image built by this package is still in the local engine: RemoteImage finds it there before pulling.
  const pulled = new docker.RemoteImage(`${name}-image`, { name: args.image!, keepLocally: true }, { parent });
  return { image: given, imageRef: pulled.imageId };
}

/** What both services take for their database's snapshots (IdentityDatabaseSnapshot). */
export interface ServiceSnapshotArgs {
  /** The database as the machine running Pulumi reaches it (Npgsql syntax for Postgres). Secret. */
  readonly connectionString: pulumi.Input<string>;
  readonly keep?: pulumi.Input<number>;
  readonly restore?: pulumi.Input<string | undefined>;
  /** What `pulumi destroy` leaves of the database (IdentityDatabase keptOnDelete), said when it runs. */
  readonly keptOnDelete?: pulumi.Input<string | undefined>;
}

/** The service's image and snapshots, once `snapshotBeforeImageChanges` has put the snapshot between them. */
export interface SnapshottedImage {
  /** The image reference to run: the snapshot resource's recorded one, so no image change happens without a snapshot. */
  readonly imageToRun: pulumi.Output<string>;
  readonly previousImage: pulumi.Output<string | undefined>;
  readonly databaseSnapshots: pulumi.Output<SnapshotInfo[]>;
  readonly snapshot?: IdentityDatabaseSnapshot;
}

/**
 * Puts IdentityDatabaseSnapshot (`${name}-db-snapshot`, a child of `parent`) between the image and
 * the service that runs it: the service takes its image from the snapshot resource, which copies
 * the database first. Without `snapshots`, the image goes straight to the service. `workload` says
 * where the running service is, for a declared restore.
 */
export function snapshotBeforeImageChanges(
  name: string,
  parent: pulumi.Resource,
  image: IdentityServiceImage,
  dbProvider: pulumi.Input<DbProvider>,
  snapshots: ServiceSnapshotArgs | undefined,
  workload: Pick<IdentityDatabaseSnapshotArgs, "containerName" | "dockerHost" | "dockerConnection" | "kubernetes" | "healthTimeoutSeconds">,
): SnapshottedImage {
  if (!snapshots) return { imageToRun: image.imageRef, previousImage: pulumi.output<string | undefined>(undefined), databaseSnapshots: pulumi.output<SnapshotInfo[]>([]) };
  const snapshot = new IdentityDatabaseSnapshot(`${name}-db-snapshot`, { dbProvider, ...snapshots, image: image.image, containerImage: image.imageRef, ...workload }, { parent });
  return {
    // Given above (containerImage), so always set.
    imageToRun: snapshot.containerImage as pulumi.Output<string>,
    previousImage: snapshot.previousImage,
    databaseSnapshots: snapshot.snapshots.apply((list) => list ?? []),
    snapshot,
  };
}
