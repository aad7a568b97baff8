import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { DEFAULTS } from "../lib/defaults";
import { builtImageReference, parseImageReference } from "../lib/imageTag";

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
