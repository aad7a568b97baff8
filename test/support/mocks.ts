import * as pulumi from "@pulumi/pulumi";

/** One resource registered with the mock engine, as the program built it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Inputs with secret wrappers removed (plain values). */
  readonly inputs: Record<string, any>;
  /** Top-level input names whose value (or any part of it) reached the engine as a secret. */
  readonly secretInputs: ReadonlySet<string>;
  /** The aliases the resource registered with (as alias specs: type and/or name, `noParent` for "it was the stack's own"; a URN alias as `urn`). */
  readonly aliases: ReadonlyArray<{ readonly type?: string; readonly name?: string; readonly noParent?: true; readonly urn?: string }>;
  /** The parent's URN (the stack's own resources have the stack as parent). */
  readonly parent?: string;
  /** The resource options the engine acts on that the mock engine's newResource does not receive. */
  readonly options: {
    readonly ignoreChanges: readonly string[];
    readonly deleteBeforeReplace: boolean;
    readonly retainOnDelete: boolean;
    /** Input name → URNs of the resources its value came from (what orders replacements in the engine). */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** The URNs of every resource it depends on (dependsOn and its inputs' resources). */
    readonly dependencies: readonly string[];
    /** The `import` option: the id of the existing resource the engine adopts; "" when not set. */
    readonly importId: string;
    /** Outputs the engine must store encrypted whatever their inputs were. */
    readonly additionalSecretOutputs: readonly string[];
  };
}

/** The aliases of a RegisterResourceRequest, as plain data (the mock engine's newResource does not receive them). */
function aliasesOf(req: any): RecordedResource["aliases"] {
  return (req.getAliasesList?.() ?? []).map((alias: any) => {
    if (alias.getUrn?.()) return { urn: alias.getUrn() };
    const spec = alias.getSpec();
    return { ...(spec.getType() ? { type: spec.getType() } : {}), ...(spec.getName() ? { name: spec.getName() } : {}), ...(spec.getNoparent() ? { noParent: true as const } : {}) };
  });
}

// How the SDK marks a secret value on the wire (see @pulumi/pulumi runtime/rpc).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isWrappedSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as any)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret wrappers; `found` is set when any was present. */
function unwrap(v: unknown, found: { secret: boolean }): any {
  if (isWrappedSecret(v)) {
    found.secret = true;
    return unwrap(v.value, found);
  }
  if (Array.isArray(v)) return v.map((x) => unwrap(x, found));
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x, found)]));
  return v;
}

/** Computes the outputs a fake provider would return for a resource type (on top of its inputs). */
export type OutputFaker = (args: pulumi.runtime.MockResourceArgs) => Record<string, any>;

