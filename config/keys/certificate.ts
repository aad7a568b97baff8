/** Config keys: the Identity Service's HTTPS certificate. */
import { DEFAULTS } from "../../lib/defaults";
import { dnsNamesProblem, positiveProblem } from "../../lib/validators";
import { ConfigKeySpec } from "./spec";

export const CERTIFICATE_KEYS = {
  // --- Certificate -------------------------------------------------------------------------
  certificatePfxBase64: {
    type: "string",
    secret: true,
    example: "$(base64 -w0 identity.pfx)",
    description: "A supplied PFX (base64). Unset (with certificatePfxFile unset): a self-signed certificate is made.",
    check: (v: string) => (/^[A-Za-z0-9+/\s]+=*$/.test(v) ? undefined : "must be base64 (for example `base64 -w0 identity.pfx`)"),
  },
  certificatePfxFile: {
    type: "string",
    example: "./certs/identity.pfx",
    description: "Path of a supplied PFX file, relative to the project folder (alternative to certificatePfxBase64).",
  },
  certificatePassword: {
    type: "string",
    secret: true,
    example: "<the PFX password>",
    description: "Password of the supplied PFX. Required with certificatePfxBase64 or certificatePfxFile.",
  },
  certificateDnsNames: {
    type: "array",
    default: DEFAULTS.certificateDnsNames,
    example: '["identity.example.com"]',
    description: "Self-signed certificate: DNS names (the public URL's host name is added).",
    check: dnsNamesProblem,
  },
  certificateValidityDays: {
    type: "integer",
    default: DEFAULTS.certificateValidityDays,
    example: "365",
    description: "Self-signed certificate: validity in days.",
    check: positiveProblem,
  },
  certificateEarlyRenewalDays: {
    type: "integer",
    default: DEFAULTS.certificateEarlyRenewalDays,
    example: "30",
    description: "Self-signed certificate: a `pulumi up` this many days (or fewer) before expiry renews it.",
    check: (v: number) => (v >= 0 ? undefined : "must be zero or more"),
  },
} satisfies Record<string, ConfigKeySpec>;
