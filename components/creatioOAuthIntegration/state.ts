/**
 * What CreatioOAuthIntegration keeps in the stack's state, how a state written by an earlier version
 * is read, and the diff. Pure: no I/O.
 */
import { DEFAULTS } from "../../lib/defaults";
import { FeatureStateRow } from "../../lib/creatio/entities";
import { isUnknown } from "../../lib/inputChecks";
import { CREATIO_CONNECTION_PROPERTY, IDENTITY_SERVICE_CHECK_PROPERTIES, isAnotherCreatio } from "../../lib/creatio/resourceArgs";
import { canonical, DynamicResourceSpec, inputPaths, inputPathsWith, secretNames, valueAt } from "../../lib/dynamicResource";
import { IntegrationInputs } from "./inputs";

/** A setting as create found it. The client secret's value is never known: only whether it had one. */
export interface FoundSetting {
  readonly code: string;
  /** The plain value (URL, client id); null for the secret, or when the setting had no value. */
  readonly value: string | null;
  /** Whether the setting had a non-empty value. */
  readonly hadValue: boolean;
}

/** The resource's state: its resolved inputs plus what it found and what it changed in Creatio. */
export interface IntegrationState extends IntegrationInputs {
  /** `Feature.Id` of OAuth20Integration in this Creatio. */
  readonly featureId: string;
  /** SysAdminUnitId → FeatureState of OAuth20Integration, as Creatio has it now (refresh shows drift). */
  readonly featureStates: Record<string, number>;
  /** The state rows as found before this stack changed them; delete puts these states back. */
  readonly previousFeatureStates: FeatureStateRow[];
  /** Ids of the state rows this resource added; delete removes them. */
  readonly insertedFeatureStateIds: string[];
  /** The setting codes written through Creatio's API. */
  readonly settingsWritten: string[];
  /** The settings as found before this stack wrote them; delete puts them back (secret output). */
  readonly previousSettings: FoundSetting[];
  /** Name of Creatio's default OAuth resource as Creatio has it now, or null (refresh shows drift). */
  readonly defaultResource: string | null;
  /** Name of the default resource this stack created, or null when it was there before. */
  readonly createdDefaultResource: string | null;
  /** False when the last create or update failed halfway and could not undo all it did (partial state). */
  readonly complete: boolean;
}

/**
 * Every property of CreatioOAuthIntegration, declared once (lib/dynamicResource.ts): which are
 * secret, and which inputs alter nothing in Creatio (an update with only those just records them).
 * Another `creatio.url` is another Creatio: the diff replaces the resource.
 */
export const CREATIO_OAUTH_INTEGRATION_PROPERTIES = {
  inputs: {
    identityServerUrl: {},
    clientId: {},
    clientSecret: { secret: true },
    creatio: CREATIO_CONNECTION_PROPERTY,
    featureAdminUnitIds: {},
    createDefaultResource: {},
    ...IDENTITY_SERVICE_CHECK_PROPERTIES,
  },
  outputs: {
    featureId: {},
    featureStates: {},
    previousFeatureStates: {},
    insertedFeatureStateIds: {},
    settingsWritten: {},
    previousSettings: { secret: true },
    defaultResource: {},
    createdDefaultResource: {},
    complete: {},
  },
} satisfies DynamicResourceSpec<IntegrationInputs, IntegrationState>;

/** Output properties that carry a secret. */
export const SECRET_OUTPUTS = secretNames(CREATIO_OAUTH_INTEGRATION_PROPERTIES);

/** Inputs whose change alters nothing in Creatio: an update with only these changes just records them. */
export const STATE_ONLY_INPUTS = inputPathsWith(CREATIO_OAUTH_INTEGRATION_PROPERTIES, "recordOnly");

/**
 * Reads a state of any version as the current shape. The first version (0.1) reached Creatio's
 * database directly: its `creatio.databaseConnectionString` is dropped, and its `previousSettings`
 * held the raw stored rows (`textValue`, the secret encrypted), which become FoundSettings.
 */
