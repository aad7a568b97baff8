/**
 * Undo for the dynamic providers that change another system step by step over HTTP, where there is
 * no transaction: each change has an undo, they run last first, and an undo that cannot finish makes
 * the failure Pulumi's partial-state error, so the stack's state records what is still changed.
 * Plain functions and objects: they run in the dynamic-provider process after closure serialization.
 */
import { messageOf } from "./redact";

/** One undo: what it puts back, and how. `optional` ones only warn when they fail. */
export interface UndoAction {
  readonly label: string;
  readonly optional?: boolean;
  run(): Promise<void>;
}

/** Runs the actions last-first, all of them even after a failure; returns what was and was not put back. */
export async function runUndo(actions: readonly UndoAction[]): Promise<{ done: string[]; failed: string[]; warnings: string[] }> {
  const done: string[] = [];
  const failed: string[] = [];
  const warnings: string[] = [];
  for (const action of [...actions].reverse()) {
    try {
      await action.run();
      done.push(action.label);
    } catch (e) {
      (action.optional ? warnings : failed).push(`${action.label}: ${messageOf(e)}`);
    }
  }
  return { done, failed, warnings };
}

/**
 * Where the dynamic-provider host keeps the serialized provider in a resource's inputs and state
 * (@pulumi/pulumi's cmd/dynamic-provider `providerKey`). The engine needs it in the state to load
 * the provider for `refresh` and `destroy`. The host adds it to the outputs of a create or update
 * that succeeds, but sends an error's properties as they are.
 */
export const PROVIDER_KEY = "__provider";

/**
 * Pulumi's partial-state error for a dynamic provider: a failure that carries the resource's id and
 * properties, which the provider host sends as `ErrorResourceInitFailed`, so the engine records the
 * resource with those properties instead of forgetting what was changed. `inputs` are the inputs
 * the provider method received: their serialized provider goes into the properties, so the
 * recorded resource can be refreshed and destroyed.
 */
export function partialStateError(message: string, id: string, properties: object, inputs: object): Error {
  // A plain Error with properties: a serialized Error subclass loses its message.
  return Object.assign(new Error(message), { id, properties: plain({ ...properties, [PROVIDER_KEY]: (inputs as Record<string, unknown>)[PROVIDER_KEY] }), reasons: [message] });
}

/** A state as the engine can take it: protobuf's Struct refuses `undefined` values, so they are left out. */
export function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
