/**
 * Creatio's database side of the OAuth 2.0 switch-over: the `OAuth20Integration` feature's state
 * rows and the raw rows behind the three system settings (see DESIGN.md, "Creatio side").
 *
 * The functions take a connected node-postgres client (anything with `query`) and do no I/O of
 * their own, so the caller decides the transaction. They run inside a Pulumi dynamic provider after
 * closure serialization: they capture nothing but each other and the constants below.
 * Identifiers are quoted: Creatio's PostgreSQL tables have mixed-case names.
 */

/** The part of a node-postgres client these functions use. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** `Feature.Code` of the switch that makes Creatio use the Identity Service. */
export const OAUTH_FEATURE_CODE = "OAuth20Integration";
/** Its `Feature.Id` in Creatio's shipped data (informational: the provider looks it up by Code). */
export const OAUTH_FEATURE_SHIPPED_ID = "f836e885-8e51-44dd-879c-37c901210874";
/** `SysAdminUnit.Id` of the "All employees" role: the default target, and the owner of system-wide setting values. */
export const ALL_EMPLOYEES_ID = "a29a3ba5-4b0d-de11-9a51-005056c00008";
/** `SysAdminUnit.Id` of the "System administrators" role (Creatio ships a state row for it, FeatureState 0). */
export const SYSTEM_ADMINISTRATORS_ID = "83a43ebc-f36b-1410-298d-001e8c82bcad";

/** The three system settings Creatio reads to reach the Identity Service. */
export const OAUTH_SETTING_CODES = {
  url: "OAuth20IdentityServerUrl",
  clientId: "OAuth20IdentityServerClientId",
  clientSecret: "OAuth20IdentityServerClientSecret",
} as const;

/** The seed's manual step, verbatim (the bench's baseline). It only flips rows that already exist. */
export const SEED_ENABLE_FEATURE_SQL =
  `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1 WHERE "FeatureId" = (SELECT "Id" FROM "Feature" WHERE "Code" = 'OAuth20Integration')`;

/** One `AdminUnitFeatureState` row as found (what delete puts back). */
export interface FeatureStateRow {
  readonly id: string;
  readonly sysAdminUnitId: string;
  readonly featureState: number;
}

/** The raw system-wide value row of one setting as found (the All employees row of `SysSettingsValue`). */
export interface SettingSnapshot {
  readonly code: string;
  readonly sysSettingsId: string;
  /** `SysSettings.ValueTypeName`, e.g. `Text`, `ShortText`, `SecureText`. */
  readonly valueTypeName: string;
  /** Whether the All employees value row existed. */
  readonly valueRowExisted: boolean;
  /** Its `TextValue` as stored: plain for text settings, Creatio-encrypted for SecureText. */
  readonly textValue: string | null;
}

/** `Feature.Id` for a code, or undefined when Creatio has no such feature. */
export async function findFeatureId(db: Queryable, code: string): Promise<string | undefined> {
  const { rows } = await db.query(`SELECT "Id"::text AS id FROM "Feature" WHERE "Code" = $1`, [code]);
  return rows.length > 0 ? String(rows[0].id) : undefined;
}

/** Every state row of a feature, ordered by admin unit then Id (stable output). */
export async function featureStateRows(db: Queryable, featureId: string): Promise<FeatureStateRow[]> {
  const { rows } = await db.query(
    `SELECT "Id"::text AS id, "SysAdminUnitId"::text AS unit, "FeatureState" AS state
       FROM "AdminUnitFeatureState" WHERE "FeatureId" = $1 ORDER BY "SysAdminUnitId", "Id"`,
    [featureId],
  );
  return rows.map((r) => ({ id: String(r.id), sysAdminUnitId: String(r.unit), featureState: Number(r.state) }));
}

/** The ids among `unitIds` that have no `SysAdminUnit` row (a typo would otherwise insert a dangling state row). */
export async function missingAdminUnitIds(db: Queryable, unitIds: readonly string[]): Promise<string[]> {
  if (unitIds.length === 0) return [];
  const { rows } = await db.query(`SELECT "Id"::text AS id FROM "SysAdminUnit" WHERE "Id" = ANY($1::uuid[])`, [unitIds]);
  const found = new Set(rows.map((r) => String(r.id).toLowerCase()));
  return unitIds.filter((id) => !found.has(id.toLowerCase()));
}

