import * as pulumi from "@pulumi/pulumi";

/** One resource registered with the mock engine, as the program built it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
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
};

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
  pulumi.runtime.setAllConfig(config, secretKeys);
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const faker = fakers[args.type];
        const state = { ...args.inputs, ...(faker ? faker(args) : {}) };
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
  return resources;
}

/** Resolves an Output's value (mock runs only). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

/** Resolves an Output's value and whether it is marked secret. */
export async function secretValueOf<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const [value, secret] = await Promise.all([valueOf(output), pulumi.isSecret(output)]);
  return { value, secret };
}

/** Waits until every resource registration so far has been sent to the mock engine. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

/** The single recorded resource of a type (and optional name), or a clear failure. */
export function only(resources: RecordedResource[], type: string, name?: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
  }
  return found[0];
}
