/**
 * The policies of the creatio-identity pack, in the order `pulumi preview` lists them. index.ts hands
 * this array to PolicyPack; tests import it directly, because constructing a PolicyPack starts the
 * analyzer's gRPC server. Each policy lives with its rule in rules/.
 */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  certificateDaysLeft,
  creatioApiTlsInProduction,
  databaseTlsInProduction,
  identityServiceHttps,
  kubernetesAvailabilityOutsideDev,
  kubernetesCredentialsFromSecrets,
  noAdministratorAsApplicationUser,
  noSelfSignedCertificateInProduction,
  oneIdentityServicePerCreatio,
  sensitiveValuesAreSecrets,
} from "./rules";

export type { ProductionStacksConfig } from "./adapter";
export type { CertificateDaysConfig, ApplicationUserConfig, DevStacksConfig } from "./rules";

/** The pack's name, as `pulumi preview` reports it. */
export const POLICY_PACK_NAME = "creatio-identity";

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  identityServiceHttps,
  noSelfSignedCertificateInProduction,
  certificateDaysLeft,
  databaseTlsInProduction,
  creatioApiTlsInProduction,
  sensitiveValuesAreSecrets,
  oneIdentityServicePerCreatio,
  noAdministratorAsApplicationUser,
  kubernetesCredentialsFromSecrets,
  kubernetesAvailabilityOutsideDev,
];
