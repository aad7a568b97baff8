/** The Creatio integration and its OAuth 2.0 integrated applications. */
import * as pulumi from "@pulumi/pulumi";
import { parseCreatioApplications } from "../../lib/creatioApplicationsConfig";
import { ConfigKey, PROJECT } from "../keys";
import { StackConfig } from "../types";
import { ConfigContext } from "../values";

const CREATIO_KEYS: ConfigKey[] = [
  "creatioPassword",
  "creatioCreateDefaultResource",
  "creatioNetCore",
  "creatioFeatureAdminUnitIds",
  "identityServerUrlForCreatio",
  "identityServerCaPem",
  "readinessTimeoutSeconds",
  "creatioUsername",
  "creatioOAuthApplications",
];

export function creatioConfig(ctx: ConfigContext, problems: string[]): StackConfig["creatio"] {
  const { typed } = ctx;
  // The entries are checked either way, so turning the integration on brings no new problems with them.
  const apps = parseCreatioApplications(typed.creatioOAuthApplications, `${PROJECT}:creatioOAuthApplications`);
  if (!typed.creatioIntegration) {
    ctx.onlyWith(CREATIO_KEYS, "when creatioIntegration is true (`pulumi config set creatioIntegration true`)");
    problems.push(...apps.problems);
    return undefined;
  }
  ctx.need("creatioPassword", "when creatioIntegration is true");
  problems.push(...apps.problems);
  return {
    connection: { url: typed.creatioUrl, username: typed.creatioUsername, password: ctx.secret("creatioPassword") ?? pulumi.secret(""), netCore: typed.creatioNetCore },
    createDefaultResource: typed.creatioCreateDefaultResource,
    featureAdminUnitIds: typed.creatioFeatureAdminUnitIds,
    readinessTimeoutSeconds: typed.readinessTimeoutSeconds,
    identityServerCaPem: typed.identityServerCaPem,
    applications: apps.applications,
  };
}