export function normalizeState(raw: Record<string, any>): IntegrationState {
  const creatio = { ...(raw.creatio ?? {}) };
  delete creatio.databaseConnectionString;
  if (creatio.netCore === undefined) creatio.netCore = DEFAULTS.creatioNetCore;
  const previousSettings: FoundSetting[] = (Array.isArray(raw.previousSettings) ? raw.previousSettings : []).map((s: any) => {
    if ("hadValue" in s) return { code: String(s.code), value: s.value ?? null, hadValue: !!s.hadValue };
    // 0.1: { code, valueTypeName, valueRowExisted, textValue } as stored in SysSettingsValue.
    const secure = s.valueTypeName === "SecureText";
    const text = typeof s.textValue === "string" ? s.textValue : null;
    return { code: String(s.code), value: secure ? null : s.valueRowExisted ? text : null, hadValue: !!text };
  });
  return {
    ...(raw as IntegrationState),
    creatio,
    featureAdminUnitIds: raw.featureAdminUnitIds ?? [],
    createDefaultResource: raw.createDefaultResource ?? DEFAULTS.creatioCreateDefaultResource,
    featureStates: raw.featureStates ?? {},
    previousFeatureStates: raw.previousFeatureStates ?? [],
    insertedFeatureStateIds: raw.insertedFeatureStateIds ?? [],
    settingsWritten: raw.settingsWritten ?? [],
    previousSettings,
    // 0.1 never created one; its state has no such field.
    defaultResource: raw.defaultResource ?? null,
    createdDefaultResource: raw.createdDefaultResource ?? null,
    complete: raw.complete ?? true,
  };
}

/** Whether a state was written by the first version (it reached Creatio's database). */
export function isFirstVersionState(raw: Record<string, any>): boolean {
  return raw.creatio?.databaseConnectionString !== undefined || !("complete" in raw);
}

/** The inputs (dotted paths) whose value differs between the state and the new inputs. */
export function changedInputs(olds: Record<string, any>, news: Record<string, any>): string[] {
  return inputPaths(CREATIO_OAUTH_INTEGRATION_PROPERTIES)
    .map((p) => p.path)
    .filter((p) => canonical(valueAt(olds, p)) !== canonical(valueAt(news, p)));
}

/** What Creatio shows now that differs from what the state says this stack set up (drift seen by read). */
export function driftOf(state: IntegrationState): string[] {
  const drift: string[] = [];
  const off = Object.entries(state.featureStates)
    .filter(([, s]) => s !== 1)
    .map(([u]) => u);
  const missing = state.featureAdminUnitIds.filter((u) => !isUnknown(u) && !(u in state.featureStates));
  if (off.length > 0) drift.push(`OAuth20Integration is off for ${off.join(", ")}`);
  if (missing.length > 0) drift.push(`OAuth20Integration has no state row for ${missing.join(", ")}`);
  if (state.createDefaultResource && state.defaultResource === null) drift.push("Creatio has no default OAuth resource");
  return drift;
}

/**
 * The diff. A different Creatio (its URL) is a replacement, and so is a Creatio URL not known yet
 * (preview must not promise an update that becomes a replacement). Changed settings, targets or
 * drift are an in-place update; so is a state from an earlier version (the update migrates it).
 */
export function diffState(oldsRaw: Record<string, any>, news: Record<string, any>): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const olds = normalizeState(oldsRaw);
  const replaces = isAnotherCreatio(olds, news) ? ["creatio"] : [];
  const changes = replaces.length > 0 || changedInputs(olds, news).length > 0 || driftOf(olds).length > 0 || !olds.complete || isFirstVersionState(oldsRaw);
  // Put the old Creatio back before switching the new one over: if both are in fact the same
  // Creatio (another host name for it), create-before-delete would record the switched-on state as
  // "found" and the old delete would then switch it off.
  return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** SysAdminUnitId → FeatureState. */
export function stateMap(rows: readonly FeatureStateRow[]): Record<string, number> {
  const map: Record<string, number> = {};
  for (const r of rows) map[r.sysAdminUnitId] = r.featureState;
  return map;
}
