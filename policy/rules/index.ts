/**
 * The creatio-identity policy pack's rules, one file each: a pure function over plain resource data
 * (testable without the Pulumi engine) and the @pulumi/policy object that runs it. Messages name the
 * resource, the setting and the fix, never a secret value: policy violations are printed by
 * `pulumi preview` and stored by Pulumi Cloud.
 */
export * from "../resources";
export * from "./identityServiceHttps";
export * from "./noSelfSignedCertificate";
export * from "./certificateDaysLeft";
export * from "./databaseTls";
export * from "./creatioApiTls";
export * from "./sensitiveValues";
export * from "./oneIdentityServicePerCreatio";
export * from "./noAdministratorAsApplicationUser";
export * from "./kubernetes";
