/** Reads the running stack's config through Pulumi's runtime and validates it. */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./parse";
import { StackConfig } from "./types";

/**
 * Which config keys were set with `--secret`. The SDK knows (runtime/config `isConfigSecret`, which
 * reads the engine's list of secret keys from the program's store) but leaves it out of its type
 * declarations; it is the one internal this package relies on, so it is reached here only.
 */
function secretKeysOf(keys: readonly string[]): Set<string> {
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtimeConfig.isConfigSecret !== "function") {
    throw new Error("@pulumi/pulumi no longer exports runtime/config isConfigSecret: pin the @pulumi/pulumi version package.json names");
  }
  return new Set(keys.filter((k) => runtimeConfig.isConfigSecret!(k)));
}

/** The running stack's configuration, validated (see parseStackConfig). */
export function loadStackConfig(projectDir: string = process.cwd()): StackConfig {
  const values = pulumi.runtime.allConfig();
  return parseStackConfig({ values, secretKeys: secretKeysOf(Object.keys(values)), projectDir });
}
