/**
 * The Creatio records the integration reads and writes, through DataService only (any database
 * engine, no database credentials), as queries that can go into one BatchQuery: the reads before a
 * switch-over are one request, and so are the feature rows it writes.
 *
 * Feature state (Creatio's `AdminUnitFeatureStateSchema.CrtBase.cs`, `AppFeatureStateSchema.FeatureToggling.cs`):
 * rows are READ through `AdminUnitFeatureState` (`FeatureState` integer 0/1, lookups `SysAdminUnit`,
 * `Feature`) and WRITTEN through its writable projection `AppFeatureState` (`FeatureState` boolean,
 * lookups `AdminUnit`, `Feature`), whose listener writes the AdminUnitFeatureState row with the same
 * Id. `AppFeatureState` answers selects only by Id, so it is never read. This is what Creatio's CLI
 * does (clio `clio/Command/FeatureStateService.cs`, `clio/CreatioModel/AppFeatureState.cs`).
 *
 * Settings are read as their system-wide value rows (`SysSettingsValue` of All employees), which is
 * where `PostSysSettingsValues` with `isPersonal:false` writes them; a SecureText row holds
 * ciphertext, looked at only to see whether it is empty.
 */
import { BatchItem, deleteItem, equals, insertItem, isIn, lookupId, select, SelectSpec, updateItem } from "./dataService";
import { CreatioClient } from "./session";
import { ALL_EMPLOYEES_ID } from "./constants";

/** One feature state row: which unit (role or user) has the feature on (1) or off (0). */
export interface FeatureStateRow {
  readonly id: string;
  readonly sysAdminUnitId: string;
  readonly featureState: number;
}

/** The feature with this code (`Id`). */
export const featureByCode = (code: string): SelectSpec => ({ entity: "Feature", columns: ["Id"], filters: [equals("Code", code)] });

/** `Feature.Id` from `featureByCode`'s rows, or undefined when Creatio has no such feature. */
export function featureIdOf(rows: readonly Record<string, unknown>[]): string | undefined {
  return rows.length > 0 ? String(rows[0].Id).toLowerCase() : undefined;
}

/** Every state row of the feature with this code (through the lookup, so it needs no feature id first). */
export const featureStatesByCode = (code: string): SelectSpec => ({
  entity: "AdminUnitFeatureState",
  columns: ["Id", "SysAdminUnit", "FeatureState"],
  filters: [equals("Feature.Code", code)],
});

/** `featureStatesByCode`'s rows, ordered by unit then Id (stable state). */
export function featureStatesOf(rows: readonly Record<string, unknown>[]): FeatureStateRow[] {
  return rows
    .map((r) => ({ id: String(r.Id).toLowerCase(), sysAdminUnitId: (lookupId(r.SysAdminUnit) ?? "").toLowerCase(), featureState: Number(r.FeatureState) ? 1 : 0 }))
    .sort((a, b) => (a.sysAdminUnitId + a.id).localeCompare(b.sysAdminUnitId + b.id));
}

/** The `SysAdminUnit` rows among these ids (to find the ones Creatio does not have). */
export const adminUnitsById = (ids: readonly string[]): SelectSpec => ({ entity: "SysAdminUnit", columns: ["Id"], filters: [isIn("Id", ids)] });

/** The ids among `unitIds` that `adminUnitsById`'s rows do not have. */
export function missingAmong(unitIds: readonly string[], rows: readonly Record<string, unknown>[]): string[] {
  const found = new Set(rows.map((r) => String(r.Id).toLowerCase()));
  return unitIds.filter((id) => !found.has(id.toLowerCase()));
}

/** The settings with these codes (to find the ones Creatio does not have). */
export const settingsByCode = (codes: readonly string[]): SelectSpec => ({ entity: "SysSettings", columns: ["Code"], filters: [isIn("Code", codes)] });

/** The system-wide value rows (All employees) of the settings with these codes. */
export const settingValuesByCode = (codes: readonly string[]): SelectSpec => ({
  entity: "SysSettingsValue",
  columns: ["SysSettings.Code", "TextValue"],
  filters: [isIn("SysSettings.Code", codes), equals("SysAdminUnit", ALL_EMPLOYEES_ID)],
});

/** Code → stored text (null for a setting without a value row) from `settingValuesByCode`'s rows. */
export function settingTextsOf(codes: readonly string[], rows: readonly Record<string, unknown>[]): Record<string, string | null> {
  const texts: Record<string, string | null> = Object.fromEntries(codes.map((c) => [c, null]));
  for (const r of rows) {
    const code = String(r["SysSettings.Code"] ?? "");
    if (code in texts) texts[code] = r.TextValue === null || r.TextValue === undefined ? "" : String(r.TextValue);
  }
  return texts;
}

/** The default OAuth resource (`OAuthResource` with `IsDefault`). */
export const defaultResources = (): SelectSpec => ({ entity: "OAuthResource", columns: ["Id", "Name"], filters: [equals("IsDefault", true)] });

/** Its Name from `defaultResources`' rows, or null when there is none. */
export function defaultResourceOf(rows: readonly Record<string, unknown>[]): string | null {
  return rows.length > 0 ? String(rows[0].Name ?? rows[0].Id) : null;
}

/** The Name of the default OAuth resource, or null when there is none (one request). */
export async function defaultOAuthResource(client: CreatioClient): Promise<string | null> {
  return defaultResourceOf(await select(client, defaultResources()));
}

/** Sets an existing state row on or off (AppFeatureState, by Id); `rowsAffected` 0 means the row is gone. */
export const setFeatureStateItem = (rowId: string, on: boolean): BatchItem => updateItem("AppFeatureState", { FeatureState: on }, [equals("Id", rowId)]);

/** Adds a state row for a unit (AppFeatureState); `id` is chosen by the caller so it can be recorded first. */
export const insertFeatureStateItem = (id: string, featureId: string, unitId: string, on: boolean): BatchItem =>
  insertItem("AppFeatureState", { Id: id, FeatureState: on, AdminUnit: unitId, Feature: featureId });

/** Deletes a state row (AppFeatureState, by Id); a row already gone is fine. */
export const deleteFeatureStateItem = (rowId: string): BatchItem => deleteItem("AppFeatureState", [equals("Id", rowId)]);
