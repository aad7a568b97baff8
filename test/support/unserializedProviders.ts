/**
 * Replaces @pulumi/pulumi's closure serializer in test files that run the stack program under mocks
 * to look at resource inputs, outputs and policies:
 *
 *   jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));
 *
 * A dynamic resource serializes its provider (every function and module it reaches) when it is
 * constructed, which cost each such file one to three seconds for the six providers, and nothing
 * these files check depends on that text. The serialization itself is tested where it matters:
 * - each provider's own test file serializes it (all but CreatioOAuthApplication's also run the
 *   copy in a separate Node process);
 * - stack.test.ts keeps the real serializer and checks that every dynamic resource of the whole
 *   program got its provider's text (expectSerializedProviders);
 * - the e2e suite deploys them with the engine.
 */
export const UNSERIALIZED_PROVIDER = "exports.handler = undefined; // provider not serialized in this test file";

export async function serializeFunction(): Promise<{ text: string; exportName: string; containsSecrets: boolean }> {
  return { text: UNSERIALIZED_PROVIDER, exportName: "handler", containsSecrets: false };
}

/**
 * For the files that keep the real serializer: every dynamic resource of a program run got its
 * provider as the module text Pulumi's serializer writes (`exports.handler = __f0;` and the
 * functions it reaches). Returns the dynamic resource types seen.
 */
export function expectSerializedProviders(resources: ReadonlyArray<{ type: string; name: string; inputs: Record<string, any> }>): string[] {
  const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
  const serialized = (text: unknown) => typeof text === "string" && /^exports\.handler = __f\d+;$/m.test(text) && /^function __f\d+\(/m.test(text);
  expect(dynamic.filter((r) => !serialized(r.inputs.__provider)).map((r) => r.name)).toEqual([]);
  return [...new Set(dynamic.map((r) => r.type))].sort();
}
