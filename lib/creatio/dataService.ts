/**
 * Creatio's DataService: SelectQuery, InsertQuery, UpdateQuery and DeleteQuery as JSON, and the
 * checks every answer needs.
 *
 * Wire shapes (Creatio 8.x): `POST {app}/DataService/json/SyncReply/<Query>`; camelCase members as
 * Creatio's own UI sends them (`core/service-provider.js`, `data/queries/*.js`); enum numbers from
 * `Terrasoft.Nui.ServiceModel` as Creatio's `core/enums/sysenums.js` lists them; Creatio Academy,
 * "DataService" reference (SelectQuery, InsertQuery, UpdateQuery, DeleteQuery). Lookup columns are
 * named by schema column (`Feature`, not `FeatureId`) and answered as `{value, displayValue}` (clio's
 * `ATF.Repository` `ModifyQueryBuilder.cs`, `RemoteDataProvider.cs`).
 *
 * DataService answers HTTP 200 even when it fails: a failure is `success:false`, a non-empty
 * `errorInfo`, a `responseStatus.ErrorCode`, or a select answer without `rows` (the four checks of
 * clio's `clio/Command/DataServiceSelectResponse.cs`). `ensureSucceeded` checks all four.
 */
import { CreatioClient } from "./session";

/** `dataValueType` numbers used here (Creatio's `core/enums/sysenums.js` DataValueType). */
export const DataValueType = { guid: 0, text: 1, integer: 4, lookup: 10, boolean: 12 } as const;

export type ParameterValue = string | number | boolean | null;

/** One column of an entity as this package uses it: its parameter type, and for a lookup the entity it refers to. */
interface ColumnType {
  readonly type: number;
  readonly ref?: string;
}

const guid: ColumnType = { type: DataValueType.guid };
const text: ColumnType = { type: DataValueType.text };
const integer: ColumnType = { type: DataValueType.integer };
const boolean: ColumnType = { type: DataValueType.boolean };
/** A lookup column: its parameter is the referenced row's Id, a Guid (as Creatio's UI and clio's `ModifyQueryBuilder.cs` send it). */
const lookup = (ref: string): ColumnType => ({ type: DataValueType.guid, ref });

/**
 * The type of every column this package reads, filters or writes, from Creatio's entity schemas
 * (`FeatureSchema`, `AdminUnitFeatureStateSchema.CrtBase.cs`, `AppFeatureStateSchema.FeatureToggling.cs`,
 * `SysAdminUnitSchema`, `SysAdminUnitInRoleSchema.CrtBase.cs`, `SysSettingsSchema`, `SysSettingsValueSchema`,
 * `OAuthResourceSchema.OAuth20.cs`, `OAuthClientAppSchema.OAuth20.cs`). A parameter is typed by the
 * column it is compared with or written to, never by the value's shape: DataService runs a
 * parameter as the type it is sent as, so a Guid-shaped text sent as a Guid is `varchar = uuid` on
 * PostgreSQL (no such operator) and a conversion error on MS SQL. The Identity Service's client id
 * format is not documented; a Guid-shaped one must still be compared as the text it is.
 */
export const COLUMN_TYPES: Readonly<Record<string, Readonly<Record<string, ColumnType>>>> = {
  Feature: { Id: guid, Code: text, Name: text },
  AdminUnitFeatureState: { Id: guid, FeatureState: integer, SysAdminUnit: lookup("SysAdminUnit"), Feature: lookup("Feature") },
  AppFeatureState: { Id: guid, FeatureState: boolean, AdminUnit: lookup("SysAdminUnit"), Feature: lookup("Feature") },
  SysAdminUnit: { Id: guid, Name: text, SysAdminUnitTypeValue: integer, Active: boolean },
  // SysAdminUnitRoleId is a plain Guid column, not a lookup.
  SysAdminUnitInRole: { Id: guid, SysAdminUnit: lookup("SysAdminUnit"), SysAdminUnitRoleId: guid },
  SysSettings: { Id: guid, Code: text, Name: text, ValueTypeName: text },
  SysSettingsValue: { Id: guid, SysSettings: lookup("SysSettings"), SysAdminUnit: lookup("SysAdminUnit"), TextValue: text },
  OAuthResource: { Id: guid, Name: text, DisplayName: text, IsDefault: boolean },
  OAuthClientApp: {
    Id: guid,
    Name: text,
    ClientId: text,
    ApplicationUrl: text,
    RedirectUrl: text,
    Description: text,
    IsActive: boolean,
    SystemUser: lookup("SysAdminUnit"),
  },
};

