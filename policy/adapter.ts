/**
 * The bridge between the pure rules and @pulumi/policy: plain resource data out of the library's
 * proxies, violations reported, a value not known yet turned into the library's advisory, the stack
 * name and the shared `productionStacks` config.
 */
import * as pulumi from "@pulumi/pulumi";
import { PolicyResource, ReportViolation, ResourceValidationArgs, UnknownValueError } from "@pulumi/policy";
import { DEFAULT_PRODUCTION_STACKS, PlainResource, StackContext, UnknownValue, Violation } from "./resources";

/** Config of the policies that apply to production stacks only. */
export interface ProductionStacksConfig {
  /** Stack names (case-insensitive) that count as production. Default ["prod", "production"]. */
  readonly productionStacks?: string[];
}

/** The config schema of `productionStacks`, shared by every production-only policy. */
export const productionStacksSchema = {
  properties: {
    productionStacks: {
      type: "array" as const,
      items: { type: "string" as const },
      default: [...DEFAULT_PRODUCTION_STACKS],
      description: "Stack names (case-insensitive) that count as production.",
    },
  },
};

/**
 * @pulumi/policy hands props wrapped in proxies that throw on unknown values and, in remediations,
 * hide which values are secret. The rules want the data underneath (unknowns as sentinels, secrets
 * as Secret instances). The proxies answer these two (internal) property names; plain data does not.
 */
function underlying(props: unknown): Record<string, unknown> {
  let value = props as Record<string, unknown>;
  while (value !== null && typeof value === "object" && value["__isSpecialProxy"] === true) {
    value = value["__getSpecialProxyTarget"] as Record<string, unknown>;
  }
  return value;
}

export function plainResource(args: ResourceValidationArgs | PolicyResource): PlainResource {
  return { type: args.type, urn: args.urn, name: args.name, parent: args.opts?.parent, props: underlying(args.props) };
}

export function report(violations: Violation[], reportViolation: ReportViolation): void {
  for (const v of violations) reportViolation(v.message, v.urn);
}

/** Runs a resource rule; a value not known yet becomes @pulumi/policy's "can't run during preview" advisory. */
export function resourceRule(rule: (r: PlainResource, args: ResourceValidationArgs) => Violation[]) {
  return (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
    try {
      report(rule(plainResource(args), args), reportViolation);
    } catch (e) {
      if (e instanceof UnknownValue) throw new UnknownValueError(e.sentinel, e.path.split("."));
      throw e;
    }
  };
}

/** The stack being previewed or updated (the CLI gives policy packs PULUMI_NODEJS_STACK). */
export function stackContext(config: ProductionStacksConfig): StackContext {
  return { stack: pulumi.getStack(), productionStacks: config.productionStacks ?? DEFAULT_PRODUCTION_STACKS };
}
