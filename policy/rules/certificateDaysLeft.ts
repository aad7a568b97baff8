/**
 * certificate-days-left: every certificate keeps at least `minCertificateDaysLeft` days.
 */
import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { plainResource, report } from "../adapter";
import { isPfxBundle, isUnder, isUnknown, label, PlainResource, RESOURCE_TYPES, reveal, Violation } from "../resources";

/** Default of the policy config `minCertificateDaysLeft`. */
export const DEFAULT_MIN_CERTIFICATE_DAYS_LEFT = 30;

/** Config of certificate-days-left. */
export interface CertificateDaysConfig {
  /** Days a certificate must have left. Default 30. */
  readonly minCertificateDaysLeft?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function knownNumber(value: unknown): number | undefined {
  const v = reveal(value);
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function knownDate(value: unknown): Date | undefined {
  const v = reveal(value);
  if (typeof v !== "string" || isUnknown(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * Certificates must have at least `minDaysLeft` days left: the expiry of every certificate the stack
 * holds (the Certificate component's `expiresAt`; a PfxBundle's `notAfter` or a SelfSignedCert's
 * `validityEndTime` outside such a component), and for generated certificates a validity and an
 * early-renewal window that keep a renewed certificate above the minimum. Values not known yet
 * (a certificate about to be created or renewed) are skipped: `pulumi up` checks them.
 */
export function certificateDaysLeftViolations(resources: readonly PlainResource[], opts: { readonly minDaysLeft: number; readonly now: Date }): Violation[] {
  const min = opts.minDaysLeft;
  const violations: Violation[] = [];
  const checkExpiry = (r: PlainResource, expiry: Date | undefined) => {
    if (!expiry) return;
    const daysLeft = Math.floor((expiry.getTime() - opts.now.getTime()) / DAY_MS);
    if (daysLeft >= min) return;
    const state = daysLeft < 0 ? `expired on ${expiry.toISOString()}` : `expires on ${expiry.toISOString()}, in ${daysLeft} day(s)`;
    violations.push({
      urn: r.urn,
      message:
        `The certificate ${label(r)} ${state}; at least ${min} days must be left (policy config minCertificateDaysLeft). ` +
        `Supplied PFX: put the renewed one in place (certificatePfxFile or certificatePfxBase64) and run \`pulumi up\`. ` +
        `Generated certificate: \`pulumi up\` renews it once it is within certificateEarlyRenewalDays of expiry.`,
    });
  };
  for (const r of resources) {
    if (r.type === RESOURCE_TYPES.certificate) {
      checkExpiry(r, knownDate(r.props.expiresAt));
    } else if (isPfxBundle(r)) {
      if (!isUnder(r, RESOURCE_TYPES.certificate)) checkExpiry(r, knownDate(r.props.notAfter));
    } else if (r.type === RESOURCE_TYPES.selfSignedCert) {
      if (!isUnder(r, RESOURCE_TYPES.certificate)) checkExpiry(r, knownDate(r.props.validityEndTime));
      const validityHours = knownNumber(r.props.validityPeriodHours);
      if (validityHours !== undefined && validityHours < min * 24) {
        violations.push({
          urn: r.urn,
          message: `The self-signed certificate ${label(r)} is valid for ${Math.floor(validityHours / 24)} day(s), fewer than the ${min} days that must be left (policy config minCertificateDaysLeft). Raise certificateValidityDays.`,
        });
      }
      const earlyHours = knownNumber(r.props.earlyRenewalHours);
      if (earlyHours !== undefined && earlyHours < min * 24) {
        violations.push({
          urn: r.urn,
          message:
            `The self-signed certificate ${label(r)} is renewed only ${Math.floor(earlyHours / 24)} day(s) before it expires, so between runs it falls below the ${min} days that must be left ` +
            `(policy config minCertificateDaysLeft). Set certificateEarlyRenewalDays to at least ${min}.`,
        });
      }
    }
  }
  return violations;
}

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