/** Which optional base-entity columns a table has (real Creatio tables have them; a minimal schema may not). */
async function auditColumns(db: Queryable, table: string): Promise<{ createdOn: boolean; modifiedOn: boolean }> {
  const { rows } = await db.query(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  const names = new Set(rows.map((r) => String(r.name)));
  return { createdOn: names.has("CreatedOn"), modifiedOn: names.has("ModifiedOn") };
}

/**
 * Enables a feature: sets every existing state row to 1 (what the seed's UPDATE does) and inserts a
 * row with FeatureState 1 for each target unit that has none (which the seed's UPDATE silently
 * skips). Creatio's ids have no database default, so each new row gets `newId()`.
 * Returns the ids of the rows it inserted and of the existing rows it changed from another state.
 */
export async function enableFeature(
  db: Queryable,
  featureId: string,
  targetUnitIds: readonly string[],
  newId: () => string,
): Promise<{ insertedIds: string[]; changedIds: string[] }> {
  const columns = await auditColumns(db, "AdminUnitFeatureState");
  const touch = columns.modifiedOn ? `, "ModifiedOn" = (now() AT TIME ZONE 'UTC')` : "";
  const changed = await db.query(
    `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1${touch}
      WHERE "FeatureId" = $1 AND "FeatureState" IS DISTINCT FROM 1 RETURNING "Id"::text AS id`,
    [featureId],
  );
  const existing = await featureStateRows(db, featureId);
  const covered = new Set(existing.map((r) => r.sysAdminUnitId.toLowerCase()));
  const insertedIds: string[] = [];
  for (const unit of targetUnitIds) {
    if (covered.has(unit.toLowerCase())) continue;
    const id = newId();
    const names = [`"Id"`, `"SysAdminUnitId"`, `"FeatureId"`, `"FeatureState"`];
    const values = [`$1`, `$2`, `$3`, `1`];
    if (columns.createdOn) { names.push(`"CreatedOn"`); values.push(`(now() AT TIME ZONE 'UTC')`); }
    if (columns.modifiedOn) { names.push(`"ModifiedOn"`); values.push(`(now() AT TIME ZONE 'UTC')`); }
    await db.query(`INSERT INTO "AdminUnitFeatureState" (${names.join(", ")}) VALUES (${values.join(", ")})`, [id, unit, featureId]);
    covered.add(unit.toLowerCase());
    insertedIds.push(id);
  }
  return { insertedIds, changedIds: changed.rows.map((r) => String(r.id)) };
}

/** Puts feature state rows back: each found row gets its old FeatureState, each inserted row is deleted. */
export async function restoreFeatureStates(db: Queryable, previous: readonly FeatureStateRow[], insertedIds: readonly string[]): Promise<void> {
  for (const row of previous) {
    await db.query(`UPDATE "AdminUnitFeatureState" SET "FeatureState" = $2 WHERE "Id" = $1`, [row.id, row.featureState]);
  }
  if (insertedIds.length > 0) {
    await db.query(`DELETE FROM "AdminUnitFeatureState" WHERE "Id" = ANY($1::uuid[])`, [insertedIds]);
  }
}

/**
 * The setting definitions and their system-wide (All employees) value rows, in the order of `codes`.
 * `missing` lists the codes Creatio has no `SysSettings` row for.
 */
export async function snapshotSettings(db: Queryable, codes: readonly string[]): Promise<{ snapshots: SettingSnapshot[]; missing: string[] }> {
  const { rows } = await db.query(
    `SELECT s."Code" AS code, s."Id"::text AS id, s."ValueTypeName" AS type, v."Id"::text AS "valueId", v."TextValue" AS text
       FROM "SysSettings" s
       LEFT JOIN "SysSettingsValue" v ON v."SysSettingsId" = s."Id" AND v."SysAdminUnitId" = $2
      WHERE s."Code" = ANY($1::text[])`,
    [codes, ALL_EMPLOYEES_ID],
  );
  const byCode = new Map(rows.map((r) => [String(r.code), r]));
  const snapshots: SettingSnapshot[] = [];
  const missing: string[] = [];
  for (const code of codes) {
    const r = byCode.get(code);
    if (!r) { missing.push(code); continue; }
    snapshots.push({
      code,
      sysSettingsId: String(r.id),
      valueTypeName: String(r.type ?? ""),
      valueRowExisted: r.valueId !== null && r.valueId !== undefined,
      textValue: r.text === null || r.text === undefined ? null : String(r.text),
    });
  }
  return { snapshots, missing };
}

/**
 * Makes the system-wide value rows of the given settings exactly what the snapshots recorded:
 * the old `TextValue` back (as stored, so an encrypted SecureText value stays valid for the same
 * instance key), or the row removed when there was none.
 */
export async function restoreSettingRows(db: Queryable, snapshots: readonly SettingSnapshot[]): Promise<void> {
  for (const s of snapshots) {
    if (s.valueRowExisted) {
      await db.query(
        `UPDATE "SysSettingsValue" SET "TextValue" = $3 WHERE "SysSettingsId" = $1 AND "SysAdminUnitId" = $2`,
        [s.sysSettingsId, ALL_EMPLOYEES_ID, s.textValue],
      );
    } else {
      await db.query(`DELETE FROM "SysSettingsValue" WHERE "SysSettingsId" = $1 AND "SysAdminUnitId" = $2`, [s.sysSettingsId, ALL_EMPLOYEES_ID]);
    }
  }
}
