/**
 * The steps that switch Creatio over, each one thing done through Creatio's API. A step never
 * throws: it returns what it did and, when it failed, the error, so that a step that fails halfway
 * still tells the caller exactly what to put back (compensation.ts).
 */
import { OAUTH_FEATURE_CODE, OAUTH_SETTING_CODES, OAUTH_SETTING_CODE_LIST } from "../../lib/creatio/constants";
import { batch, BatchItem, BatchOutcome, selectBatch } from "../../lib/creatio/dataService";
import {
  adminUnitsById,
  defaultOAuthResource,
  defaultResourceOf,
  defaultResources,
  deleteFeatureStateItem,
  featureByCode,
  featureIdOf,
  FeatureStateRow,
  featureStatesByCode,
  featureStatesOf,
  insertFeatureStateItem,
  missingAmong,
  setFeatureStateItem,
  settingsByCode,
  settingTextsOf,
  settingValuesByCode,
} from "../../lib/creatio/entities";
import { callOAuthConfigService, clearFeatureCache, OAUTH_DISABLED_PATTERN, oauthConfigFileFix, postSysSettingsValues } from "../../lib/creatio/services";
import { CreatioClient } from "../../lib/creatio/session";
import { messageOf } from "../../lib/redact";
import type { StepResult } from "../../lib/creatio/providerSupport";
import { FoundSetting } from "./state";

function failed<T>(did: T, e: unknown): StepResult<T> {
  return { did, error: e instanceof Error ? e : new Error(messageOf(e)) };
}

/** Creatio as found before anything is changed. */
export interface FoundInCreatio {
  readonly featureId: string;
  readonly rows: FeatureStateRow[];
  readonly settings: FoundSetting[];
  readonly defaultResource: string | null;
}

/**
 * Reads what is there (step 3), in one BatchQuery: the feature by code and its state rows, that the
 * target units exist, that the three settings exist and their system-wide values (the secret only
 * as "had a value or not"), whether a default resource exists. Throws, naming the problem, before
 * anything is changed.
 */
export async function readCreatio(client: CreatioClient, targets: readonly string[]): Promise<FoundInCreatio> {
  const [features, stateRows, settingRows, valueRows, resourceRows, unitRows] = await selectBatch(client, [
    featureByCode(OAUTH_FEATURE_CODE),
    featureStatesByCode(OAUTH_FEATURE_CODE),
    settingsByCode(OAUTH_SETTING_CODE_LIST),
    settingValuesByCode(OAUTH_SETTING_CODE_LIST),
    defaultResources(),
    ...(targets.length > 0 ? [adminUnitsById(targets)] : []),
  ]);
  const featureId = featureIdOf(features);
  if (!featureId) {
    throw new Error(
      `Creatio has no feature with Code '${OAUTH_FEATURE_CODE}': this Creatio version does not ship the OAuth 2.0 integration ` +
        `(the Identity Service needs Creatio 8.0.8 or later), or the user cannot read features. Nothing was changed in Creatio.`,
    );
  }
  const missingUnits = missingAmong(targets, unitRows ?? []);
  if (missingUnits.length > 0) {
    throw new Error(
      `featureAdminUnitIds: Creatio has no role or user (SysAdminUnit) with Id ${missingUnits.join(", ")}. Fix the ids or leave featureAdminUnitIds out for All employees. Nothing was changed in Creatio.`,
    );
  }
  const known = new Set(settingRows.map((r) => String(r.Code)));
  const notFound = OAUTH_SETTING_CODE_LIST.filter((c) => !known.has(c));
  if (notFound.length > 0) {
    throw new Error(
      `Creatio has no system setting ${notFound.join(", ")} (or user may not read it): this Creatio version does not support the Identity Service integration. Nothing was changed in Creatio.`,
    );
  }
  const texts = settingTextsOf(OAUTH_SETTING_CODE_LIST, valueRows);
  const plain = (code: string): FoundSetting => ({ code, value: texts[code], hadValue: !!texts[code] });
  const settings: FoundSetting[] = [
    plain(OAUTH_SETTING_CODES.url),
    plain(OAUTH_SETTING_CODES.clientId),
    { code: OAUTH_SETTING_CODES.clientSecret, value: null, hadValue: !!texts[OAUTH_SETTING_CODES.clientSecret] },
  ];
  return { featureId, rows: featureStatesOf(stateRows), settings, defaultResource: defaultResourceOf(resourceRows) };
}

/** What enabling the feature changed. */
export interface FeatureChange {
  /** Rows switched on, with the state they had. */
  readonly switchedOn: FeatureStateRow[];
  /** Rows added (also those whose insert may have reached Creatio without an answer). */
  readonly inserted: FeatureStateRow[];
  /** Rows this stack had added earlier for units no longer targeted, deleted now (with their state). */
  readonly removed: FeatureStateRow[];
}

/**
 * Step 4: every state row of the feature to on, a new row (on) for each target unit without one,
 * and rows this stack added for units no longer targeted deleted, all in one BatchQuery. What each
 * query came to decides what is recorded for the undo: a query done or not known to have failed is
 * recorded when its undo is harmless either way (switching a row back, deleting an added row); a
 * deletion only when Creatio confirmed it. New row ids come from `newId`.
 */
