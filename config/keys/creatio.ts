/** Config keys: Switching Creatio over, and its OAuth 2.0 integrated applications. */
import { GUID_PATTERN } from "../../lib/creatio/constants";
import { DEFAULTS } from "../../lib/defaults";
import { httpUrlProblem, positiveProblem } from "../../lib/validators";
import { ConfigKeySpec } from "./spec";

export const CREATIO_KEYS = {
  // --- Creatio integration (post-deploy) ---------------------------------------------------
  creatioIntegration: {
    type: "boolean",
    default: DEFAULTS.creatioNetCore,
    example: "true",
    description: "Switch Creatio over to the Identity Service after it runs: enable OAuth20Integration and write the three system settings.",
  },
  creatioUsername: {
    type: "string",
    default: DEFAULTS.creatioUsername,
    example: "Supervisor",
    description: "creatioIntegration: a Creatio administrator's user name.",
  },
  creatioPassword: {
    type: "string",
    secret: true,
    example: "<Creatio password>",
    description: "creatioIntegration: that user's password.",
  },
  creatioNetCore: {
    type: "boolean",
    default: DEFAULTS.creatioNetCore,
    example: "true",
    description: "creatioIntegration: true for Creatio on .NET 6/8 (API at the site root); false for .NET Framework (API under /0).",
  },
  creatioCreateDefaultResource: {
    type: "boolean",
    default: DEFAULTS.creatioCreateDefaultResource,
    example: "false",
    description: 'creatioIntegration: create Creatio\'s default OAuth resource ("Application access", which integrated applications need) when it has none.',
  },
  creatioFeatureAdminUnitIds: {
    type: "array",
    default: DEFAULTS.creatioFeatureAdminUnitIds,
    example: '["a29a3ba5-4b0d-de11-9a51-005056c00008"]',
    description: "creatioIntegration: the roles/users OAuth20Integration is enabled for (default: All employees).",
    check: (v: string[]) => (v.length > 0 && v.every((id) => GUID_PATTERN.test(id)) ? undefined : "must be a non-empty list of GUIDs"),
  },
  identityServerUrlForCreatio: {
    type: "string",
    example: "http://creatio-identity-service",
    description: "creatioIntegration: the Identity Service URL as Creatio's server reaches it. Default: publicUrl.",
    check: httpUrlProblem,
  },
  identityServerCaPem: {
    type: "string",
    example: '"$(cat internal-ca.pem)"',
    description:
      "creatioIntegration: the CA certificate(s), PEM, that signed a supplied certificate (an internal CA), trusted by this stack's checks of the Identity Service on top of the system's CAs. The stack's own self-signed certificate is trusted without it. Creatio's server must trust the same CA (README, \"The HTTPS certificate\").",
    check: (v: string) => {
      const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
      const blocks = v.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0) return "must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ...)";
      try {
        for (const b of blocks) new X509Certificate(b);
        return undefined;
      } catch {
        return "holds a PEM block that is not a readable certificate";
      }
    },
  },
  readinessTimeoutSeconds: {
    type: "integer",
    default: DEFAULTS.readinessTimeoutSeconds,
    example: "300",
    description: "creatioIntegration: how long to wait for the Identity Service to issue a token before failing.",
    check: positiveProblem,
  },
  // --- Creatio's OAuth 2.0 integrated applications (lib/creatioApplicationsConfig.ts) ------
  creatioOAuthApplications: {
    type: "array",
    items: "object",
    default: [],
    example: "Billing",
    description:
      'creatioIntegration: OAuth 2.0 integrated applications to create in Creatio, a list of { key, name, applicationUrl, systemUser, redirectUrl?, description?, active?, rotation? }; `key` (letters, digits, - and _; default: the name) names each for life, so a new name keeps its client; their credentials are the creatioOAuthApplications output, by key (README, "OAuth 2.0 integrated applications").',
  },
} satisfies Record<string, ConfigKeySpec>;
