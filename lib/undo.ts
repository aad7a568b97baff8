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
 * Pulumi's partial-state error for a dynamic provider: a failure that carries the resource's id and
 * properties, which the provider host sends as `ErrorResourceInitFailed`, so the engine records the
 * resource with those properties instead of forgetting what was changed.
 */
export function partialStateError(message: string, id: string, properties: Record<string, unknown>): Error {
  // A plain Error with properties: a serialized Error subclass loses its message.
  return Object.assign(new Error(message), { id, properties: plain(properties), reasons: [message] });
}

/** A state as the engine can take it: protobuf's Struct refuses `undefined` values, so they are left out. */
export function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
