/** Config keys: Creatio's client: the OAuth client Creatio uses at the Identity Service. */
import { DEFAULTS } from "../../lib/defaults";
import { clientIdProblem, clientSecretProblem, creatioUrlProblem } from "../../lib/validators";
import { ConfigKeySpec } from "./spec";

export const CLIENT_KEYS = {
  // --- Creatio and the client Creatio uses -------------------------------------------------
  creatioUrl: {
    type: "string",
    default: DEFAULTS.creatioUrl,
    example: "https://creatio.example.com",
    description:
      "Creatio's site root as users' browsers see it (https://creatio.example.com, not .../0, the .NET Framework application path); the client's redirect URIs are derived from it.",
    check: creatioUrlProblem,
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
    description:
      "Supply the client id (exactly 16 characters, no spaces: Creatio's guide's example \"Id Service User\" is refused, because OAuth clients send the id form-encoded, where a space becomes +, and in HTTP Basic headers, and hand-made requests get that wrong). Generated (16 letters and digits) when unset.",
    check: clientIdProblem,
  },
  clientSecret: {
    type: "string",
    secret: true,
    example: "<32 or more characters>",
    description:
      "Supply the client secret (at least 32 characters, no spaces: the guide's example \"It Is My Password For Identity Service.\" is refused for the same reason as clientId's spaces). Generated (32 letters and digits) when unset.",
    check: clientSecretProblem,
  },
  rotation: {
    type: "string",
    example: "2026-11",
    description:
      "Keeper for the generated client secret: change it (any new value) to rotate the secret on the next `pulumi up`. Removing it (`pulumi config rm rotation`) also rotates the secret.",
  },
} satisfies Record<string, ConfigKeySpec>;
