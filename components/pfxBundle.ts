import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "./declaredDynamicResource";
import { isUnknownValue } from "../lib/unknownValues";
import { DYNAMIC_TYPE_NAMES, DYNAMIC_TYPES, GENERIC_DYNAMIC_TYPE } from "../lib/typeTokens";
import { buildPfx, pfxInputProblems } from "../lib/pfx";
import { changedInputs, DynamicOutputs, DynamicResourceSpec } from "../lib/dynamicResource";

/**
 * PfxBundle builds the PKCS#12 (PFX) for a key and certificate once and keeps it in state.
 *
 * A PKCS#12 is random-salted: building it in the program would give new bytes on every run and
 * restart the Identity Service container on every `pulumi up`. This resource builds it at create,
 * and again only when the key, the certificate or the password change (an update), so a re-run
 * with the same inputs plans nothing and the container's PFX stays byte-identical.
 */

/** PfxBundle's inputs, resolved (what the provider receives). */
export interface PfxBundleInputs {
  /** The RSA private key, PEM. */
  readonly privateKeyPem: string;
  /** The certificate for the key, PEM. */
  readonly certificatePem: string;
  /** The PFX password (printable ASCII). */
  readonly password: string;
}

/** PfxBundle's state: its inputs plus the PFX built from them. */
export interface PfxBundleOutputs extends PfxBundleInputs {
  /** The PFX, base64. */
  readonly pfxBase64: string;
  /** The certificate's expiry, ISO 8601 (UTC). */
  readonly notAfter: string;
}

/** The diff result, with the inputs that differ (for tests and debugging; the engine shows its own diff). */
export interface PfxBundleDiffResult extends pulumi.dynamic.DiffResult {
  readonly changedKeys: string[];
}

/** The Pulumi type token of the resource (what the engine and a mock engine record). */
export const PFX_BUNDLE_TYPE = DYNAMIC_TYPES.pfxBundle;

/**
 * The type earlier versions registered PfxBundle under (Pulumi's generic dynamic resource type).
 * PfxBundle keeps it as an alias, so a stack created with it moves to the new type in place: no
 * replacement, the same PFX bytes, no container restart.
 */
export const PFX_BUNDLE_LEGACY_TYPE = GENERIC_DYNAMIC_TYPE;

/** Every property of PfxBundle, declared once (lib/dynamicResource.ts): a change of any input rebuilds the PFX. */
export const PFX_BUNDLE_PROPERTIES = {
  inputs: { privateKeyPem: { secret: true }, certificatePem: {}, password: { secret: true } },
  outputs: { pfxBase64: { secret: true }, notAfter: {} },
} satisfies DynamicResourceSpec<PfxBundleInputs, PfxBundleOutputs>;

/** Input problems as Pulumi check failures; unknown values are skipped, messages never carry a value. */
function inputFailures(news: Record<string, unknown>): pulumi.dynamic.CheckFailure[] {
  const known = (value: unknown) => (isUnknownValue(value) ? undefined : (value ?? ""));
  return pfxInputProblems({
    privateKeyPem: known(news.privateKeyPem),
    certificatePem: known(news.certificatePem),
    password: known(news.password),
  }).map((p) => ({ property: p.property, reason: `PfxBundle: ${p.reason}` }));
}

/** Builds the PFX and the state that keeps it. */
function build(inputs: PfxBundleInputs, iterations: number | undefined): PfxBundleOutputs {
  const { X509Certificate } = require("crypto");
  const pfx = buildPfx({ privateKeyPem: inputs.privateKeyPem, certificatePem: inputs.certificatePem, password: inputs.password, iterations });
  return {
    privateKeyPem: inputs.privateKeyPem,
    certificatePem: inputs.certificatePem,
    password: inputs.password,
    pfxBase64: pfx.toString("base64"),
    notAfter: new Date(new X509Certificate(inputs.certificatePem).validTo).toISOString(),
  };
}

