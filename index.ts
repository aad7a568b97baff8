/**
 * creatio-identity: deploys Creatio's Identity Service and wires Creatio to it.
 * `pulumi up` runs this file: config is validated first (nothing is created on bad config), then
 * the components are built; see stack.ts for the wiring and README.md for the config keys.
 */
import { loadStackConfig } from "./config";
import { createIdentityStack } from "./stack";

const outputs = createIdentityStack(loadStackConfig(__dirname));

export const identityServiceUrl = outputs.identityServiceUrl;
export const discoveryUrl = outputs.discoveryUrl;
export const clientId = outputs.clientId;
export const clientSecret = outputs.clientSecret;
export const creatioSettings = outputs.creatioSettings;
export const connectionString = outputs.connectionString;
export const dbProvider = outputs.dbProvider;
export const certificateExpiresAt = outputs.certificateExpiresAt;
/** The HTTPS certificate (PEM, public): make Creatio's server trust it (README, "The HTTPS certificate"). */
export const certificatePem = outputs.certificatePem;
/** What the Creatio integration changed (undefined unless `creatioIntegration` is true). */
export const creatioIntegration = outputs.creatioIntegration;
/** Secret. Each OAuth 2.0 integrated application's { clientId, clientSecret, tokenUrl }, by its `key` (the name unless a key is set; undefined unless `creatioIntegration` is true). */
export const creatioOAuthApplications = outputs.creatioOAuthApplications;
/** Upgrades (docs/upgrade.md): the image running, the one before it, and the database snapshots. */
export const image = outputs.image;
export const previousImage = outputs.previousImage;
export const databaseSnapshots = outputs.databaseSnapshots;
/** platform kubernetes: where the Identity Service runs (undefined on Docker). */
export const kubernetesNamespace = outputs.kubernetesNamespace;
export const deploymentName = outputs.deploymentName;
export const serviceName = outputs.serviceName;
