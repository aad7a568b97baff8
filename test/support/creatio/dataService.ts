/**
 * The Creatio stand-in's DataService: SelectQuery, InsertQuery, UpdateQuery and DeleteQuery over the
 * entities the package uses, executed on the real PostgreSQL fixture (test/fixtures/creatio.sql), as
 * Creatio answers them:
 * - HTTP 200 for failures too, with `success:false`, `errorInfo {errorCode, message}` and
 *   `responseStatus {ErrorCode, Message}` (Creatio's Nui `BaseResponse`; clio `DataServiceSelectResponse.cs`);
 * - lookup cells as `{value, displayValue}`; lookup columns named by schema column (`Feature`), whose
 *   table column is `<Name>Id`; one-level paths such as `Feature.Code` join the referenced table;
 * - `AppFeatureState` is a virtual projection of `AdminUnitFeatureState` (boolean `FeatureState`,
 *   lookup `AdminUnit`) that answers a select ONLY when filtered by Id (any other filter gives no rows:
 *   Creatio's `AppFeatureStateQueryExecutor`), and writes the row with the same Id;
 * - an Update or Delete without a filter hits every row, as Creatio's would;
 * - `OAuthResource` rows cannot be deleted ("Deleting a resource is forbidden.", Creatio's
 *   `OAuthResourceListener.OAuth20.cs`).
 * Entity listeners with side effects (OAuthResource, OAuthClientApp) are hooks the server passes in.
 */
import { randomUUID } from "node:crypto";
import { Pool } from "pg";

type Kind = "guid" | "text" | "int" | "bool" | "lookup" | "secure";

interface Column {
  readonly sql: string;
  readonly kind: Kind;
  /** For lookups: the referenced entity. */
  readonly ref?: string;
  /** For virtual boolean projections of integer columns. */
  readonly intAsBool?: boolean;
}

interface Entity {
  readonly table: string;
  readonly columns: Record<string, Column>;
  /** The column a lookup's displayValue comes from. */
  readonly display: string;
  /** Select answers only an Id filter (AppFeatureState). */
  readonly selectOnlyById?: boolean;
  readonly deleteForbidden?: string;
}

const col = (sql: string, kind: Kind, ref?: string): Column => ({ sql, kind, ref });

export const ENTITIES: Record<string, Entity> = {
  Feature: {
    table: "Feature",
    display: "Name",
    columns: { Id: col("Id", "guid"), Code: col("Code", "text"), Name: col("Name", "text"), DefaultState: col("DefaultState", "int") },
  },
  SysAdminUnit: {
    table: "SysAdminUnit",
    display: "Name",
    columns: { Id: col("Id", "guid"), Name: col("Name", "text"), SysAdminUnitTypeValue: col("SysAdminUnitTypeValue", "int"), Active: col("Active", "bool") },
  },
  // Role membership, flattened (Creatio's SysAdminUnitInRoleSchema.CrtBase.cs: SysAdminUnit is a lookup, SysAdminUnitRoleId a plain Guid).
  SysAdminUnitInRole: {
    table: "SysAdminUnitInRole",
    display: "Id",
    columns: { Id: col("Id", "guid"), SysAdminUnit: col("SysAdminUnitId", "lookup", "SysAdminUnit"), SysAdminUnitRoleId: col("SysAdminUnitRoleId", "guid") },
  },
  AdminUnitFeatureState: {
    table: "AdminUnitFeatureState",
    display: "Id",
    columns: {
      Id: col("Id", "guid"),
      FeatureState: col("FeatureState", "int"),
      SysAdminUnit: col("SysAdminUnitId", "lookup", "SysAdminUnit"),
      Feature: col("FeatureId", "lookup", "Feature"),
    },
  },
  AppFeatureState: {
    table: "AdminUnitFeatureState",
    display: "Id",
    selectOnlyById: true,
    columns: {
      Id: col("Id", "guid"),
      FeatureState: { sql: "FeatureState", kind: "bool", intAsBool: true },
      AdminUnit: col("SysAdminUnitId", "lookup", "SysAdminUnit"),
      Feature: col("FeatureId", "lookup", "Feature"),
    },
  },
  SysSettings: {
    table: "SysSettings",
    display: "Name",
    columns: { Id: col("Id", "guid"), Code: col("Code", "text"), Name: col("Name", "text"), ValueTypeName: col("ValueTypeName", "text") },
  },
  SysSettingsValue: {
    table: "SysSettingsValue",
    display: "Id",
    columns: {
      Id: col("Id", "guid"),
      SysSettings: col("SysSettingsId", "lookup", "SysSettings"),
      SysAdminUnit: col("SysAdminUnitId", "lookup", "SysAdminUnit"),
      TextValue: col("TextValue", "text"),
      IsDef: col("IsDef", "bool"),
    },
  },
  OAuthResource: {
    table: "OAuthResource",
    display: "Name",
    deleteForbidden: "Deleting a resource is forbidden.",
    columns: { Id: col("Id", "guid"), Name: col("Name", "text"), DisplayName: col("DisplayName", "text"), IsDefault: col("IsDefault", "bool") },
  },
  OAuthClientApp: {
    table: "OAuthClientApp",
    display: "Name",
    columns: {
      Id: col("Id", "guid"),
      Name: col("Name", "text"),
      ClientId: col("ClientId", "text"),
      ClientSecret: col("ClientSecret", "secure"),
      ApplicationUrl: col("ApplicationUrl", "text"),
      RedirectUrl: col("RedirectUrl", "text"),
      Description: col("Description", "text"),
      IsActive: col("IsActive", "bool"),
      SystemUser: col("SystemUserId", "lookup", "SysAdminUnit"),
    },
  },
  OAuthResourceInClient: {
    table: "OAuthResourceInClient",
    display: "Id",
    columns: { Id: col("Id", "guid"), OAuthResource: col("OAuthResourceId", "lookup", "OAuthResource"), OAuthClient: col("OAuthClientId", "lookup", "OAuthClientApp") },
  },
};

