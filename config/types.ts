/**
 * The validated, typed configuration the stack program works from, and the error bad configuration
 * gives. Each part has the shape of the component that takes it, so stack.ts passes it through.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PfxContents } from "../lib/pfx";
import type { CreatioApplicationConfig } from "../lib/creatioApplicationsConfig";
import type { DbProvider } from "../lib/connectionString";
import type { DockerConnectionSettings } from "../lib/dockerHost";
import type { Platform } from "./keys";

/** A secret config value: only ever handed on as a Pulumi secret. */
export type Secret = pulumi.Output<string>;

/** How the Creatio resources log in to Creatio's API. */
export interface CreatioConnectionConfig {
  readonly url: string;
  readonly username: string;
  readonly password: Secret;
  readonly netCore: boolean;
}

/** The Kubernetes platform's settings (platform kubernetes). */
export interface KubernetesConfig {
  /** The kubeconfig (contents or path); undefined: the ambient one. Secret. */
  readonly kubeconfig?: Secret;
  /** The kubeconfig context; undefined: its current one. */
  readonly context?: string;
  readonly namespace: string;
  readonly createNamespace: boolean;
  readonly replicas: number;
  /** With it, a HorizontalPodAutoscaler scales between replicas and this. */
  readonly replicasMax?: number;
  readonly autoscaleCpuPercent: number;
  readonly resources: { readonly requests: { readonly cpu: string; readonly memory: string }; readonly limits: { readonly cpu: string; readonly memory: string } };
  readonly serviceType: string;
  /** With it, an Ingress of this class for publicUrl's host. */
  readonly ingressClassName?: string;
  /** Credentials of the image's registry: for the push of a built image and the pods' pulls. */
  readonly registry?: { readonly server: string; readonly username: string; readonly password: Secret };
}

/** Creatio's client at the Identity Service: generated, or supplied. */
export interface ClientConfig {
  readonly creatioUrl: string;
  readonly clientName: string;
  readonly clientId?: string;
  readonly clientSecret?: Secret;
  /** Keeper: a new value generates a new secret. */
  readonly rotation?: string;
}

/** The HTTPS certificate: self-signed, or the supplied PFX as validation read it. Exactly one. */
export interface CertificateConfig {
  readonly selfSigned?: { readonly dnsNames: string[]; readonly validityDays: number; readonly earlyRenewalDays: number };
  readonly pfx?: { readonly base64?: Secret; readonly file?: string; readonly password: Secret; readonly contents?: PfxContents };
}

/** The Identity Service database: exactly one of container (dev), server, connectionString. */
export interface DatabaseConfig {
  readonly container?: {
    readonly image: string;
    readonly hostPort: number;
    readonly databaseName: string;
    readonly username: string;
    readonly containerName: string;
    /** The Docker engine the container runs on, as the service's (the kept-volume check looks there). */
    readonly dockerHost?: string;
    readonly dockerConnection?: pulumi.Output<DockerConnectionSettings>;
  };
  readonly server?: {
    readonly host: string;
    readonly port: number;
    readonly adminUsername: string;
    readonly adminPassword: Secret;
    readonly sslMode: string;
    readonly databaseName: string;
    readonly username: string;
  };
  readonly connectionString?: { readonly provider: DbProvider; readonly value: Secret };
  /** Server and container modes: keep the database when the stack is destroyed. */
  readonly retainOnDelete?: boolean;
  /** Server and container modes: take back a database an earlier destroy kept, instead of stopping. */
  readonly takeBack?: boolean;
}

export interface StackConfig {
  readonly creatioUrl: string;
  /** Where the Identity Service runs. */
  readonly platform: Platform;
  /** The Kubernetes settings; undefined unless platform is kubernetes. */
  readonly kubernetes?: KubernetesConfig;
  /** ClientCredentials' arguments. */
  readonly client: ClientConfig;
  readonly service: {
    readonly sourceDir?: string;
    readonly image?: string;
    readonly imageName: string;
    readonly containerName: string;
    readonly httpPort: number;
    readonly httpsPort: number;
    readonly listenAddress: string;
    /** The Identity Service URL Creatio and browsers use. */
    readonly publicUrl: string;
    /** The Identity Service URL as Creatio's server reaches it (identityServerUrlForCreatio, else publicUrl). */
    readonly urlForCreatio: string;
    readonly logLevel: string;
    readonly redisConnection?: Secret;
    /** The Docker engine (`docker:host` config, as @pulumi/docker reads it); undefined: DOCKER_HOST or the local socket. */
    readonly dockerHost?: string;
    /** @pulumi/docker's other connection settings the stack sets (docker:context, certPath, the materials, sshOpts); secret when it holds a key. */
    readonly dockerConnection?: pulumi.Output<DockerConnectionSettings>;
  };
  /** Snapshots of the Identity Service database around image changes (PostgreSQL). */
  readonly databaseSnapshots: { readonly keep: number; readonly restore?: string };
  /** Certificate's arguments: a self-signed certificate, or the supplied PFX as validation read it. */
  readonly certificate: CertificateConfig;
  /** IdentityDatabase's arguments: exactly one of container, server, connectionString. */
  readonly database: DatabaseConfig;
  /** The Identity Service's DbProvider, decided by the database settings. */
  readonly dbProvider: DbProvider;
  /** The Creatio integration; undefined unless `creatioIntegration` is true. */
  readonly creatio?: {
    readonly connection: CreatioConnectionConfig;
    readonly createDefaultResource: boolean;
    readonly featureAdminUnitIds: string[];
    readonly readinessTimeoutSeconds: number;
    /** CA certificate(s), PEM, the stack's checks of the Identity Service trust (a supplied certificate's internal CA). */
    readonly identityServerCaPem?: string;
    /** OAuth 2.0 integrated applications to create (creatioOAuthApplications). */
    readonly applications: CreatioApplicationConfig[];
  };
}

/**
 * Bad configuration: the message lists every problem, each naming its key and the fix. A Pulumi
 * `RunError`, the SDK's error for a program that stops on the user's input: `pulumi preview`/`up`
 * print its message once, without a stack trace or "unhandled exception".
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration for stack (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** What the raw config looks like: full keys (`creatio-identity:httpPort`) to strings, plus which are secret. */
export interface RawConfig {
  readonly values: Readonly<Record<string, string>>;
  readonly secretKeys: ReadonlySet<string>;
  /** Folder relative paths are resolved against (the project folder). */
  readonly projectDir: string;
  /** The environment @pulumi/docker falls back to (DOCKER_HOST, DOCKER_CERT_PATH, ...); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}
