/**
 * CreatioOAuthApplication is one of Creatio's "OAuth 2.0 integrated applications", as code: the
 * record in System Designer → OAuth 2.0 integrated applications and its client at the Identity
 * Service, created through Creatio's own API (OAuthConfigService AddClient, UpdateClient,
 * DeleteClient), its client id and secret kept as outputs (the secret as a Pulumi secret) for the
 * application that uses them. See docs/integrated-applications.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "../declaredDynamicResource";
import { DYNAMIC_TYPE_NAMES, DYNAMIC_TYPES } from "../../lib/typeTokens";
import { creatioOAuthApplicationProvider } from "./provider";
import { ApplicationState, CREATIO_OAUTH_APPLICATION_PROPERTIES, SECRET_OUTPUTS } from "./state";
import { DynamicOutputs } from "../../lib/dynamicResource";
import type { CreatioConnectionArgs, IdentityServiceReachArgs } from "../../lib/creatio/resourceArgs";

export { creatioOAuthApplicationProvider } from "./provider";
export type { ApplicationInputs } from "./inputs";
export type { ApplicationState as CreatioOAuthApplicationOutputs } from "./state";

/** The Pulumi type token of the resource (what the engine and the policy pack see). */
export const CREATIO_OAUTH_APPLICATION_TYPE = DYNAMIC_TYPES.creatioApplication;

/** Output properties that carry a secret (the client secret, the Creatio login). */
export const CREATIO_OAUTH_APPLICATION_SECRET_OUTPUTS = SECRET_OUTPUTS;

export interface CreatioOAuthApplicationArgs extends IdentityServiceReachArgs {
  /** How to reach Creatio's API, as an administrator (a user with CanManageSolution). */
  readonly creatio: pulumi.Input<CreatioConnectionArgs>;
  /** The application's name in Creatio (at most 250 characters). */
  readonly name: pulumi.Input<string>;
  /** The application's URL. */
  readonly applicationUrl: pulumi.Input<string>;
  /** Where the Identity Service may redirect after sign-in. Default: applicationUrl. */
  readonly redirectUrl?: pulumi.Input<string>;
  readonly description?: pulumi.Input<string>;
  /** Login name of the Creatio user the application acts as (a user, not a role), e.g. IntegrationUser. */
  readonly systemUser: pulumi.Input<string>;
  /** Whether the application may get tokens. Default true. */
  readonly active?: pulumi.Input<boolean>;
  /** Keeper: any new value replaces the client with a new id and secret (the new one is created first). */
  readonly rotation?: pulumi.Input<string>;
  /** How long to wait for the Identity Service to issue the new client a token. Default 60. */
  readonly readinessTimeoutSeconds?: pulumi.Input<number>;
}

/**
 * An "OAuth 2.0 integrated application" in Creatio with its Identity Service client. Make it depend
 * on the CreatioOAuthIntegration (`dependsOn`): Creatio refuses applications while its OAuth 2.0
 * integration is off or has no default resource.
 */
// Its outputs are ApplicationState's properties (each documented there), which pulumi.dynamic.Resource sets at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface CreatioOAuthApplication extends DynamicOutputs<ApplicationState> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class CreatioOAuthApplication extends DeclaredDynamicResource {
  constructor(name: string, args: CreatioOAuthApplicationArgs, opts?: pulumi.CustomResourceOptions) {
    super(creatioOAuthApplicationProvider, CREATIO_OAUTH_APPLICATION_PROPERTIES, DYNAMIC_TYPE_NAMES.creatioApplication, name, args, opts);
  }
}

/**
 * The warning that must reach the user when Creatio does not take the application's tokens: from
 * the program, since a dynamic provider's log does not reach the engine. `up` still succeeds (the
 * application exists and is right); the fix is a restart of Creatio, then `pulumi refresh`. Nothing
 * is said while the value is unknown (a preview of a new application).
 */
export function warnUnlessCreatioAcceptsTokens(application: CreatioOAuthApplication, name: pulumi.Input<string>): void {
  pulumi.all([application.creatioAcceptsTokens, name]).apply(([accepted, appName]) => {
    if (accepted === false) {
      void pulumi.log.warn(
        `Creatio does not accept tokens from the Identity Service for the integrated application "${appName}" yet: restart Creatio ` +
          "(.NET 6/8 Creatio reads OAuth20IdentityServerUrl for its bearer-token check only as it starts), then run `pulumi refresh` to see creatioAcceptsTokens turn true.",
        application,
      );
    }
  });
}
