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
 * Pure over plain resource data, like rules.ts.
 */
import { isProductionStack, isUnknown, PlainResource, RESOURCE_TYPES, reveal, StackContext, Violation } from "./rules";

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
    const why = member ? "a member of Creatio's System administrators role (as Creatio reported at the last `pulumi up` or `refresh`)" : "listed in the policy config administratorUserNames";
    violations.push({
      urn: r.urn,
      message:
        `Stack "${ctx.stack}" is a production stack (policy config productionStacks), but the integrated application ${typeof app === "string" && !isUnknown(app) ? `"${app}" ` : ""}("${r.name}") ` +
        `acts as "${known ? user : "?"}", ${why}: anyone holding its client secret could do everything an administrator can in Creatio. ` +
        "Create a Creatio user with only the rights the application needs and set the application's systemUser to it (`pulumi config set --path 'creatioOAuthApplications[<n>].systemUser' <user>`).",
    });
  }
  return violations;
}