/** The parameter type of a column path (`Code`, or one lookup step such as `SysSettings.Code`); throws for a column not listed. */
export function columnType(entity: string, path: string): number {
  const parts = path.split(".");
  let columns = COLUMN_TYPES[entity];
  for (const [i, part] of parts.entries()) {
    const column = columns?.[part];
    if (!column) break;
    if (i === parts.length - 1) return column.type;
    if (!column.ref) break;
    columns = COLUMN_TYPES[column.ref];
  }
  throw new Error(`No data value type is known for ${entity}.${path}: add the column to COLUMN_TYPES (lib/creatio/dataService.ts)`);
}

/**
 * A filter as written by callers: a column path and a value, typed only when the query is built
 * for its entity (`COLUMN_TYPES`), so the type always comes from the column.
 */
export type Filter =
  | { readonly kind: "equals"; readonly path: string; readonly value: ParameterValue }
  | { readonly kind: "in"; readonly path: string; readonly values: readonly ParameterValue[] }
  | { readonly kind: "group"; readonly or: boolean; readonly filters: readonly Filter[] };

/** `columnPath = value` (comparisonType 3, Equal). */
export function equals(path: string, value: ParameterValue): Filter {
  return { kind: "equals", path, value };
}

/** `columnPath IN (values)` (filterType 4). */
export function isIn(path: string, values: readonly ParameterValue[]): Filter {
  return { kind: "in", path, values };
}

/** A group of filters joined by AND (default) or OR. */
export function group(filters: readonly Filter[], logicalOperation: "and" | "or" = "and"): Filter {
  return { kind: "group", or: logicalOperation === "or", filters };
}

function parameter(value: ParameterValue, dataValueType: number) {
  return { expressionType: 2, parameter: { dataValueType, value } };
}

/** A filter in Creatio's `Filters` contract for `entity` (filterType 1 comparison, 4 IN, 6 group). */
export function filterJson(entity: string, f: Filter): Record<string, unknown> {
  if (f.kind === "group") {
    const items: Record<string, unknown> = {};
    f.filters.forEach((child, i) => (items[`f${i}`] = filterJson(entity, child)));
    return { filterType: 6, logicalOperation: f.or ? 1 : 0, isEnabled: true, items };
  }
  const type = columnType(entity, f.path);
  const leftExpression = { expressionType: 0, columnPath: f.path };
  if (f.kind === "in") return { filterType: 4, comparisonType: 3, isEnabled: true, leftExpression, rightExpressions: f.values.map((v) => parameter(v, type)) };
  return { filterType: 1, comparisonType: 3, isEnabled: true, trimDateTimeParameterToDate: false, leftExpression, rightExpression: parameter(f.value, type) };
}

export interface SelectSpec {
  readonly entity: string;
  /** Column paths to read; each row gets them under the same names. */
  readonly columns: readonly string[];
  readonly filters: readonly Filter[];
}

/** The SelectQuery body. */
export function selectQuery(spec: SelectSpec): Record<string, unknown> {
  const items: Record<string, unknown> = {};
  for (const path of spec.columns) items[path] = { expression: { expressionType: 0, columnPath: path } };
  return {
    rootSchemaName: spec.entity,
    operationType: 0,
    allColumns: false,
    isDistinct: false,
    rowCount: -1,
    rowsOffset: -1,
    isPageable: false,
    columns: { items },
    filters: filterJson(spec.entity, group(spec.filters)),
  };
}

function columnValues(entity: string, values: Record<string, ParameterValue>): Record<string, unknown> {
  const items: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(values)) items[column] = parameter(value, columnType(entity, column));
  return { items };
}

/** The InsertQuery body; lookup columns take the referenced row's Id under the column's name. */
export function insertQuery(entity: string, values: Record<string, ParameterValue>): Record<string, unknown> {
  return { rootSchemaName: entity, operationType: 1, columnValues: columnValues(entity, values) };
}