/** A DataService refusal, answered HTTP 200 with Creatio's failure envelope. */
export class DataServiceFailure extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export function failureEnvelope(errorCode: string, message: string): Record<string, unknown> {
  return {
    responseStatus: { ErrorCode: errorCode, Message: message, StackTrace: null, Errors: [] },
    rowsAffected: -1,
    nextPrcElReady: false,
    success: false,
    errorInfo: { errorCode, message, stackTrace: null },
  };
}

const q = (name: string) => `"${name}"`;

/** Builds SQL for column paths and filters of one query, with joins for one-level lookup paths. */
function sqlBuilder(entityName: string) {
  const entity = ENTITIES[entityName];
  if (!entity) throw new DataServiceFailure("ItemNotFoundException", `Schema "${entityName}" not found.`);
  const params: unknown[] = [];
  const joins = new Map<string, string>();
  const resolve = (path: string): { sql: string; column: Column; joinAlias?: string } => {
    const parts = path.split(".");
    const first = entity.columns[parts[0]];
    if (!first || parts.length > 2) throw new DataServiceFailure("ItemNotFoundException", `Column by path "${path}" not found in schema "${entityName}".`);
    if (parts.length === 1) return { sql: `t.${q(first.sql)}`, column: first };
    if (first.kind !== "lookup") throw new DataServiceFailure("ItemNotFoundException", `Column by path "${path}" not found in schema "${entityName}".`);
    const ref = ENTITIES[first.ref!];
    const target = ref.columns[parts[1]];
    if (!target) throw new DataServiceFailure("ItemNotFoundException", `Column by path "${path}" not found in schema "${entityName}".`);
    if (parts[1] === "Id") return { sql: `t.${q(first.sql)}`, column: { sql: first.sql, kind: "guid" } };
    const alias = `j_${parts[0]}`;
    joins.set(alias, `LEFT JOIN ${q(ref.table)} ${alias} ON ${alias}."Id" = t.${q(first.sql)}`);
    return { sql: `${alias}.${q(target.sql)}`, column: target, joinAlias: alias };
  };
  /**
   * A parameter as DataService runs it: typed by the `dataValueType` it was SENT with, not by the
   * column (Creatio builds the query parameter from the expression's own type; an absent type is
   * the enum's default, 0, Guid). A Guid sent for a text column is `varchar = uuid` here, which
   * PostgreSQL refuses ("operator does not exist") as it refuses Creatio's own query; text sent for
   * a Guid column likewise. Only the boolean projection of an integer column (AppFeatureState) maps
   * its boolean onto the integer it stores.
   */
  const param = (column: Column, expression: any): string => {
    const raw = expression?.parameter;
    let v = raw && typeof raw === "object" ? raw.value : undefined;
    if (v && typeof v === "object" && "value" in v) v = v.value;
    const sent = typeof raw?.dataValueType === "number" ? raw.dataValueType : 0;
    if (column.intAsBool) {
      params.push(v === true || v === 1 ? 1 : 0);
      return `$${params.length}::int`;
    }
    params.push(v);
    const casts: Record<number, string> = { 0: "uuid", 1: "text", 4: "int", 10: "uuid", 12: "boolean" };
    const cast = casts[sent];
    if (!cast) throw new DataServiceFailure("NotSupportedException", `Data value type ${sent} is not supported by the stand-in.`);
    return `$${params.length}::${cast}`;
  };
  const filter = (f: any): string | undefined => {
    if (!f || f.isEnabled === false) return undefined;
    if (f.filterType === 6) {
      const parts = Object.values(f.items ?? {})
        .map(filter)
        .filter((s): s is string => !!s);
      if (parts.length === 0) return undefined;
      return `(${parts.join(f.logicalOperation === 1 ? " OR " : " AND ")})`;
    }
    const left = resolve(String(f.leftExpression?.columnPath ?? ""));
    if (f.filterType === 2) return `${left.sql} IS ${f.isNull === false ? "NOT " : ""}NULL`;
    if (f.filterType === 4) {
      const values = (f.rightExpressions ?? []).map((e: any) => param(left.column, e));
      if (values.length === 0) return "false";
      return `${left.sql} ${f.comparisonType === 4 ? "NOT IN" : "IN"} (${values.join(", ")})`;
    }
    if (f.filterType === 1) {
      const ops: Record<number, string> = { 3: "=", 4: "<>", 5: "<", 6: "<=", 7: ">", 8: ">=" };
      if (f.comparisonType === 1 || f.comparisonType === 2) return `${left.sql} IS ${f.comparisonType === 2 ? "NOT " : ""}NULL`;
      const op = ops[f.comparisonType];
      if (!op) throw new DataServiceFailure("NotSupportedException", `Comparison type ${f.comparisonType} is not supported by the stand-in.`);
      return `${left.sql} ${op} ${param(left.column, f.rightExpression)}`;
    }
    throw new DataServiceFailure("NotSupportedException", `Filter type ${f.filterType} is not supported by the stand-in.`);
  };
  return { entity, params, joins, resolve, param, filter };
}

