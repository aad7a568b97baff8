import * as pulumi from "@pulumi/pulumi";
import { DynamicResourceSpec, registeredProperties, secretNames } from "../lib/dynamicResource";
import { DYNAMIC_MODULE } from "../lib/typeTokens";

/**
 * A dynamic resource of this package, registered from its one declaration (lib/dynamicResource.ts):
 * its inputs and an `undefined` placeholder per output, its secret properties as
 * additionalSecretOutputs (added to any the caller gives), under the package's module and `typeName`.
 */
export abstract class DeclaredDynamicResource extends pulumi.dynamic.Resource {
  protected constructor(
    provider: pulumi.dynamic.ResourceProvider,
    spec: DynamicResourceSpec<any, any>,
    typeName: string,
    name: string,
    inputs: object,
    opts?: pulumi.CustomResourceOptions,
  ) {
    const secrets = secretNames(spec, inputs);
    super(
      provider,
      name,
      registeredProperties(spec, inputs),
      // No secret to name (a resource whose only secret is one given later): the options stay as given.
      secrets.length === 0 ? opts : pulumi.mergeOptions(opts, { additionalSecretOutputs: secrets }),
      DYNAMIC_MODULE,
      typeName,
    );
  }
}