/** The UpdateQuery body. Refuses an empty filter list: Creatio would update every row. */
export function updateQuery(entity: string, values: Record<string, ParameterValue>, filters: readonly Filter[]): Record<string, unknown> {
  if (filters.length === 0) throw new Error(`refusing an UpdateQuery on ${entity} without a filter (it would change every row)`);
  return { rootSchemaName: entity, operationType: 2, isForceUpdate: false, columnValues: columnValues(entity, values), filters: filterJson(entity, group(filters)) };
}

/** The DeleteQuery body. Refuses an empty filter list: Creatio would delete every row. */
export function deleteQuery(entity: string, filters: readonly Filter[]): Record<string, unknown> {
  if (filters.length === 0) throw new Error(`refusing a DeleteQuery on ${entity} without a filter (it would delete every row)`);
  return { rootSchemaName: entity, operationType: 3, filters: filterJson(entity, group(filters)) };
}

/** Creatio's reason for a failed DataService answer, or undefined when it succeeded (the four checks). */
export function dataServiceFailure(answer: any, expectRows: boolean): string | undefined {
  if (answer === null || typeof answer !== "object") return "the answer is not a JSON object";
  const info = answer.errorInfo;
  const status = answer.responseStatus;
  const infoMessage = info && typeof info === "object" && (info.message || info.errorCode) ? String(info.message || info.errorCode) : undefined;
  const statusMessage = status && typeof status === "object" && status.ErrorCode ? String(status.Message || status.ErrorCode) : undefined;
  if (answer.success === false || infoMessage || statusMessage) return infoMessage ?? statusMessage ?? "success: false";
  if (expectRows && !Array.isArray(answer.rows)) return "the answer has no rows";
  return undefined;
}

function ensureSucceeded(answer: any, what: string, expectRows: boolean): any {
  const failure = dataServiceFailure(answer, expectRows);
  if (failure !== undefined) throw new Error(`Creatio's DataService refused ${what}: ${failure.slice(0, 500)}`);
  return answer;
}

/** A lookup cell's Id (`{value, displayValue}`), or a plain value as it is. */
export function lookupId(cell: unknown): string | null {
  if (cell && typeof cell === "object" && "value" in cell) return String(cell.value ?? "") || null;
  return typeof cell === "string" && cell ? cell : null;
}

const PATH = "/DataService/json/SyncReply/";

/** Runs a SelectQuery and returns its rows. */
export async function select(client: CreatioClient, spec: SelectSpec): Promise<Record<string, unknown>[]> {
  const what = `reading ${spec.entity}`;
  const answer = ensureSucceeded(await client.post(`${PATH}SelectQuery`, selectQuery(spec), `DataService SelectQuery (${spec.entity})`), what, true);
  return answer.rows as Record<string, unknown>[];
}

/** Inserts one row; returns the Id Creatio reports (the one given, when given). */
export async function insert(client: CreatioClient, entity: string, values: Record<string, ParameterValue>): Promise<string> {
  const answer = ensureSucceeded(await client.post(`${PATH}InsertQuery`, insertQuery(entity, values), `DataService InsertQuery (${entity})`), `adding a ${entity} row`, false);
  return String(answer.id ?? values.Id ?? "");
}

/** Updates the rows the filters select; returns Creatio's rowsAffected. */
export async function update(client: CreatioClient, entity: string, values: Record<string, ParameterValue>, filters: readonly Filter[]): Promise<number> {
  const answer = ensureSucceeded(await client.post(`${PATH}UpdateQuery`, updateQuery(entity, values, filters), `DataService UpdateQuery (${entity})`), `changing ${entity}`, false);
  return Number(answer.rowsAffected ?? 0);
}

/** Deletes the rows the filters select; returns Creatio's rowsAffected. */
export async function remove(client: CreatioClient, entity: string, filters: readonly Filter[]): Promise<number> {
  const answer = ensureSucceeded(await client.post(`${PATH}DeleteQuery`, deleteQuery(entity, filters), `DataService DeleteQuery (${entity})`), `deleting from ${entity}`, false);
  return Number(answer.rowsAffected ?? 0);
}

