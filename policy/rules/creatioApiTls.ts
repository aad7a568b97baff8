/**
 * creatio-api-tls-in-production: on production stacks Creatio's API is reached over https://.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { productionStacksSchema, ProductionStacksConfig, resourceRule, stackContext } from "../adapter";
import { isCreatioResource, isProductionStack, known, label, PlainResource, productionPrefix, StackContext, Violation } from "../resources";

/**
 * On production stacks, the Creatio integration reaches Creatio's API over https://: it logs in as
 * an administrator and writes the client secret, both of which would otherwise cross the network in
 * plain text.
 */
export function creatioApiTlsViolations(r: PlainResource, ctx: StackContext): Violation[] {
  // An integrated application logs in the same way, and Creatio hands it its new client secret.
  if (!isProductionStack(ctx) || !isCreatioResource(r)) return [];
  const creatio = known(r.props.creatio, "creatio");
  const url = creatio && typeof creatio === "object" ? (creatio as { url?: unknown }).url : undefined;
  if (typeof url !== "string" || !/^http:\/\//i.test(url)) return [];
  return [
    {
      message:
        `${productionPrefix(ctx)}, but ${label(r)} reaches Creatio's API at ${url.replace(/\/+$/, "")} over http://: ` +
        "the administrator's password and the client secret would cross the network unencrypted. Serve Creatio over HTTPS and `pulumi config set creatioUrl https://...`.",
    },
  ];
}

export const creatioApiTlsInProduction: ResourceValidationPolicy = {
  name: "creatio-api-tls-in-production",
  description: "On production stacks the Creatio integration reaches Creatio's API over https:// (it logs in as an administrator and writes the client secret).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: productionStacksSchema,
  validateResource: resourceRule((r, args) => creatioApiTlsViolations(r, stackContext(args.getConfig<ProductionStacksConfig>()))),
};
