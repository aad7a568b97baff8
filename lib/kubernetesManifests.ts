/**
 * The parts of the Identity Service's Kubernetes objects that are facts rather than wiring: labels,
 * the pod's environment (credentials by reference to a Secret), the probes, where the PFX is
 * mounted, and an image pull Secret's content. Pure; components/kubernetesIdentityService.ts builds
 * the objects from them, and the policy pack reads pod specs with the same names.
 */
import * as path from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import { DISCOVERY_PATH, IdentityServiceVariable, KESTREL_CERTIFICATE_PATH } from "./identityServiceEnv";

/** The Identity Service's container in the pod. */
export const IDENTITY_SERVICE_CONTAINER = "identity-service";

/**
 * Pod-template annotation carrying IdentityClientSync's reseed token: a new value rolls the pods,
 * and the new ones seed the clients the sync deleted (on Docker, an environment variable replaces
 * the container for the same reason).
 */
export const RESEED_TOKEN_ANNOTATION = "creatio-identity.io/reseed-token";

/** The Kubernetes provider's annotation that makes its server-side apply take over fields another manager changed. */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/** The Secret volume with the PFX: mounted where Kestrel's path points, holding the file under its name. */
export const PFX_MOUNT = { volume: "https", directory: path.posix.dirname(KESTREL_CERTIFICATE_PATH), file: path.posix.basename(KESTREL_CERTIFICATE_PATH) } as const;

/** Container ports, named so the Service, the probes and the Ingress refer to them by name. */
export const PORTS = { http: 80, https: 443 } as const;

/** The labels of the Identity Service's pods; the selector is all of them, so two stacks in one namespace stay apart. */
export function podLabels(instance: string): Record<string, string> {
  return { "app.kubernetes.io/name": "creatio-identity-service", "app.kubernetes.io/instance": instance, "app.kubernetes.io/part-of": "creatio-identity" };
}

/**
 * The container's environment: plain variables as values, credentials (`secret`) from the Secret
 * `secretName`, under a key named like the variable. No credential appears in the pod spec.
 */
export function podEnvironment(vars: readonly IdentityServiceVariable[], secretName: string): k8s.types.input.core.v1.EnvVar[] {
  return vars.map((v) => (v.secret ? { name: v.name, valueFrom: { secretKeyRef: { name: secretName, key: v.name } } } : { name: v.name, value: v.value }));
}

/** What the environment Secret holds: each credential under its variable's name. */
export function environmentSecretData(vars: readonly IdentityServiceVariable[]): Record<string, string> {
  return Object.fromEntries(vars.filter((v) => v.secret).map((v) => [v.name, v.value]));
}

/**
 * Startup, readiness and liveness probes on the discovery document over HTTPS (the port Creatio
 * uses). Startup allows the first start its database migration (up to 5 minutes); readiness takes
 * a pod out of the Service after 3 failed looks; liveness restarts it after 3 more.
 */
export function identityServiceProbes(): Pick<k8s.types.input.core.v1.Container, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  const httpGet = { path: DISCOVERY_PATH, port: "https", scheme: "HTTPS" };
  return {
    startupProbe: { httpGet, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 },
    readinessProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    livenessProbe: { httpGet, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
  };
}

/** The key Docker Hub's credentials go under in a config.json (`docker login` writes this). */
const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

/** A `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson`: the registry's login, as `docker login` writes it. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const key = server === "docker.io" ? DOCKER_HUB_AUTH_KEY : server;
  return JSON.stringify({ auths: { [key]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") } } });
}

/** The host of an https:// or http:// URL (the Ingress rule's host). */
export function ingressHost(publicUrl: string): string {
  return new URL(publicUrl).hostname;
}
