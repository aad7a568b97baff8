/**
 * How the policy rules see resources: plain data as @pulumi/policy deserializes it, where a value not
 * known yet (preview) is one of Pulumi's unknown sentinel strings and, where the library keeps them
 * (only in remediations), a secret is a `Secret` instance. Validations see secrets as plain values.
 * The helpers here read that data; the names they look for come from their owners in lib/.
 */
import { Secret } from "@pulumi/policy";
import { IDENTITY_SERVICE_ENV } from "../lib/identityServiceEnv";
import { COMPONENT_TYPES, DYNAMIC_TYPES, GENERIC_DYNAMIC_TYPE, PROVIDER_TYPES } from "../lib/typeTokens";
import { isUnknownValue } from "../lib/unknownValues";

/** Type tokens of the resources the rules look at. */
export const RESOURCE_TYPES = {
  container: PROVIDER_TYPES.container,
  selfSignedCert: PROVIDER_TYPES.selfSignedCert,
  identityService: COMPONENT_TYPES.identityService,
  kubernetesIdentityService: COMPONENT_TYPES.kubernetesIdentityService,
  deployment: PROVIDER_TYPES.deployment,
  podDisruptionBudget: PROVIDER_TYPES.podDisruptionBudget,
  horizontalPodAutoscaler: PROVIDER_TYPES.horizontalPodAutoscaler,
  certificate: COMPONENT_TYPES.certificate,
  pfxBundle: DYNAMIC_TYPES.pfxBundle,
  /**
   * The type PfxBundle had before it got its own: Pulumi's generic dynamic type, shared with any other
   * dynamic resource, so told apart by its properties (isPfxBundle). A stack keeps it until its next
   * `pulumi up` moves the resource to the new type (through an alias, without a replacement).
   */
  pfxBundleLegacy: GENERIC_DYNAMIC_TYPE,
  identityClientSync: DYNAMIC_TYPES.identityClientSync,
  creatioIntegration: DYNAMIC_TYPES.creatioIntegration,
  creatioApplication: DYNAMIC_TYPES.creatioApplication,
} as const;

/** The Identity Service container's environment variables (names as Creatio's Docker guide gives them). */
export const ENV = IDENTITY_SERVICE_ENV;

/** Default of the policy config `productionStacks` (also declared in each policy's config schema). */
export const DEFAULT_PRODUCTION_STACKS: readonly string[] = ["prod", "production"];

/** One resource as the rules see it. */
export interface PlainResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  /** The parent's URN, if any. */
  readonly parent?: string;
  /** Inputs (resource validation) or outputs (stack validation), as described in the module comment. */
  readonly props: Record<string, unknown>;
}

/** A policy violation: what is wrong and how to fix it; `urn` says which resource (stack validations). */
export interface Violation {
  readonly message: string;
  readonly urn?: string;
}

/** The stack being checked and which stacks count as production. */
export interface StackContext {
  readonly stack: string;
  readonly productionStacks?: readonly string[];
}

/** Whether a value is Pulumi's placeholder for "not known until the resources it depends on exist". */
export function isUnknown(value: unknown): boolean {
  return isUnknownValue(value);
}

/** Thrown by a resource rule that needs a value not known yet; the adapter turns it into @pulumi/policy's advisory. */
export class UnknownValue extends Error {
  constructor(
    /** Property path, e.g. `envs`. */
    readonly path: string,
    /** The sentinel found (so the library can name the kind of value). */
    readonly sentinel: string,
  ) {
    super(`${path} is not known until the resources it depends on exist`);
    this.name = "UnknownValue";
  }
}

/** Whether a value is a secret as @pulumi/policy represents it in remediations. */
export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** The value with every secret wrapper removed, at any depth. */
export function reveal(value: unknown): unknown {
  if (isSecret(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  }
  return value;
}

/** The first unknown sentinel in a value, at any depth. */
export function findUnknown(value: unknown): string | undefined {
  if (isUnknown(value)) return value as string;
  const children = Array.isArray(value) ? value : value !== null && typeof value === "object" ? Object.values(value) : [];
  for (const v of children) {
    const found = findUnknown(v);
    if (found) return found;
  }
  return undefined;
}

/** The revealed value, or UnknownValue when any part of it is not known yet. */
export function known(value: unknown, path: string): unknown {
  const plain = reveal(value);
  const sentinel = findUnknown(plain);
  if (sentinel) throw new UnknownValue(path, sentinel);
  return plain;
}

/** The type tokens of a URN's parent chain and the resource itself (`urn:pulumi:stack::project::A$B$C::name`). */
export function urnTypeChain(urn: string): string[] {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[2].split("$") : [];
}

/** Whether a resource is a child (at any depth) of a component of the given type. */
export function isUnder(r: PlainResource, componentType: string): boolean {
  return urnTypeChain(r.urn).slice(0, -1).includes(componentType);
}

/** Whether the stack is one of the production stacks (case-insensitive); `productionStacks` defaults to prod, production. */
export function isProductionStack(ctx: StackContext): boolean {
  const stacks = ctx.productionStacks ?? DEFAULT_PRODUCTION_STACKS;
  return stacks.some((s) => s.toLowerCase() === ctx.stack.toLowerCase());
}

/** How production violations begin. */
export function productionPrefix(ctx: StackContext): string {
  return `Stack "${ctx.stack}" is a production stack (policy config productionStacks)`;
}

/** `KEY=value` strings (a container's `envs`) as a map; the value is everything after the first `=`. */
export function parseEnvs(envs: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(envs)) return map;
  for (const entry of envs) {
    if (typeof entry !== "string") continue;
    const eq = entry.indexOf("=");
    if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}

/**
 * Whether a container is an Identity Service: a child of the IdentityService component, or (built by
 * hand) one whose environment carries both `DbProvider` and `Clients`.
 */
export function isIdentityServiceContainer(r: PlainResource): boolean {
  if (r.type !== RESOURCE_TYPES.container) return false;
  if (isUnder(r, RESOURCE_TYPES.identityService)) return true;
  const envs = reveal(r.props.envs);
  if (findUnknown(envs)) return false;
  const env = parseEnvs(envs);
  return env.has(ENV.dbProvider) && env.has(ENV.clients);
}

/**
 * Whether a resource is a PfxBundle: its own type, or (a stack not yet moved to it) the generic
 * dynamic type with a PFX's inputs (key, certificate, password) or outputs.
 */
export function isPfxBundle(r: PlainResource): boolean {
  if (r.type === RESOURCE_TYPES.pfxBundle) return true;
  if (r.type !== RESOURCE_TYPES.pfxBundleLegacy) return false;
  const has = (k: string) => k in r.props;
  return (has("privateKeyPem") && has("certificatePem") && has("password")) || (has("pfxBase64") && has("notAfter"));
}

/** A container's environment; UnknownValue while it is not known. */
export function containerEnv(r: PlainResource): Map<string, string> {
  return parseEnvs(known(r.props.envs, "envs"));
}

/** Whether a resource is one of this package's Creatio resources (they log in to Creatio's API). */
export function isCreatioResource(r: PlainResource): boolean {
  return r.type === RESOURCE_TYPES.creatioIntegration || r.type === RESOURCE_TYPES.creatioApplication;
}

/** How a resource is named in messages. */
export function label(r: PlainResource): string {
  return `"${r.name}"`;
}
