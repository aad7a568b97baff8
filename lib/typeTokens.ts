/**
 * The Pulumi type tokens of this package's resources, in one place: the components and dynamic
 * resources register with them, the policy pack and the tests look resources up by them.
 */

/** ComponentResource types (`creatio:identity:<Type>`, as pulumi-eks and pulumi-awsx name theirs). */
export const COMPONENT_TYPES = {
  clientCredentials: "creatio:identity:ClientCredentials",
  certificate: "creatio:identity:Certificate",
  identityDatabase: "creatio:identity:IdentityDatabase",
  identityService: "creatio:identity:IdentityService",
  kubernetesIdentityService: "creatio:identity:KubernetesIdentityService",
  creatioIdentity: "creatio:identity:CreatioIdentity",
} as const;

/** The module every dynamic resource of this package registers under (`pulumi.dynamic.Resource`'s module argument). */
export const DYNAMIC_MODULE = "creatio-identity";

/** The type Pulumi gives a dynamic resource registered with a module and a type name. */
export function dynamicType(typeName: string): string {
  return `pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:${typeName}`;
}

/** The dynamic resources' type names (the last argument of `pulumi.dynamic.Resource`'s constructor). */
export const DYNAMIC_TYPE_NAMES = {
  pfxBundle: "PfxBundle",
  identityClientSync: "IdentityClientSync",
  creatioIntegration: "CreatioOAuthIntegration",
  creatioApplication: "CreatioOAuthApplication",
  databaseSnapshot: "IdentityDatabaseSnapshot",
  healthGate: "IdentityServiceHealthGate",
  keptDatabaseCheck: "KeptDatabaseCheck",
  containerDatabasePassword: "ContainerDatabasePassword",
} as const;

/** The dynamic resources' full types. */
export const DYNAMIC_TYPES = {
  pfxBundle: dynamicType(DYNAMIC_TYPE_NAMES.pfxBundle),
  identityClientSync: dynamicType(DYNAMIC_TYPE_NAMES.identityClientSync),
  creatioIntegration: dynamicType(DYNAMIC_TYPE_NAMES.creatioIntegration),
  creatioApplication: dynamicType(DYNAMIC_TYPE_NAMES.creatioApplication),
  databaseSnapshot: dynamicType(DYNAMIC_TYPE_NAMES.databaseSnapshot),
  healthGate: dynamicType(DYNAMIC_TYPE_NAMES.healthGate),
  keptDatabaseCheck: dynamicType(DYNAMIC_TYPE_NAMES.keptDatabaseCheck),
  containerDatabasePassword: dynamicType(DYNAMIC_TYPE_NAMES.containerDatabasePassword),
} as const;

/** Pulumi's generic dynamic type: what a dynamic resource without its own type name registers as (PfxBundle's before it had one). */
export const GENERIC_DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

/** Types of the bridged providers' resources this package creates and the policy pack reads. */
export const PROVIDER_TYPES = {
  container: "docker:index/container:Container",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  deployment: "kubernetes:apps/v1:Deployment",
  podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  horizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  secret: "kubernetes:core/v1:Secret",
} as const;