function onlyIdFilter(f: any): boolean {
  const leaves: any[] = [];
  const walk = (x: any) => {
    if (!x || x.isEnabled === false) return;
    if (x.filterType === 6) Object.values(x.items ?? {}).forEach(walk);
    else leaves.push(x);
  };
  walk(f);
  return leaves.length === 1 && leaves[0].filterType === 1 && leaves[0].comparisonType === 3 && leaves[0].leftExpression?.columnPath === "Id";
}

/** Hooks for entity listeners (Creatio's OnInserting/OnDeleting code) the server provides. */
export interface EntityHooks {
  beforeInsert?(entity: string, values: Record<string, unknown>): Promise<void>;
  /** The rows an update hits, as they will be saved (table column names, new values merged in). */
  beforeUpdate?(entity: string, rows: Record<string, unknown>[]): Promise<void>;
  beforeDelete?(entity: string, rows: Record<string, unknown>[]): Promise<void>;
  /** Stores a SecureText value (encrypted, as Creatio does). */
  encrypt(plain: string): string;
}

/** Runs one DataService query; returns the answer body (success or Creatio's failure envelope). */
export async function runDataServiceQuery(pool: Pool, operation: string, payload: any, hooks: EntityHooks): Promise<Record<string, unknown>> {
  try {
    const b = sqlBuilder(String(payload?.rootSchemaName ?? ""));
    const where = b.filter(payload?.filters);
    const whereSql = where ? ` WHERE ${where}` : "";
    // Rows an Update or Delete hits (joins allowed in its filters); no filter means every row.
    const matching = `SELECT t."Id" FROM ${q(b.entity.table)} t ${[...b.joins.values()].join(" ")}${whereSql}`;
    if (operation === "SelectQuery") {
      if (b.entity.selectOnlyById && !onlyIdFilter(payload?.filters))
        return { rowConfig: {}, rows: [], notFoundColumns: [], rowsAffected: 0, nextPrcElReady: false, success: true, errorInfo: null, responseStatus: null };
      const names = Object.keys(payload?.columns?.items ?? {});
      const selects = names.map((name, i) => {
        const item = payload.columns.items[name];
        const r = b.resolve(String(item?.expression?.columnPath ?? name));
        if (r.column.kind === "lookup") {
          const ref = ENTITIES[r.column.ref!];
          const alias = `d${i}`;
          b.joins.set(alias, `LEFT JOIN ${q(ref.table)} ${alias} ON ${alias}."Id" = ${r.sql}`);
          return `${r.sql}::text AS "${i}_v", ${alias}.${q(ref.display)}::text AS "${i}_d"`;
        }
        return `${r.column.intAsBool ? `(${r.sql} <> 0)` : r.column.kind === "guid" ? `${r.sql}::text` : r.sql} AS "${i}_v"`;
      });
      const sql = `SELECT ${selects.join(", ") || "1"} FROM ${q(b.entity.table)} t ${[...b.joins.values()].join(" ")}${whereSql}`;
      const { rows } = await pool.query(sql, b.params);
      const out = rows.map((row) => {
        const o: Record<string, unknown> = {};
        names.forEach((name, i) => {
          o[name] = `${i}_d` in row ? (row[`${i}_v`] === null ? null : { value: row[`${i}_v`], displayValue: row[`${i}_d`] ?? "" }) : row[`${i}_v`];
        });
        return o;
      });
      return {
        rowConfig: {},
        rows: out,
        notFoundColumns: [],
        rowsAffected: out.length,
        nextPrcElReady: false,
        queryId: null,
        success: true,
        errorInfo: null,
        responseStatus: null,
      };
    }
    if (operation === "InsertQuery" || operation === "UpdateQuery") {
      const values: Record<string, unknown> = {};
      for (const [name, expr] of Object.entries<any>(payload?.columnValues?.items ?? {})) values[name] = expr?.parameter?.value;
      const sets: string[] = [];
      const cols: string[] = [];
      for (const [name, value] of Object.entries(values)) {
        const c = b.entity.columns[name];
        if (!c) throw new DataServiceFailure("ItemNotFoundException", `Column "${name}" not found in schema "${payload.rootSchemaName}".`);
        const stored = c.kind === "secure" && typeof value === "string" && value !== "" ? hooks.encrypt(value) : value;
        cols.push(q(c.sql));
        sets.push(b.param(c, { parameter: { ...payload.columnValues.items[name].parameter, value: stored } }));
      }
      if (operation === "InsertQuery") {
        if (!("Id" in values)) {
          cols.push('"Id"');
          sets.push(b.param(b.entity.columns.Id, { parameter: { dataValueType: 0, value: randomUUID() } }));
        }
        await hooks.beforeInsert?.(payload.rootSchemaName, values);
        const { rows } = await pool.query(
          `INSERT INTO ${q(b.entity.table)} (${cols.join(", ")}, "CreatedOn", "ModifiedOn") VALUES (${sets.join(", ")}, now(), now()) RETURNING "Id"::text AS id`,
          b.params,
        );
        return { id: rows[0].id, rowsAffected: 1, nextPrcElReady: false, queryId: null, success: true, errorInfo: null, responseStatus: null };
      }
      if (hooks.beforeUpdate) {
        const { rows: hit } = await pool.query(`SELECT * FROM ${q(b.entity.table)} WHERE "Id" IN (${matching})`, b.params.slice(0, b.params.length - cols.length));
        const after = hit.map((row) => {
          const merged: Record<string, unknown> = { ...row };
          for (const [name, value] of Object.entries(values)) merged[b.entity.columns[name].sql] = value;
          return merged;
        });
        if (after.length > 0) await hooks.beforeUpdate(payload.rootSchemaName, after);
      }
      const assignments = cols.map((c, i) => `${c} = ${sets[i]}`).join(", ");
      const r = await pool.query(`UPDATE ${q(b.entity.table)} SET ${assignments}, "ModifiedOn" = now() WHERE "Id" IN (${matching})`, b.params);
      return { rowsAffected: r.rowCount ?? 0, nextPrcElReady: false, queryId: null, success: true, errorInfo: null, responseStatus: null };
    }
    if (operation === "DeleteQuery") {
      const { rows } = await pool.query(`SELECT * FROM ${q(b.entity.table)} WHERE "Id" IN (${matching})`, b.params);
      if (rows.length > 0 && b.entity.deleteForbidden) throw new DataServiceFailure("InvalidOperationException", b.entity.deleteForbidden);
      await hooks.beforeDelete?.(payload.rootSchemaName, rows);
      const r = await pool.query(`DELETE FROM ${q(b.entity.table)} WHERE "Id" IN (${matching})`, b.params);
      return { rowsAffected: r.rowCount ?? 0, nextPrcElReady: false, queryId: null, success: true, errorInfo: null, responseStatus: null };
    }
    return failureEnvelope("NotSupportedException", `Operation ${operation} is not supported by the stand-in.`);
  } catch (e) {
    if (e instanceof DataServiceFailure) return failureEnvelope(e.errorCode, e.message);
    // A database error (constraint, bad value) reaches the client as Creatio's failure envelope.
    const err = e as { message?: string };
    return failureEnvelope("DbOperationException", String(err.message ?? e));
  }
}
