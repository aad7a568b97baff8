/** Config keys: where the Identity Service runs (one Docker host, or Kubernetes) and the Kubernetes platform's settings. */
import { DEFAULTS } from "../../lib/defaults";
import { cpuQuantityProblem, dnsLabelProblem, memoryQuantityProblem, podCountProblem } from "../../lib/validators";
import { ConfigKeySpec, oneOf } from "./spec";

export const PLATFORMS = ["docker", "kubernetes"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const KUBERNETES_SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;

export const PLATFORM_KEYS = {
  platform: {
    type: "string",
    default: DEFAULTS.platform,
    example: "kubernetes",
    description:
      'Where the Identity Service runs: docker (one container on one Docker host) or kubernetes (a Deployment of `replicas` pods, a Service, a PodDisruptionBudget, optionally an Ingress; README, "Deploy on Kubernetes").',
    check: oneOf(PLATFORMS),
  },
} satisfies Record<string, ConfigKeySpec>;

export const KUBERNETES_KEYS = {
  // --- Kubernetes (platform kubernetes) ----------------------------------------------------
  kubeconfig: {
    type: "string",
    secret: true,
    example: '"$(cat ~/.kube/prod.yaml)"',
    description:
      "platform kubernetes: the cluster's kubeconfig (its contents, or a path). Unset: the ambient one, as the Kubernetes provider reads it (KUBECONFIG, else ~/.kube/config).",
  },
  kubernetesContext: {
    type: "string",
    example: "prod-cluster",
    description: "platform kubernetes: the kubeconfig context to use. Unset: its current context.",
  },
  kubernetesNamespace: {
    type: "string",
    default: DEFAULTS.kubernetesNamespace,
    example: "creatio-identity",
    description: "platform kubernetes: the namespace of every resource the stack makes in the cluster.",
    check: dnsLabelProblem,
  },
  kubernetesCreateNamespace: {
    type: "boolean",
    default: DEFAULTS.kubernetesCreateNamespace,
    example: "false",
    description: "platform kubernetes: create kubernetesNamespace (and delete it on destroy); false uses an existing namespace, for clusters where namespaces are handed out.",
  },
  replicas: {
    type: "integer",
    default: DEFAULTS.replicas,
    example: "2",
    description: "platform kubernetes: Identity Service pods. More than 1 needs redisConnection (the pods share the machine key through Redis).",
    check: podCountProblem,
  },
  replicasMax: {
    type: "integer",
    example: "6",
    description: "platform kubernetes: set it to scale on CPU with a HorizontalPodAutoscaler between replicas and replicasMax pods. Unset: a fixed number of pods.",
    check: podCountProblem,
  },
  autoscaleCpuPercent: {
    type: "integer",
    default: DEFAULTS.autoscaleCpuPercent,
    example: "70",
    description: "platform kubernetes, with replicasMax: the average CPU use (percent of cpuRequest) the autoscaler keeps the pods at.",
    check: (v: number) => (Number.isInteger(v) && v >= 1 && v <= 100 ? undefined : "must be a whole number from 1 to 100"),
  },
  cpuRequest: {
    type: "string",
    default: DEFAULTS.cpuRequest,
    example: "250m",
    description: "platform kubernetes: CPU each pod is scheduled with (a Kubernetes quantity).",
    check: cpuQuantityProblem,
  },
  cpuLimit: {
    type: "string",
    default: DEFAULTS.cpuLimit,
    example: "1",
    description: "platform kubernetes: CPU each pod may use at most.",
    check: cpuQuantityProblem,
  },
  memoryRequest: {
    type: "string",
    default: DEFAULTS.memoryRequest,
    example: "256Mi",
    description: "platform kubernetes: memory each pod is scheduled with (a Kubernetes quantity).",
    check: memoryQuantityProblem,
  },
  memoryLimit: {
    type: "string",
    default: DEFAULTS.memoryLimit,
    example: "512Mi",
    description: "platform kubernetes: memory each pod may use at most (the pod is restarted beyond it).",
    check: memoryQuantityProblem,
  },
  kubernetesServiceType: {
    type: "string",
    default: DEFAULTS.kubernetesServiceType,
    example: "LoadBalancer",
    description:
      "platform kubernetes: the Service's type. ClusterIP (inside the cluster, or behind the Ingress), NodePort or LoadBalancer (reached from outside without an Ingress).",
    check: oneOf(KUBERNETES_SERVICE_TYPES),
  },
  ingressClassName: {
    type: "string",
    example: "nginx",
    description:
      "platform kubernetes: make an Ingress of this class for publicUrl's host, with TLS from the stack's certificate (a kubernetes.io/tls Secret) and HTTPS to the pods. Unset: no Ingress.",
    check: dnsLabelProblem,
  },
  imageRegistryUsername: {
    type: "string",
    example: "ci-push",
    description:
      "platform kubernetes: the user for the registry in imageName. The image built from identityServiceSourceDir is pushed there with it, and the pods pull with it (an image pull Secret). Unset: the registry needs no login, or the cluster has one.",
  },
  imageRegistryPassword: {
    type: "string",
    secret: true,
    example: "<registry password or token>",
    description: "platform kubernetes: imageRegistryUsername's password or access token.",
  },
} satisfies Record<string, ConfigKeySpec>;
