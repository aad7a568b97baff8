/**
 * The Creatio records the integration reads and writes, through DataService only (any database
 * engine, no database credentials).
 *
 * Feature state (Creatio's `AdminUnitFeatureStateSchema.CrtBase.cs`, `AppFeatureStateSchema.FeatureToggling.cs`):
 * rows are READ through `AdminUnitFeatureState` (`FeatureState` integer 0/1, lookups `SysAdminUnit`,
 * `Feature`) and WRITTEN through its writable projection `AppFeatureState` (`FeatureState` boolean,
 * lookups `AdminUnit`, `Feature`), whose listener writes the AdminUnitFeatureState row with the same
 * Id. `AppFeatureState` answers selects only by Id, so it is never read. This is what Creatio's CLI
 * does (clio `clio/Command/FeatureStateService.cs`, `clio/CreatioModel/AppFeatureState.cs`).
 */
import { equals, insert, isIn, lookupId, remove, select, update } from "./dataService";
import { CreatioClient } from "./session";
import { ALL_EMPLOYEES_ID } from "./constants";

/** One feature state row: which unit (role or user) has the feature on (1) or off (0). */
export interface FeatureStateRow {
  readonly id: string;
  readonly sysAdminUnitId: string;
  readonly featureState: number;
}

/** `Feature.Id` for a code, or undefined when Creatio has no such feature. */
export async function findFeatureId(client: CreatioClient, code: string): Promise<string | undefined> {
  const rows = await select(client, { entity: "Feature", columns: ["Id"], filters: [equals("Code", code)] });
  return rows.length > 0 ? String(rows[0].Id).toLowerCase() : undefined;
}

/** Every state row of a feature, ordered by unit then Id (stable state). */
export async function featureStateRows(client: CreatioClient, featureId: string): Promise<FeatureStateRow[]> {
  const rows = await select(client, { entity: "AdminUnitFeatureState", columns: ["Id", "SysAdminUnit", "FeatureState"], filters: [equals("Feature", featureId)] });
  return rows
    .map((r) => ({ id: String(r.Id).toLowerCase(), sysAdminUnitId: (lookupId(r.SysAdminUnit) ?? "").toLowerCase(), featureState: Number(r.FeatureState) ? 1 : 0 }))
    .sort((a, b) => (a.sysAdminUnitId + a.id).localeCompare(b.sysAdminUnitId + b.id));
}

/** The ids among `unitIds` that Creatio has no `SysAdminUnit` for. */
export async function missingAdminUnits(client: CreatioClient, unitIds: readonly string[]): Promise<string[]> {
  if (unitIds.length === 0) return [];
  const rows = await select(client, { entity: "SysAdminUnit", columns: ["Id"], filters: [isIn("Id", unitIds)] });
  const found = new Set(rows.map((r) => String(r.Id).toLowerCase()));
  return unitIds.filter((id) => !found.has(id.toLowerCase()));
}

/** Sets an existing state row on or off (AppFeatureState, by Id); returns how many rows Creatio changed (0: the row is gone). */
export async function setFeatureState(client: CreatioClient, rowId: string, on: boolean): Promise<number> {
  return update(client, "AppFeatureState", { FeatureState: on }, [equals("Id", rowId)]);
}

/** Adds a state row for a unit (AppFeatureState); `id` is chosen by the caller so it can be recorded first. */
export async function insertFeatureState(client: CreatioClient, id: string, featureId: string, unitId: string, on: boolean): Promise<void> {
  await insert(client, "AppFeatureState", { Id: id, FeatureState: on, AdminUnit: unitId, Feature: featureId });
}

/** Deletes a state row (AppFeatureState, by Id); a row already gone is fine. */
export async function deleteFeatureState(client: CreatioClient, rowId: string): Promise<void> {
  await remove(client, "AppFeatureState", [equals("Id", rowId)]);
}

/** The Name of the default OAuth resource (`OAuthResource` with `IsDefault`), or null when there is none. */
export async function defaultOAuthResource(client: CreatioClient): Promise<string | null> {
  const rows = await select(client, { entity: "OAuthResource", columns: ["Id", "Name"], filters: [equals("IsDefault", true)] });
  return rows.length > 0 ? String(rows[0].Name ?? rows[0].Id) : null;
}

/**
 * Whether a setting has a non-empty system-wide value (the All employees row of `SysSettingsValue`).
 * For the SecureText client secret this is all that can be known: Creatio never returns it in
 * plain text (its stored text is ciphertext, which is looked at only to see that it is not empty).
 */
export async function settingHasValue(client: CreatioClient, code: string): Promise<boolean> {
  const rows = await select(client, {
    entity: "SysSettingsValue",
    columns: ["Id", "TextValue"],
    filters: [equals("SysSettings.Code", code), equals("SysAdminUnit", ALL_EMPLOYEES_ID)],
  });
  return rows.some((r) => typeof r.TextValue === "string" && r.TextValue !== "");
}
