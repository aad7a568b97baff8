/**
 * What "two runs with the same config give the same program" compares: every registered resource's
 * type, name, inputs and which inputs are secret, in an order that does not depend on when each
 * registration reached the mock engine (closure serialization makes that order vary).
 *
 * A Pulumi program must be deterministic: an input that differs between two runs with the same
 * config (a timestamp, a random value, an unsorted map) shows as a change in every `pulumi preview`
 * and makes Pulumi update or replace the resource on every `pulumi up`. test/determinism.test.ts
 * shows that this comparison catches a component that uses the time or randomness.
 */
import type { RecordedResource } from "./mocks";

/** One line per registered resource, sorted: `type name {inputs} secret=[...]`. */
export function registrations(resources: readonly RecordedResource[]): string[] {
  return resources.map((r) => `${r.type} ${r.name} ${JSON.stringify(r.inputs)} secret=${JSON.stringify([...r.secretInputs].sort())}`).sort();
}

/**
 * Runs `program` twice (each run installs its own mocks and returns what was registered) and
 * returns the registrations of both, for `expect(second).toEqual(first)`. Fails when a run
 * registered nothing, so an empty program cannot pass as a deterministic one.
 */
export async function twoRuns(program: () => Promise<readonly RecordedResource[]>): Promise<{ first: string[]; second: string[] }> {
  const first = registrations(await program());
  const second = registrations(await program());
  if (first.length === 0) throw new Error("twoRuns: the program registered no resource, so there is nothing to compare");
  return { first, second };
}
