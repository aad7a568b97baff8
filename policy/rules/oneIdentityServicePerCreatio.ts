/**
 * one-identity-service-per-creatio: one Identity Service, and one Creatio integration, per Creatio.
 */
import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { plainResource, report } from "../adapter";
import { ENV, findUnknown, isIdentityServiceContainer, isUnknown, label, parseEnvs, PlainResource, RESOURCE_TYPES, reveal, Violation } from "../resources";

/**
 * A Creatio instance's identity, from its URL or a redirect URI derived from it: scheme, host and
 * path, without a trailing `/`, `/lib` (the redirect URIs) or `/0` (the .NET Framework app path).
 */
export function creatioKey(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  let path = u.pathname.replace(/\/+$/, "");
  for (;;) {
    const trimmed = path.replace(/\/(lib|0)$/i, "").replace(/\/+$/, "");
    if (trimmed === path) break;
    path = trimmed;
  }
  return `${u.protocol}//${u.host.toLowerCase()}${path}`;
}

/** The Creatio instances an Identity Service serves: the redirect URIs of its `Clients` JSON. */
export function creatioKeysOfClients(clientsJson: string): string[] {
  let clients: unknown;
  try {
    clients = JSON.parse(clientsJson);
  } catch {
    return [];
  }
  const keys = new Set<string>();
  for (const client of Array.isArray(clients) ? clients : []) {
    const uris = client && typeof client === "object" ? (client as { RedirectUris?: unknown }).RedirectUris : undefined;
    for (const uri of Array.isArray(uris) ? uris : []) {
      const key = typeof uri === "string" ? creatioKey(uri) : undefined;
      if (key) keys.add(key);
    }
  }
  return [...keys];
}

/**
 * One Identity Service per Creatio instance: no two Identity Service containers whose clients
 * redirect to the same Creatio, and no two Creatio integrations that switch the same Creatio.
 * Resources whose values are not known yet are skipped.
 */
export function oneIdentityServicePerCreatioViolations(resources: readonly PlainResource[]): Violation[] {
  const services = new Map<string, PlainResource[]>();
  const integrations = new Map<string, PlainResource[]>();
  const add = (map: Map<string, PlainResource[]>, key: string, r: PlainResource) => map.set(key, [...(map.get(key) ?? []), r]);
  for (const r of resources) {
    if (isIdentityServiceContainer(r)) {
      const envs = reveal(r.props.envs);
      if (findUnknown(envs)) continue;
      const clients = parseEnvs(envs).get(ENV.clients);
      for (const key of clients === undefined ? [] : creatioKeysOfClients(clients)) add(services, key, r);
    } else if (r.type === RESOURCE_TYPES.creatioIntegration) {
      const creatio = reveal(r.props.creatio);
      const url = creatio && typeof creatio === "object" ? (creatio as { url?: unknown }).url : undefined;
      const key = typeof url === "string" && !isUnknown(url) ? creatioKey(url) : undefined;
      if (key) add(integrations, key, r);
    }
  }
  const violations: Violation[] = [];
  for (const [key, group] of services) {
    if (group.length < 2) continue;
    const names = group.map(label).join(", ");
    for (const r of group.slice(1)) {
      violations.push({
        urn: r.urn,
        message:
          `The Identity Service containers ${names} all serve the Creatio at ${key}: one Identity Service serves one Creatio instance ` +
          `(Creatio keeps one OAuth20IdentityServerUrl). Remove the extra one, or give each Creatio its own stack.`,
      });
    }
  }
  for (const [key, group] of integrations) {
    if (group.length < 2) continue;
    const names = group.map(label).join(", ");
    for (const r of group.slice(1)) {
      violations.push({
        urn: r.urn,
        message: `The Creatio integrations ${names} all switch the Creatio at ${key} to an Identity Service; they would overwrite each other's system settings. Keep one.`,
      });
    }
  }
  return violations;
}

export const oneIdentityServicePerCreatio: StackValidationPolicy = {
  name: "one-identity-service-per-creatio",
  description: "One Identity Service per Creatio instance: no two Identity Services, and no two Creatio integrations, for the same Creatio URL.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    report(oneIdentityServicePerCreatioViolations(args.resources.map(plainResource)), reportViolation);
  },
};