/** One query of a BatchQuery, built by `selectItem`, `insertItem`, `updateItem` or `deleteItem`. */
export interface BatchItem {
  readonly operation: "SelectQuery" | "InsertQuery" | "UpdateQuery" | "DeleteQuery";
  readonly body: Record<string, unknown>;
  /** For messages: what the query does, e.g. "reading Feature". */
  readonly what: string;
}

export const selectItem = (spec: SelectSpec): BatchItem => ({ operation: "SelectQuery", body: selectQuery(spec), what: `reading ${spec.entity}` });
export const insertItem = (entity: string, values: Record<string, ParameterValue>): BatchItem => ({
  operation: "InsertQuery",
  body: insertQuery(entity, values),
  what: `adding a ${entity} row`,
});
export const updateItem = (entity: string, values: Record<string, ParameterValue>, filters: readonly Filter[]): BatchItem => ({
  operation: "UpdateQuery",
  body: updateQuery(entity, values, filters),
  what: `changing ${entity}`,
});
export const deleteItem = (entity: string, filters: readonly Filter[]): BatchItem => ({
  operation: "DeleteQuery",
  body: deleteQuery(entity, filters),
  what: `deleting from ${entity}`,
});

/**
 * What one query of a batch came to: done (with its answer), refused (Creatio's reason), or unknown
 * (no result for it in the answer: Creatio stopped before it, or the call itself failed, so it may or
 * may not have run).
 */
export type BatchOutcome =
  { readonly kind: "done"; readonly answer: any } | { readonly kind: "refused"; readonly reason: string } | { readonly kind: "unknown"; readonly reason: string };

/**
 * Runs several queries in one request: `POST {app}/DataService/json/SyncReply/BatchQuery` with
 * `{"items":[{"__type":"Terrasoft.Nui.ServiceModel.DataContract.<Query>", ...query}]}`, answered
 * `{"queryResults":[<one answer per query, in order>]}` (Creatio Academy, "BatchQuery class" and
 * "Add and update a record using DataService"; each answer is the query's own response contract,
 * checked as `ensureSucceeded` checks a single one). Never throws: a call that fails as a whole makes
 * every query unknown. What Creatio does after a query fails (go on or stop) is not in the sources
 * read, so a query without a result is unknown, never assumed not run. Queries run in order: callers
 * put them in the order they would send them one by one.
 */
export async function batch(client: CreatioClient, items: readonly BatchItem[]): Promise<BatchOutcome[]> {
  if (items.length === 0) return [];
  const what = `DataService BatchQuery (${items.map((i) => `${i.operation} ${String(i.body.rootSchemaName)}`).join(", ")})`;
  let answer: any;
  try {
    answer = await client.post(`${PATH}BatchQuery`, { items: items.map((i) => ({ __type: `Terrasoft.Nui.ServiceModel.DataContract.${i.operation}`, ...i.body })) }, what);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return items.map(() => ({ kind: "unknown", reason }));
  }
  const results: unknown[] = Array.isArray(answer?.queryResults) ? answer.queryResults : [];
  const whole = results.length === 0 ? dataServiceFailure(answer, false) : undefined;
  return items.map((item, i): BatchOutcome => {
    if (i >= results.length) {
      return { kind: "unknown", reason: whole ? `Creatio's DataService refused the batch: ${whole.slice(0, 500)}` : "Creatio's BatchQuery answered no result for it" };
    }
    const failure = dataServiceFailure(results[i], item.operation === "SelectQuery");
    return failure === undefined ? { kind: "done", answer: results[i] } : { kind: "refused", reason: `Creatio's DataService refused ${item.what}: ${failure.slice(0, 500)}` };
  });
}

/** Runs SelectQueries in one request and returns each one's rows; throws the first refusal. */
export async function selectBatch(client: CreatioClient, specs: readonly SelectSpec[]): Promise<Record<string, unknown>[][]> {
  const outcomes = await batch(client, specs.map(selectItem));
  return outcomes.map((o) => {
    if (o.kind !== "done") throw new Error(o.reason);
    return o.answer.rows as Record<string, unknown>[];
  });
}
