/**
 * The policies of the creatio-identity pack: the rules of rules.ts wired to @pulumi/policy (names,
 * enforcement levels, config schemas, the stack name). index.ts hands this array to PolicyPack;
 * tests import it directly, because constructing a PolicyPack starts the analyzer's gRPC server.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  UnknownValueError,
} from "@pulumi/policy";
import {
  certificateDaysLeftViolations,
  databaseTlsViolations,
  creatioApiTlsViolations,
  DEFAULT_MIN_CERTIFICATE_DAYS_LEFT,
  DEFAULT_PRODUCTION_STACKS,
  identityServiceHttpsViolations,
  oneIdentityServicePerCreatioViolations,
  PlainResource,
  secretSensitiveValues,
  selfSignedCertificateViolations,
  UnknownValue,
  Violation,
} from "./rules";
import { administratorSystemUserViolations, DEFAULT_ADMINISTRATOR_USER_NAMES } from "./applications";

/** The pack's name, as `pulumi preview` reports it. */
export const POLICY_PACK_NAME = "creatio-identity";

/** Config of the policies that apply to production stacks only. */
export interface ProductionStacksConfig {
  /** Stack names (case-insensitive) that count as production. Default ["prod", "production"]. */
  readonly productionStacks?: string[];
}

/** Config of certificate-days-left. */
export interface CertificateDaysConfig {
  /** Days a certificate must have left. Default 30. */
  readonly minCertificateDaysLeft?: number;
}

const productionStacksSchema = {
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

function plainResource(args: ResourceValidationArgs | PolicyResource): PlainResource {
  return { type: args.type, urn: args.urn, name: args.name, parent: args.opts?.parent, props: underlying(args.props) };
}

function report(violations: Violation[], reportViolation: ReportViolation): void {
  for (const v of violations) reportViolation(v.message, v.urn);
}

/** Runs a resource rule; a value not known yet becomes @pulumi/policy's "can't run during preview" advisory. */
function resourceRule(rule: (r: PlainResource, args: ResourceValidationArgs) => Violation[]) {
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
function stackContext(config: ProductionStacksConfig) {
  return { stack: pulumi.getStack(), productionStacks: config.productionStacks ?? DEFAULT_PRODUCTION_STACKS };
}

export const identityServiceHttps: ResourceValidationPolicy = {
  name: "identity-service-https",
  description: "The Identity Service container serves HTTPS: ASPNETCORE_URLS has an https:// address, Kestrel has a certificate, and the HTTPS port is published.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: resourceRule((r) => identityServiceHttpsViolations(r)),
};

export const noSelfSignedCertificateInProduction: StackValidationPolicy = {
  name: "no-self-signed-certificate-in-production",
  description: "Production stacks use a CA-issued certificate, not a self-signed one (generated or supplied).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: productionStacksSchema,
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const ctx = stackContext(args.getConfig<ProductionStacksConfig>());
    report(selfSignedCertificateViolations(args.resources.map(plainResource), ctx), reportViolation);
  },
};

export const certificateDaysLeft: StackValidationPolicy = {
  name: "certificate-days-left",
  description: "Every certificate has at least minCertificateDaysLeft days left, and generated ones are valid and renewed early enough to stay above it.",
  enforcementLevel: "mandatory",
  severity: "medium",
  configSchema: {
    properties: {
      minCertificateDaysLeft: {
        type: "integer",
        minimum: 0,
        default: DEFAULT_MIN_CERTIFICATE_DAYS_LEFT,
        description: "Days a certificate must have left before it expires.",
      },
    },
  },
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const minDaysLeft = args.getConfig<CertificateDaysConfig>().minCertificateDaysLeft ?? DEFAULT_MIN_CERTIFICATE_DAYS_LEFT;
    report(certificateDaysLeftViolations(args.resources.map(plainResource), { minDaysLeft, now: new Date() }), reportViolation);
  },
};

export const databaseTlsInProduction: ResourceValidationPolicy = {
  name: "database-tls-in-production",
  description: "On production stacks no database connection turns TLS off (SSL Mode=Disable/Allow, Encrypt=false, sslmode=disable).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: productionStacksSchema,
  validateResource: resourceRule((r, args) => databaseTlsViolations(r, stackContext(args.getConfig<ProductionStacksConfig>()))),
};

export const creatioApiTlsInProduction: ResourceValidationPolicy = {
  name: "creatio-api-tls-in-production",
  description: "On production stacks the Creatio integration reaches Creatio's API over https:// (it logs in as an administrator and writes the client secret).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: productionStacksSchema,
  validateResource: resourceRule((r, args) => creatioApiTlsViolations(r, stackContext(args.getConfig<ProductionStacksConfig>()))),
};

/**
 * @pulumi/policy 1.21 shows a validation every secret as plain text, with no mark, so a validation
 * cannot tell a secret from a plain value; only a remediation receives the marks. This policy is
 * therefore a remediation: it makes every plain sensitive value a secret before the engine stores it.
 */
export const sensitiveValuesAreSecrets: ResourceValidationPolicy = {
  name: "sensitive-values-are-secrets",
  description:
    "The Kestrel certificate password, the client secret (the Clients JSON and clientSecret), connection strings and the PFX are Pulumi secrets; any that is not is made one (remediation).",
  enforcementLevel: "remediate",
  severity: "high",
  remediateResource: (args: ResourceValidationArgs) => secretSensitiveValues(plainResource(args)),
};

export const oneIdentityServicePerCreatio: StackValidationPolicy = {
  name: "one-identity-service-per-creatio",
  description: "One Identity Service per Creatio instance: no two Identity Services, and no two Creatio integrations, for the same Creatio URL.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    report(oneIdentityServicePerCreatioViolations(args.resources.map(plainResource)), reportViolation);
  },
};

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

/** Every policy of the pack, in the order `pulumi preview` lists them. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  identityServiceHttps,
  noSelfSignedCertificateInProduction,
  certificateDaysLeft,
  databaseTlsInProduction,
  creatioApiTlsInProduction,
  sensitiveValuesAreSecrets,
  oneIdentityServicePerCreatio,
  noAdministratorAsApplicationUser,
];
