import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../lib/defaults";
import { CLIENT_ID_LENGTH, CLIENT_SECRET_LENGTH } from "../lib/validators";
import { COMPONENT_TYPES } from "../lib/typeTokens";
import * as random from "@pulumi/random";
import { buildClientsJson } from "../lib/clientsJson";

/** Lengths from Creatio's guide: ClientId 16 characters, ClientSecret 32 (defined with the other rules in lib/validators). */
export { CLIENT_ID_LENGTH, CLIENT_SECRET_LENGTH };

export interface ClientCredentialsArgs {
  /** Creatio's base URL; the client's redirect URIs are derived from it. */
  readonly creatioUrl: pulumi.Input<string>;
  /** The client's display name (ClientName). Default "Creatio". */
  readonly clientName?: pulumi.Input<string>;
  /** A supplied client id (16 characters). Generated when omitted. */
  readonly clientId?: pulumi.Input<string>;
  /** A supplied client secret (32+ characters). Generated when omitted. */
  readonly clientSecret?: pulumi.Input<string>;
  /** Keeper for the generated secret: a new value generates a new secret (rotation). */
  readonly rotation?: pulumi.Input<string>;
}

/**
 * The client Creatio uses to talk to the Identity Service: its id, its secret and the `Clients`
 * setting the Identity Service seeds its database from.
 *
 * Generated values use letters and digits only, so they never need quoting or escaping in JSON,
 * connection strings, form bodies or shell commands.
 */
export class ClientCredentials extends pulumi.ComponentResource {
  /** The client id (not a secret: it is shown in Creatio's settings). */
  public readonly clientId: pulumi.Output<string>;
  /** The client secret (secret). */
  public readonly clientSecret: pulumi.Output<string>;
  /** The Identity Service's `Clients` value, one JSON string (secret: it holds the client secret). */
  public readonly clientsJson: pulumi.Output<string>;

  constructor(name: string, args: ClientCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.clientCredentials, name, {}, opts);
    checkSupplied("clientId", args.clientId, (v) => [...v].length === CLIENT_ID_LENGTH, `exactly ${CLIENT_ID_LENGTH} characters`);
    checkSupplied("clientSecret", args.clientSecret, (v) => [...v].length >= CLIENT_SECRET_LENGTH, `at least ${CLIENT_SECRET_LENGTH} characters`);
    if (args.clientSecret !== undefined && args.rotation !== undefined) {
      throw new Error(`ClientCredentials ${name}: rotation only applies to a generated secret; rotate a supplied clientSecret by supplying a new one.`);
    }

    this.clientId =
      args.clientId !== undefined
        ? pulumi.output(args.clientId)
        : new random.RandomString(`${name}-client-id`, { length: CLIENT_ID_LENGTH, special: false, upper: true, lower: true, numeric: true }, { parent: this }).result;

    this.clientSecret = pulumi.secret(
      args.clientSecret !== undefined
        ? args.clientSecret
        : new random.RandomPassword(
            `${name}-client-secret`,
            {
              length: CLIENT_SECRET_LENGTH,
              special: false,
              upper: true,
              lower: true,
              numeric: true,
              minUpper: 1,
              minLower: 1,
              minNumeric: 1,
              ...(args.rotation !== undefined ? { keepers: { rotation: args.rotation } } : {}),
            },
            { parent: this },
          ).result,
    );

    this.clientsJson = pulumi.secret(
      pulumi
        .all([this.clientId, this.clientSecret, args.clientName ?? DEFAULTS.clientName, args.creatioUrl])
        .apply(([clientId, clientSecret, clientName, creatioUrl]) => buildClientsJson([{ clientId, clientSecret, clientName, creatioUrl }])),
    );

    this.registerOutputs({ clientId: this.clientId, clientSecret: this.clientSecret, clientsJson: this.clientsJson });
  }
}

/** Rejects a supplied plain value that breaks a rule; the message never includes the value. */
function checkSupplied(arg: string, value: pulumi.Input<string> | undefined, ok: (v: string) => boolean, rule: string): void {
  if (typeof value === "string" && (!ok(value) || /[\s\p{Cc}]/u.test(value))) {
    throw new Error(`ClientCredentials: ${arg} must be ${rule} without spaces (Creatio's guide); supply another value or omit it to generate one.`);
  }
}
