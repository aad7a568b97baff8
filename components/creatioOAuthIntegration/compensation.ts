/**
 * Putting Creatio back. There is no transaction over HTTP, so every change the steps made is undone
 * by another call, in reverse order; an undo that cannot finish (Creatio went away halfway) becomes
 * Pulumi's partial-state error, so the stack's state records what is still changed and a later
 * `pulumi up`, `refresh` or `destroy` knows what to put back. Every undo is idempotent: running it
 * again after it partly ran, or for a change that never reached Creatio, does no harm.
 */
import { OAUTH_SETTING_CODES } from "../../lib/creatio/constants";
import { batch, BatchItem } from "../../lib/creatio/dataService";
import { deleteFeatureStateItem, insertFeatureStateItem, setFeatureStateItem } from "../../lib/creatio/entities";
import { clearFeatureCache, postSysSettingsValues } from "../../lib/creatio/services";
import { CreatioClient } from "../../lib/creatio/session";
import { FoundSetting } from "./state";
import { FeatureChange } from "./steps";
import { UndoAction } from "../../lib/undo";

export { partialStateError, runUndo } from "../../lib/undo";
export type { UndoAction } from "../../lib/undo";

/**
 * Undoes a feature change in one BatchQuery, last change first: added rows deleted, switched-on
 * rows back to their state, removed rows added back (each deleted by Id first, so running the undo
 * again after it partly ran does no harm). None when there is nothing to undo. Fails listing every
 * query Creatio refused or did not answer; all of them are safe to run again.
 */
export function undoFeatureChange(client: CreatioClient, featureId: string, change: FeatureChange): UndoAction[] {
  const steps: Array<{ label: string; items: BatchItem[] }> = [
    ...[...change.inserted].reverse().map((row) => ({ label: `added state row ${row.id} deleted`, items: [deleteFeatureStateItem(row.id)] })),
    ...[...change.switchedOn].reverse().map((row) => ({ label: `state row ${row.id} back to ${row.featureState}`, items: [setFeatureStateItem(row.id, row.featureState === 1)] })),
    ...[...change.removed].reverse().map((row) => ({
      label: `state row ${row.id} added back`,
      items: [deleteFeatureStateItem(row.id), insertFeatureStateItem(row.id, featureId, row.sysAdminUnitId, row.featureState === 1)],
    })),
  ];
  if (steps.length === 0) return [];
  return [
    {
      label: steps.map((s) => s.label).join("; "),
      async run() {
        const outcomes = await batch(
          client,
          steps.flatMap((s) => s.items),
        );
        const failed = outcomes.filter((o) => o.kind !== "done").map((o) => (o as { reason: string }).reason);
        if (failed.length > 0) throw new Error([...new Set(failed)].join("; "));
      },
    },
  ];
}

/** Clears the feature cache after feature rows were put back; a failure only warns (the rows are right). */
export function clearCacheAfterUndo(client: CreatioClient): UndoAction {
  return { label: "feature cache cleared", optional: true, run: () => clearFeatureCache(client) };
}

/** Writes settings back; a refused code fails the action. */
export function putBackSettings(client: CreatioClient, values: Record<string, string>): UndoAction {
  return {
    label: `${Object.keys(values).join(", ")} put back`,
    async run() {
      const { saved, message } = await postSysSettingsValues(client, values);
      const refused = Object.keys(values).filter((c) => !saved[c]);
      if (refused.length > 0) throw new Error(`Creatio refused to save ${refused.join(", ")}${message ? ` (${message})` : ""}`);
    },
  };
}

/**
 * The values that put `codes` back as found. The URL and client id go back to their plain values;
 * an empty setting gets "". The secret can only be emptied: Creatio never gives it back, so a
 * secret that had a value is reported in `lostSecret` for the caller to say so.
 */
export function foundSettingValues(found: readonly FoundSetting[], codes: readonly string[]): { values: Record<string, string>; lostSecret: boolean } {
  const values: Record<string, string> = {};
  let lostSecret = false;
  for (const code of codes) {
    const setting = found.find((s) => s.code === code);
    if (code === OAUTH_SETTING_CODES.clientSecret) {
      values[code] = "";
      lostSecret = !!setting?.hadValue;
    } else {
      values[code] = setting?.value ?? "";
    }
  }
  return { values, lostSecret };
}

/** The warning for a secret that cannot be restored. */
export const LOST_SECRET_WARNING =
  `${OAUTH_SETTING_CODES.clientSecret} had a value before this stack set it, and Creatio never returns it, so it was emptied ` +
  "rather than restored: enter the earlier secret again in Creatio's System settings if Creatio is to use the earlier Identity Service.";
