/** Config keys: Creatio's client: the OAuth client Creatio uses at the Identity Service. */
import { DEFAULTS } from "../../lib/defaults";
import { clientIdProblem, clientSecretProblem, httpUrlProblem } from "../../lib/validators";
import { ConfigKeySpec } from "./spec";

export const CLIENT_KEYS = {
  // --- Creatio and the client Creatio uses -------------------------------------------------
  creatioUrl: {
    type: "string",
    default: DEFAULTS.creatioUrl,
    example: "https://creatio.example.com",
    description: "Creatio's base URL as users' browsers see it; the client's redirect URIs are derived from it.",
    check: httpUrlProblem,
  },
  clientName: {
    type: "string",
    default: DEFAULTS.clientName,
    example: "Creatio production",
    description: "The Identity Service client's display name (ClientName).",
    check: (v: string) => (v.trim() ? undefined : "must not be empty"),
  },
  clientId: {
    type: "string",
    example: "a1b2c3d4e5f6g7h8",
    description: "Supply the client id (exactly 16 characters, no spaces). Generated (16 letters and digits) when unset.",
    check: clientIdProblem,
  },
  clientSecret: {
    type: "string",
    secret: true,
    example: "<32 or more characters>",
    description: "Supply the client secret (at least 32 characters, no spaces). Generated (32 letters and digits) when unset.",
    check: clientSecretProblem,
  },
  rotation: {
    type: "string",
    example: "2026-11",
    description:
      "Keeper for the generated client secret: change it (any new value) to rotate the secret on the next `pulumi up`. Removing it (`pulumi config rm rotation`) also rotates the secret.",
  },
} satisfies Record<string, ConfigKeySpec>;
