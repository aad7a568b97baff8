/**
 * The Kubernetes platform's rules: no credential in plain text in the Identity Service's pod spec
 * (kubernetes-credentials-from-secrets), and outside dev stacks at least two pods and a
 * PodDisruptionBudget (kubernetes-availability-outside-dev).
 */
import * as pulumi from "@pulumi/pulumi";
import { ReportViolation, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { plainResource, report, resourceRule } from "../adapter";
import { ENV, findUnknown, isUnder, label, PlainResource, RESOURCE_TYPES, reveal, Violation } from "../resources";
import { SENSITIVE_ENV } from "./sensitiveValues";

/** Stacks where one pod and no PodDisruptionBudget are fine. */
export const DEFAULT_DEV_STACKS: readonly string[] = ["dev"];

type EnvVar = { name?: unknown; value?: unknown; valueFrom?: unknown };
type Container = { env?: EnvVar[] };

/** The containers of a Deployment's pod template (plain data; unknown values left as sentinels). */
function containersOf(r: PlainResource): Container[] {
  const spec = reveal(r.props.spec) as { template?: { spec?: { containers?: unknown } } } | undefined;
  const containers = spec?.template?.spec?.containers;
  return Array.isArray(containers) ? (containers as Container[]) : [];
}

/**
 * Whether a Deployment runs the Identity Service: a child of the KubernetesIdentityService component,
 * or (built by hand) one with a container whose environment names both `DbProvider` and `Clients`.
 */
export function isIdentityServiceDeployment(r: PlainResource): boolean {
  if (r.type !== RESOURCE_TYPES.deployment) return false;
  if (isUnder(r, RESOURCE_TYPES.kubernetesIdentityService)) return true;
  return containersOf(r).some((c) => {
    const names = new Set((Array.isArray(c.env) ? c.env : []).map((e) => e?.name));
    return names.has(ENV.dbProvider) && names.has(ENV.clients);
  });
}

/**
 * The Identity Service's credentials (the connection strings, `Clients`, the Kestrel certificate
 * password, `RedisConnection`) must come from a Secret (`valueFrom`), never a plain `value` in the
 * pod spec, which anyone who can read Deployments sees.
 */
export function kubernetesPlainCredentialViolations(r: PlainResource): Violation[] {
  if (!isIdentityServiceDeployment(r)) return [];
  const violations: Violation[] = [];
  // A sensitive variable with any `value`, even one not known yet, is a plain value.
  for (const container of containersOf(r)) {
    for (const e of Array.isArray(container.env) ? container.env : []) {
      if (typeof e?.name !== "string" || !SENSITIVE_ENV.includes(e.name)) continue;
      if (e.value !== undefined && e.value !== null && e.value !== "") {
        violations.push({
          message:
            `The Identity Service Deployment ${label(r)} sets ${e.name} as a plain value in its pod spec, where anyone who can read Deployments sees it. ` +
            `Take it from a Secret (env valueFrom.secretKeyRef), as the KubernetesIdentityService component does.`,
        });
      }
    }
  }
  return violations;
}

export const kubernetesCredentialsFromSecrets: ResourceValidationPolicy = {
  name: "kubernetes-credentials-from-secrets",
  description:
    "The Identity Service's pods take their credentials (connection string, Clients, certificate password, RedisConnection) from Secrets, never as plain values in the pod spec.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: resourceRule((r) => kubernetesPlainCredentialViolations(r)),
};

/** Whether every label a selector asks for is on the pods. */
function selects(matchLabels: unknown, podLabels: Record<string, unknown>): boolean {
  if (!matchLabels || typeof matchLabels !== "object") return false;
  const wanted = Object.entries(matchLabels as Record<string, unknown>);
  return wanted.length > 0 && wanted.every(([k, v]) => podLabels[k] === v);
}

const metadataOf = (r: PlainResource) => (reveal(r.props.metadata) ?? {}) as { name?: string; namespace?: string };

/**
 * Outside dev stacks, the Identity Service runs at least two pods (a fixed count, or an autoscaler's
 * minimum) and a PodDisruptionBudget keeps one of them through node drains: one pod is an outage at
 * every node upgrade. Values not known yet (a preview before the first `up`) are skipped.
 */
export function kubernetesAvailabilityViolations(resources: readonly PlainResource[], ctx: { stack: string; devStacks?: readonly string[] }): Violation[] {
  const dev = (ctx.devStacks ?? DEFAULT_DEV_STACKS).some((s) => s.toLowerCase() === ctx.stack.toLowerCase());
  if (dev) return [];
  const violations: Violation[] = [];
  for (const d of resources.filter(isIdentityServiceDeployment)) {
    const spec = reveal(d.props.spec) as { replicas?: unknown; template?: { metadata?: { labels?: Record<string, unknown> } } } | undefined;
    if (findUnknown(spec) || findUnknown(d.props.metadata)) continue;
    const { name, namespace } = metadataOf(d);
    const sameNamespace = (r: PlainResource) => metadataOf(r).namespace === namespace;
    const autoscaler = resources.find((r) => {
      if (r.type !== RESOURCE_TYPES.horizontalPodAutoscaler || !sameNamespace(r)) return false;
      const target = (reveal(r.props.spec) as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
      return target?.kind === "Deployment" && target.name === name;
    });
    const minimum = autoscaler ? Number((reveal(autoscaler.props.spec) as { minReplicas?: unknown }).minReplicas ?? 1) : Number(spec?.replicas ?? 1);
    if (minimum < 2) {
      violations.push({
        urn: d.urn,
        message:
          `Stack "${ctx.stack}" is not a dev stack (policy config devStacks), but the Identity Service Deployment ${label(d)} runs ${minimum === 1 ? "one pod" : `${minimum} pods`}${autoscaler ? " at least" : ""}: ` +
          "every node drain or upgrade is an outage of Creatio's logins and integrations. `pulumi config set replicas 2` (with redisConnection).",
      });
    }
    const podLabels = spec?.template?.metadata?.labels ?? {};
    const budget = resources.some(
      (r) =>
        r.type === RESOURCE_TYPES.podDisruptionBudget &&
        sameNamespace(r) &&
        selects((reveal(r.props.spec) as { selector?: { matchLabels?: unknown } })?.selector?.matchLabels, podLabels),
    );
    if (!budget) {
      violations.push({
        urn: d.urn,
        message:
          `Stack "${ctx.stack}" is not a dev stack (policy config devStacks), but no PodDisruptionBudget covers the pods of the Identity Service Deployment ${label(d)}: ` +
          "a node drain may evict every pod at once. The KubernetesIdentityService component makes one (minAvailable 1) whenever replicas is more than 1.",
      });
    }
  }
  return violations;
}

/** Config of kubernetes-availability-outside-dev. */
export interface DevStacksConfig {
  /** Stack names (case-insensitive) where one pod is fine. Default ["dev"]. */
  readonly devStacks?: string[];
}

export const kubernetesAvailabilityOutsideDev: StackValidationPolicy = {
  name: "kubernetes-availability-outside-dev",
  description: "Outside dev stacks, the Identity Service on Kubernetes runs at least two pods and has a PodDisruptionBudget.",
  enforcementLevel: "mandatory",
  severity: "medium",
  configSchema: {
    properties: {
      devStacks: { type: "array", items: { type: "string" }, default: [...DEFAULT_DEV_STACKS], description: "Stack names (case-insensitive) where one pod is fine." },
    },
  },
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const config = args.getConfig<DevStacksConfig>();
    report(kubernetesAvailabilityViolations(args.resources.map(plainResource), { stack: pulumi.getStack(), devStacks: config.devStacks }), reportViolation);
  },
};