export async function enableFeature(
  client: CreatioClient,
  featureId: string,
  rows: readonly FeatureStateRow[],
  targets: readonly string[],
  ownRowsToDrop: readonly string[],
  newId: () => string,
): Promise<StepResult<FeatureChange>> {
  const toDrop = rows.filter((r) => ownRowsToDrop.includes(r.id));
  const toSwitch = rows.filter((r) => r.featureState !== 1 && !ownRowsToDrop.includes(r.id));
  const withRow = new Set(rows.filter((r) => !ownRowsToDrop.includes(r.id)).map((r) => r.sysAdminUnitId));
  const toInsert = targets.filter((u) => !withRow.has(u)).map((unit) => ({ id: newId(), sysAdminUnitId: unit, featureState: 1 }));
  const items: BatchItem[] = [
    ...toDrop.map((r) => deleteFeatureStateItem(r.id)),
    ...toSwitch.map((r) => setFeatureStateItem(r.id, true)),
    ...toInsert.map((r) => insertFeatureStateItem(r.id, featureId, r.sysAdminUnitId, true)),
  ];
  const outcomes = await batch(client, items);
  const at = (i: number): BatchOutcome => outcomes[i];
  const mayHaveRun = (o: BatchOutcome) => o.kind !== "refused";
  const did: FeatureChange = {
    removed: toDrop.filter((_, i) => at(i).kind === "done"),
    switchedOn: toSwitch.filter((_, i) => mayHaveRun(at(toDrop.length + i))),
    inserted: toInsert.filter((_, i) => mayHaveRun(at(toDrop.length + toSwitch.length + i))),
  };
  const problems: string[] = [];
  outcomes.forEach((o, i) => {
    if (o.kind !== "done") problems.push(o.reason);
    else if (i >= toDrop.length && i < toDrop.length + toSwitch.length && Number(o.answer.rowsAffected ?? 0) === 0) {
      problems.push(`the state row ${toSwitch[i - toDrop.length].id} is gone (Creatio changed no row); run pulumi up again`);
    }
  });
  if (problems.length === 0) return { did };
  return failed(did, new Error(`Enabling ${OAUTH_FEATURE_CODE} failed: ${[...new Set(problems)].join("; ")}`));
}

/**
 * Step 4b: clear Creatio's feature cache, so a running Creatio shows the users whose rows are now on
 * System Designer's "OAuth 2.0 integrated applications" link without a restart. (It does not turn
 * OAuthConfigService on: that is the application config file's setting, `oauthConfigFileFix`.)
 */
export async function clearFeatures(client: CreatioClient): Promise<StepResult<boolean>> {
  try {
    await clearFeatureCache(client);
    return { did: true };
  } catch (e) {
    return failed(false, new Error(`Clearing Creatio's feature cache failed: ${messageOf(e)}`));
  }
}

/**
 * Step 5: the three settings through PostSysSettingsValues, trusting `saveResult` per code. `did` is
 * the codes that may now hold the new value: the saved ones, or all of them when the call itself
 * failed (what was saved is then unknown).
 */
export async function writeSettings(client: CreatioClient, values: Record<string, string>, username: string): Promise<StepResult<string[]>> {
  const codes = Object.keys(values);
  let saved: Record<string, boolean>;
  let message: string | undefined;
  try {
    ({ saved, message } = await postSysSettingsValues(client, values));
  } catch (e) {
    return failed(codes, new Error(`Writing the system settings failed: ${messageOf(e)}`));
  }
  const written = codes.filter((c) => saved[c]);
  const refused = codes.filter((c) => !saved[c]);
  if (refused.length === 0) return { did: written };
  return failed(
    written,
    new Error(
      `Creatio refused to save the system setting ${refused.join(", ")} (PostSysSettingsValues saveResult false${message ? `: ${message}` : ""}). ` +
        `Check in Creatio's System settings that it exists and that user "${username}" may change it.`,
    ),
  );
}

/**
 * Step 6: Creatio's default OAuth resource ("Application access"), which every integrated
 * application needs: `OAuthConfigService/AddDefaultResource` with `{}` → `{AddDefaultResourceResult:{scope,...}}`;
 * `scope` is the new OAuthResource's Name (Creatio's `OAuthConfigService.OAuth20.cs` `CreateResource`).
 * Not idempotent, so callers look for one first. `did` is the resource's name when one now exists
 * that the call made (also after an answer lost on the way), else null.
 */
export async function addDefaultResource(client: CreatioClient, netCore: boolean): Promise<StepResult<string | null>> {
  try {
    const result = await callOAuthConfigService(client, "AddDefaultResource", {});
    return { did: typeof result.scope === "string" && result.scope ? result.scope : ((await defaultOAuthResource(client)) ?? null) };
  } catch (e) {
    const made = await defaultOAuthResource(client).catch(() => null);
    const hint = OAUTH_DISABLED_PATTERN.test(messageOf(e)) ? ` (${oauthConfigFileFix(netCore)})` : "";
    return failed(made, new Error(`Creating Creatio's default OAuth resource failed: ${messageOf(e)}${hint}`));
  }
}
