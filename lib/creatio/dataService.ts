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

/** `dataValueType` numbers used here. */
export const DataValueType = { guid: 0, text: 1, integer: 4, lookup: 10, boolean: 12 } as const;

export type ParameterValue = string | number | boolean | null;

/** A filter of a query (Creatio's `Filters` contract). */
export type Filter = Record<string, unknown>;

function parameter(value: ParameterValue, dataValueType: number) {
  return { expressionType: 2, parameter: { dataValueType, value } };
}

function typeOf(value: ParameterValue): number {
  if (typeof value === "boolean") return DataValueType.boolean;
  if (typeof value === "number") return DataValueType.integer;
  if (typeof value === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return DataValueType.guid;
  return DataValueType.text;
}

/** `columnPath = value` (comparisonType 3, Equal). Guids, numbers and booleans get their data value type unless `dataValueType` is given. */
export function equals(columnPath: string, value: ParameterValue, dataValueType: number = typeOf(value)): Filter {
  return {
    filterType: 1,
    comparisonType: 3,
    isEnabled: true,
    trimDateTimeParameterToDate: false,
    leftExpression: { expressionType: 0, columnPath },
    rightExpression: parameter(value, dataValueType),
  };
}

/** `columnPath IN (values)` (filterType 4). */
export function isIn(columnPath: string, values: readonly ParameterValue[]): Filter {
  return {
    filterType: 4,
    comparisonType: 3,
    isEnabled: true,
    leftExpression: { expressionType: 0, columnPath },
    rightExpressions: values.map((v) => parameter(v, typeOf(v))),
  };
}

/** A group of filters joined by AND (default) or OR (filterType 6). */
export function group(filters: readonly Filter[], logicalOperation: "and" | "or" = "and"): Filter {
  const items: Record<string, Filter> = {};
  filters.forEach((f, i) => (items[`f${i}`] = f));
  return { filterType: 6, logicalOperation: logicalOperation === "and" ? 0 : 1, isEnabled: true, items };
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
    filters: group(spec.filters),
  };
}

function columnValues(values: Record<string, ParameterValue>): Record<string, unknown> {
  const items: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(values)) items[column] = parameter(value, typeOf(value));
  return { items };
}

/** The InsertQuery body; lookup columns take the referenced row's Id under the column's name. */
export function insertQuery(entity: string, values: Record<string, ParameterValue>): Record<string, unknown> {
  return { rootSchemaName: entity, operationType: 1, columnValues: columnValues(values) };
}

/** The UpdateQuery body. Refuses an empty filter list: Creatio would update every row. */
export function updateQuery(entity: string, values: Record<string, ParameterValue>, filters: readonly Filter[]): Record<string, unknown> {
  if (filters.length === 0) throw new Error(`refusing an UpdateQuery on ${entity} without a filter (it would change every row)`);
  return { rootSchemaName: entity, operationType: 2, isForceUpdate: false, columnValues: columnValues(values), filters: group(filters) };
}

/** The DeleteQuery body. Refuses an empty filter list: Creatio would delete every row. */
export function deleteQuery(entity: string, filters: readonly Filter[]): Record<string, unknown> {
  if (filters.length === 0) throw new Error(`refusing a DeleteQuery on ${entity} without a filter (it would delete every row)`);
  return { rootSchemaName: entity, operationType: 3, filters: group(filters) };
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