/** Fake provider outputs for the resource types this package uses. Deterministic on purpose. */
export const defaultFakers: Record<string, OutputFaker> = {
  "random:index/randomString:RandomString": (a) => ({ result: "r".repeat(a.inputs.length) }),
  "random:index/randomPassword:RandomPassword": (a) => ({ result: "p".repeat(a.inputs.length) }),
  "tls:index/privateKey:PrivateKey": (a) => ({
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\nfake-${a.name}\n-----END PRIVATE KEY-----\n`,
    publicKeyPem: "fake-public",
  }),
  "tls:index/selfSignedCert:SelfSignedCert": (a) => ({
    certPem: `-----BEGIN CERTIFICATE-----\nfake-${a.name}\n-----END CERTIFICATE-----\n`,
    validityEndTime: "2027-11-23T00:00:00Z",
    validityStartTime: "2026-11-23T00:00:00Z",
    readyForRenewal: false,
  }),
  "docker:index/remoteImage:RemoteImage": (a) => ({ imageId: `sha256:fake-${a.inputs.name}`, repoDigest: "" }),
  "docker:index/image:Image": (a) => ({ imageName: `${a.inputs.imageName}`, repoDigest: `${a.inputs.imageName}@sha256:fake` }),
  "docker:index/network:Network": (a) => ({ name: a.inputs.name ?? a.name }),
  "docker:index/container:Container": (a) => ({ name: a.inputs.name ?? a.name }),
  // Kubernetes objects: the provider names one without metadata.name after the resource (plus a suffix).
  "kubernetes:core/v1:Namespace": kubernetesObject,
  "kubernetes:core/v1:Secret": kubernetesObject,
  "kubernetes:core/v1:Service": kubernetesObject,
  "kubernetes:apps/v1:Deployment": (a) => ({ ...kubernetesObject(a), status: { readyReplicas: a.inputs.spec?.replicas } }),
  "kubernetes:policy/v1:PodDisruptionBudget": kubernetesObject,
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": kubernetesObject,
  "kubernetes:networking.k8s.io/v1:Ingress": kubernetesObject,
};

/** A Kubernetes object as the provider returns it: metadata.name set (auto-named ones get a suffix). */
function kubernetesObject(a: pulumi.runtime.MockResourceArgs): Record<string, any> {
  return { metadata: { ...a.inputs.metadata, name: a.inputs.metadata?.name ?? `${a.name}-0a1b2c3d` } };
}

/** A PfxBundle's outputs for program tests that build no real PFX (its inputs echoed, as the other dynamic resources' are). */
export const pfxBundleFaker: OutputFaker = (a) => ({ pfxBase64: "UEZY", notAfter: "2027-11-23T00:00:00.000Z", certificatePem: "cert", ...a.inputs });

export interface MockOptions {
  readonly project?: string;
  readonly stack?: string;
  readonly preview?: boolean;
  /** Config for the stack, keys without the project prefix (e.g. `httpPort`). */
  readonly config?: Record<string, string>;
  /** Keys of `config` that are secrets (as if set with `pulumi config set --secret`). */
  readonly secretKeys?: string[];
  /** Extra or replacement output fakers by type token. */
  readonly fakers?: Record<string, OutputFaker>;
  /** Milliseconds the fake provider takes to create a resource, by resource name (to observe ordering). */
  readonly delays?: Record<string, number>;
  /** Receives `start:<name>` when the engine is asked to create a resource and `done:<name>` when it has. */
  readonly events?: string[];
}

/**
 * Installs Pulumi's in-process mocks and returns the list every registered resource is appended to.
 * Call it before constructing resources (each test file calls it once per program run).
 */
export function installMocks(options: MockOptions = {}): RecordedResource[] {
  const project = options.project ?? "creatio-identity";
  const stack = options.stack ?? "dev";
  const resources: RecordedResource[] = [];
  const fakers = { ...defaultFakers, ...(options.fakers ?? {}) };
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.config ?? {})) config[k.includes(":") ? k : `${project}:${k}`] = v;
  const secretKeys = (options.secretKeys ?? []).map((k) => (k.includes(":") ? k : `${project}:${k}`));
  /** Aliases by resource name, read off each registration request before the mock sees it. */
  const aliasesByName = new Map<string, RecordedResource["aliases"]>();
  const optionsByName = new Map<string, RecordedResource["options"]>();
  const parentByName = new Map<string, string>();
  pulumi.runtime.setAllConfig(config, secretKeys);
  pulumi.runtime.setMocks(
    {
      async newResource(args) {
        options.events?.push(`start:${args.name}`);
        const delay = options.delays?.[args.name];
        if (delay) await new Promise((r) => setTimeout(r, delay));
        const inputs: Record<string, any> = {};
        const secretInputs = new Set<string>();
        for (const [k, v] of Object.entries(args.inputs ?? {})) {
          const found = { secret: false };
          inputs[k] = unwrap(v, found);
          if (found.secret) secretInputs.add(k);
        }
        resources.push({
          type: args.type,
          name: args.name,
          inputs,
          secretInputs,
          aliases: aliasesByName.get(args.name) ?? [],
          parent: parentByName.get(args.name) || undefined,
          options: optionsByName.get(args.name) ?? {
            ignoreChanges: [],
            deleteBeforeReplace: false,
            retainOnDelete: false,
            propertyDependencies: {},
            dependencies: [],
            importId: "",
            additionalSecretOutputs: [],
          },
        });
        const faker = fakers[args.type];
        const state = { ...args.inputs, ...(faker ? faker({ ...args, inputs }) : {}) };
        options.events?.push(`done:${args.name}`);
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        return args.inputs;
      },
    },
    project,
    stack,
    options.preview ?? false,
  );
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: unknown) => {
    aliasesByName.set(req.getName(), aliasesOf(req));
    parentByName.set(req.getName(), req.getParent());
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: any, key: string) => (propertyDependencies[key] = deps.getUrnsList()));
    optionsByName.set(req.getName(), {
      ignoreChanges: req.getIgnorechangesList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      retainOnDelete: req.getRetainondelete?.() ?? false,
      propertyDependencies,
      dependencies: req.getDependenciesList(),
      importId: req.getImportid?.() ?? "",
      additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
    });
    return register(req, callback);
  };
  return resources;
}

/** Resolves an Output's value (mock runs only). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) =>
    output.apply((v) => {
      resolve(v);
      return v;
    }),
  );
}

/** Resolves an Output's value and whether it is marked secret. */
export async function secretValueOf<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const [value, secret] = await Promise.all([valueOf(output), pulumi.isSecret(output)]);
  return { value, secret };
}

/** Waits until every resource registration so far has been sent to the mock engine. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Registrations still in flight (a dynamic provider's closure takes ~1 s to serialize) must finish
  // inside the test, or they outlive the test file and crash jest after teardown.
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/** The single recorded resource of a type (and optional name), or a clear failure. */
export function only(resources: RecordedResource[], type: string, name?: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
  }
  return found[0];
}
