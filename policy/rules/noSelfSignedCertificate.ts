/**
 * no-self-signed-certificate-in-production: production stacks use a CA-issued certificate.
 */
import { X509Certificate } from "crypto";
import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { plainResource, productionStacksSchema, ProductionStacksConfig, report, stackContext } from "../adapter";
import { isProductionStack, isUnder, isUnknown, label, PlainResource, productionPrefix, RESOURCE_TYPES, reveal, StackContext, Violation } from "../resources";

/** Whether a PEM certificate is self-signed (issuer is the subject and its own key verifies it); undefined when it cannot be read. */
export function isSelfSignedPem(pem: string): boolean | undefined {
  try {
    const cert = new X509Certificate(pem);
    return cert.issuer === cert.subject && cert.verify(cert.publicKey);
  } catch {
    return undefined;
  }
}

const SUPPLY_A_CA_CERTIFICATE =
  "Supply your CA's certificate as a PFX: `pulumi config set certificatePfxFile <path>` (or `pulumi config set --secret certificatePfxBase64 <base64>`) and `pulumi config set --secret certificatePassword`.";

/**
 * No self-signed certificate on production stacks: a generated one (tls SelfSignedCert, or a
 * Certificate component with `selfSigned`) or a supplied PFX whose certificate signs itself.
 */
export function selfSignedCertificateViolations(resources: readonly PlainResource[], ctx: StackContext): Violation[] {
  if (!isProductionStack(ctx)) return [];
  const production = productionPrefix(ctx);
  const violations: Violation[] = [];
  for (const r of resources) {
    if (r.type === RESOURCE_TYPES.certificate) {
      const selfSigned = reveal(r.props.selfSigned);
      const pem = reveal(r.props.certificatePem);
      if (selfSigned === true) {
        violations.push({
          urn: r.urn,
          message: `${production}, but the certificate ${label(r)} is a generated self-signed one: browsers and Creatio will not trust it. ${SUPPLY_A_CA_CERTIFICATE}`,
        });
      } else if (typeof pem === "string" && !isUnknown(pem) && isSelfSignedPem(pem) === true) {
        violations.push({
          urn: r.urn,
          message: `${production}, but the supplied certificate of ${label(r)} is self-signed (its issuer is its subject): browsers and Creatio will not trust it. ${SUPPLY_A_CA_CERTIFICATE}`,
        });
      }
    } else if (r.type === RESOURCE_TYPES.selfSignedCert && !isUnder(r, RESOURCE_TYPES.certificate)) {
      violations.push({ urn: r.urn, message: `${production}, but ${label(r)} is a self-signed certificate: browsers and Creatio will not trust it. ${SUPPLY_A_CA_CERTIFICATE}` });
    }
  }
  return violations;
}

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