/** How the provider builds PFX files; PfxBundle always uses the defaults. */
export interface PfxBundleProviderOptions {
  /** Key-derivation iterations (buildPfx); default PFX_ITERATIONS. Tests lower it to build in milliseconds. */
  readonly iterations?: number;
}

/**
 * The dynamic provider. The PFX lives only in state: read returns the state as it is, delete has
 * nothing outside it to remove.
 */
export function pfxBundleProviderWith(options: PfxBundleProviderOptions): pulumi.dynamic.ResourceProvider<PfxBundleInputs, PfxBundleOutputs> {
  return {
    async check(_olds: PfxBundleInputs, news: PfxBundleInputs): Promise<pulumi.dynamic.CheckResult<PfxBundleInputs>> {
      const failures = inputFailures(news as unknown as Record<string, unknown>);
      return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
    },

    async diff(_id: pulumi.ID, olds: PfxBundleOutputs, news: PfxBundleInputs): Promise<PfxBundleDiffResult> {
      // An unknown new value (preview) differs from the old one, so it counts as a change.
      const changedKeys = changedInputs(PFX_BUNDLE_PROPERTIES, olds, news);
      return { changes: changedKeys.length > 0, replaces: [], deleteBeforeReplace: false, changedKeys };
    },

    async create(inputs: PfxBundleInputs): Promise<pulumi.dynamic.CreateResult<PfxBundleOutputs>> {
      const { randomUUID } = require("crypto");
      return { id: randomUUID(), outs: build(inputs, options.iterations) };
    },

    async update(_id: pulumi.ID, _olds: PfxBundleOutputs, news: PfxBundleInputs): Promise<pulumi.dynamic.UpdateResult<PfxBundleOutputs>> {
      return { outs: build(news, options.iterations) };
    },

    async read(id: pulumi.ID, props?: PfxBundleOutputs): Promise<pulumi.dynamic.ReadResult<PfxBundleOutputs>> {
      // `pulumi import` (or the `import` option) reads with no state: there is nothing outside
      // Pulumi's state to read the PFX from, and an empty answer would record a resource without one.
      if (!props || typeof props.pfxBase64 !== "string" || props.pfxBase64 === "") {
        throw new Error(
          `PfxBundle ${id} cannot be imported or read without its state: the PFX it builds exists only in Pulumi's state. ` +
            "Remove the import (the `import` resource option or `pulumi import`) and run `pulumi up`, which builds a new PFX from the key and certificate.",
        );
      }
      return { id, props };
    },

    async delete(): Promise<void> {
      // Nothing outside the state.
    },
  };
}

/** The provider PfxBundle registers with: PFX files with the full iteration count. */
export const pfxBundleProvider = pfxBundleProviderWith({});

/** Arguments of PfxBundle. */
export interface PfxBundleArgs {
  /** The RSA private key, PEM (e.g. `tls.PrivateKey.privateKeyPem`). */
  readonly privateKeyPem: pulumi.Input<string>;
  /** The certificate for the key, PEM (e.g. `tls.SelfSignedCert.certPem`). */
  readonly certificatePem: pulumi.Input<string>;
  /** The PFX password: printable ASCII. */
  readonly password: pulumi.Input<string>;
}

/**
 * A PFX (AES-256 PKCS#12) built once from a key and certificate and kept in state.
 * `pfxBase64`, `privateKeyPem` and `password` are secret outputs.
 */
// Its outputs are PfxBundleOutputs' properties, which pulumi.dynamic.Resource sets at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface PfxBundle extends DynamicOutputs<PfxBundleOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PfxBundle extends DeclaredDynamicResource {
  constructor(name: string, args: PfxBundleArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = { privateKeyPem: args.privateKeyPem, certificatePem: args.certificatePem, password: args.password };
    // The alias moves stacks made before PfxBundle had its own type to it without a replacement.
    super(pfxBundleProvider, PFX_BUNDLE_PROPERTIES, DYNAMIC_TYPE_NAMES.pfxBundle, name, inputs, pulumi.mergeOptions(opts, { aliases: [{ type: PFX_BUNDLE_LEGACY_TYPE }] }));
  }
}
