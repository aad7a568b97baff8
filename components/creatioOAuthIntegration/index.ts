/**
 * CreatioOAuthIntegration switches a running Creatio over to the Identity Service through Creatio's
 * own HTTP API, as an administrator: it enables the `OAuth20Integration` feature (and clears
 * Creatio's feature cache, so no restart is needed), writes the three OAuth20IdentityServer*
 * system settings (Creatio encrypts the secret) and creates the default OAuth resource; on delete it
 * puts back what it found. Any Creatio database engine; no database credentials.
 * See docs/creatio-integration.md for exactly what it touches and how to roll back.
 */
import * as pulumi from "@pulumi/pulumi";
import { DeclaredDynamicResource } from "../declaredDynamicResource";
import { DYNAMIC_TYPE_NAMES, DYNAMIC_TYPES } from "../../lib/typeTokens";
import { creatioOAuthIntegrationProvider } from "./provider";
import { CREATIO_OAUTH_INTEGRATION_PROPERTIES, IntegrationState, SECRET_OUTPUTS } from "./state";
import { DynamicOutputs } from "../../lib/dynamicResource";
import type { CreatioConnectionArgs, IdentityServiceReachArgs } from "../../lib/creatio/resourceArgs";

export { creatioOAuthIntegrationProvider } from "./provider";
export type { IntegrationInputs } from "./inputs";
export type { IntegrationState as CreatioOAuthIntegrationOutputs, FoundSetting } from "./state";
export type { FeatureStateRow } from "../../lib/creatio/entities";

/** The Pulumi type token of the resource (what a mock engine records). */
export const CREATIO_OAUTH_INTEGRATION_TYPE = DYNAMIC_TYPES.creatioIntegration;

/** Output properties that carry a secret (the client secret, the Creatio password, the settings as found). */
export const CREATIO_OAUTH_INTEGRATION_SECRET_OUTPUTS = SECRET_OUTPUTS;

export type { CreatioConnectionArgs } from "../../lib/creatio/resourceArgs";

export interface CreatioOAuthIntegrationArgs extends IdentityServiceReachArgs {
  /** The URL Creatio uses to reach the Identity Service (written to OAuth20IdentityServerUrl). */
  readonly identityServerUrl: pulumi.Input<string>;
  /** The Identity Service client Creatio uses (OAuth20IdentityServerClientId). */
  readonly clientId: pulumi.Input<string>;
  /** That client's secret (OAuth20IdentityServerClientSecret; pass a secret). */
  readonly clientSecret: pulumi.Input<string>;
  /** How to reach Creatio's API. */
  readonly creatio: pulumi.Input<CreatioConnectionArgs>;
  /** SysAdminUnit ids (roles or users) to enable OAuth20Integration for. Default: All employees. */
  readonly featureAdminUnitIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Create Creatio's default OAuth resource ("Application access") when it has none. Default true. */
  readonly createDefaultResource?: pulumi.Input<boolean>;
  /** How long to wait for the Identity Service to issue a token. Default 300. */
  readonly readinessTimeoutSeconds?: pulumi.Input<number>;
}

/**
 * Enables Creatio's OAuth20Integration feature, points Creatio's OAuth20IdentityServer* settings at
 * the Identity Service and creates the default OAuth resource; `pulumi destroy` puts back what it
 * found. Make it depend on the Identity Service container (`dependsOn`): it waits for a token
 * anyway, but not forever.
 */
// Its outputs are IntegrationState's properties (each documented there), which pulumi.dynamic.Resource
// sets at run time. Give `creatio` to the integrated applications as theirs: a property dependency,
// so that when this resource is replaced (another Creatio) the engine deletes the applications
// first, while Creatio still accepts OAuth calls.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface CreatioOAuthIntegration extends DynamicOutputs<IntegrationState> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class CreatioOAuthIntegration extends DeclaredDynamicResource {
  constructor(name: string, args: CreatioOAuthIntegrationArgs, opts?: pulumi.CustomResourceOptions) {
    super(creatioOAuthIntegrationProvider, CREATIO_OAUTH_INTEGRATION_PROPERTIES, DYNAMIC_TYPE_NAMES.creatioIntegration, name, args, opts);
  }
}
