/**
 * The pack's rule for Creatio's OAuth 2.0 integrated applications: on production stacks, no
 * application acts as an administrator (Creatio's guide recommends a user with only the rights the
 * application needs; a leaked client secret then cannot do everything an administrator can).
 *
 * How "administrator" is known, at every point a policy runs:
 * - `systemUserIsAdministrator`, an output of CreatioOAuthApplication: whether Creatio has the user
 *   in the System administrators role (SysAdminUnitInRole), as the last `up` or `refresh` found it.
 *   It covers every administrator, whatever the name, for applications the stack already has;
 * - the policy config `administratorUserNames` (default ["Supervisor"]): names known to be
 *   administrators, so that `pulumi preview` flags a new application, or a changed system user,
 *   before it is created (the output is not known until Creatio has been asked).
 * The rule is pure over plain resource data; the policy object at the end wires it to @pulumi/policy.
 */
import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { plainResource, productionStacksSchema, ProductionStacksConfig, report, stackContext } from "../adapter";
import { isProductionStack, isUnknown, PlainResource, productionPrefix, RESOURCE_TYPES, reveal, StackContext, Violation } from "../resources";

/** Default of the policy config `administratorUserNames`. */
export const DEFAULT_ADMINISTRATOR_USER_NAMES: readonly string[] = ["Supervisor"];

export interface ApplicationPolicyContext extends StackContext {
  /** Creatio login names that are administrators (case-insensitive). Default ["Supervisor"]. */
  readonly administratorUserNames?: readonly string[];
}

/** Applications on a production stack whose system user is an administrator, by either sign above. */
export function administratorSystemUserViolations(resources: readonly PlainResource[], ctx: ApplicationPolicyContext): Violation[] {
  if (!isProductionStack(ctx)) return [];
  const names = (ctx.administratorUserNames ?? DEFAULT_ADMINISTRATOR_USER_NAMES).map((n) => n.toLowerCase());
  const violations: Violation[] = [];
  for (const r of resources) {
    if (r.type !== RESOURCE_TYPES.creatioApplication) continue;
    const user = reveal(r.props.systemUser);
    const known = typeof user === "string" && !isUnknown(user);
    const listed = known && names.includes(user.toLowerCase());
    const member = reveal(r.props.systemUserIsAdministrator) === true;
    if (!listed && !member) continue;
    const app = reveal(r.props.name);
    const why = member
      ? "a member of Creatio's System administrators role (as Creatio reported at the last `pulumi up` or `refresh`)"
      : "listed in the policy config administratorUserNames";
    violations.push({
      urn: r.urn,
      message:
        `${productionPrefix(ctx)}, but the integrated application ${typeof app === "string" && !isUnknown(app) ? `"${app}" ` : ""}("${r.name}") ` +
        `acts as "${known ? user : "?"}", ${why}: anyone holding its client secret could do everything an administrator can in Creatio. ` +
        "Create a Creatio user with only the rights the application needs and set the application's systemUser to it (`pulumi config set --path 'creatioOAuthApplications[<n>].systemUser' <user>`).",
    });
  }
  return violations;
}

/** Config of no-administrator-as-application-user. */
export interface ApplicationUserConfig extends ProductionStacksConfig {
  /** Creatio login names known to be administrators (case-insensitive). Default ["Supervisor"]. */
  readonly administratorUserNames?: string[];
}

/**
 * A stack validation, so that it sees CreatioOAuthApplication's output systemUserIsAdministrator
 * (what Creatio says) for the applications the stack has, and the configured names for new ones.
 */
export const noAdministratorAsApplicationUser: StackValidationPolicy = {
  name: "no-administrator-as-application-user",
  description:
    "On production stacks no OAuth 2.0 integrated application acts as a Creatio administrator: a member of System administrators (as Creatio reports it) or a name in administratorUserNames.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      ...productionStacksSchema.properties,
      administratorUserNames: {
        type: "array" as const,
        items: { type: "string" as const },
        default: [...DEFAULT_ADMINISTRATOR_USER_NAMES],
        description: "Creatio login names known to be administrators (case-insensitive), so preview can flag an application before Creatio is asked.",
      },
    },
  },
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const config = args.getConfig<ApplicationUserConfig>();
    const ctx = { ...stackContext(config), administratorUserNames: config.administratorUserNames ?? DEFAULT_ADMINISTRATOR_USER_NAMES };
    report(administratorSystemUserViolations(args.resources.map(plainResource), ctx), reportViolation);
  },
};
