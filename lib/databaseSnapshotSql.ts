/**
 * The SQL of Identity Service database snapshots (PostgreSQL), as text and data. Pure: no Pulumi,
 * no I/O. lib/databaseSnapshots.ts runs it.
 *
 * A snapshot is one schema in the Identity Service's own database, `snapshot_<UTC time>_<image>`:
 * - one table per table of the Identity Service's schema, holding its rows (`CREATE TABLE AS`);
 * - `"__snapshot_definition"`: one row with the schema's definition as JSON, read from the catalog
 *   in the same transaction: every table's columns (type, NOT NULL, default, identity, generated,
 *   collation), constraints and indexes with their names, every sequence with its options and
 *   position. Restoring replays it, so the tables come back exactly as they were, names included
 *   (later EF Core migrations refer to constraints and indexes by name);
 * - a comment on the schema marking it as a snapshot (time, image, counts), so listing snapshots
 *   reads only the catalog, and schemas that merely look like one are never touched.
 * Every name is quoted; values that cannot be bind parameters (COMMENT) are quoted as literals.
 */
import { quoteIdentifier } from "./identityClientSql";

export { quoteIdentifier };

/** What marks a schema as a snapshot in its comment. */
export const SNAPSHOT_MARKER = "creatio-identity-snapshot";
/** The table inside a snapshot schema that holds its definition. */
export const DEFINITION_TABLE = "__snapshot_definition";
/** Snapshot names: what `restoreDatabaseSnapshot` accepts. */
export const SNAPSHOT_NAME_PATTERN = /^snapshot_\d{14}_[a-z0-9_]{1,40}$/;

/** `a'b` → `'a''b'`; with a backslash, an E'' literal with backslashes doubled (as libpq's PQescapeLiteral). */
export function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''");
  return value.includes("\\") ? `E'${body.replace(/\\/g, "\\\\")}'` : `'${body}'`;
}

/** `"schema"."name"`. */
export function qualified(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/** `snapshot_20261202064216_src_3f2a9c1b7d4e` for a snapshot taken at `takenAt` (UTC) before leaving `imageLabel`. */
export function snapshotName(takenAt: Date, imageLabel: string): string {
  const stamp = takenAt.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `snapshot_${stamp}_${imageLabel}`;
}

export interface ColumnDefinition {
  readonly name: string;
  /** format_type(): `character varying(200)`, `integer`, ... */
  readonly type: string;
  readonly notNull: boolean;
  /** The default (or, for a generated column, the generation) expression, as pg_get_expr prints it. */
  readonly expression?: string;
  /** `a` GENERATED ALWAYS / `d` BY DEFAULT AS IDENTITY. */
  readonly identity?: "a" | "d";
  /** A stored generated column. */
  readonly generated?: boolean;
  /** A collation other than the type's default, qualified and quoted. */
  readonly collation?: string;
}

export interface ConstraintDefinition {
  readonly name: string;
  /** p primary key, u unique, c check, x exclusion, f foreign key. */
  readonly type: string;
  /** pg_get_constraintdef(): `PRIMARY KEY ("Id")`, `FOREIGN KEY (...) REFERENCES ...`. */
  readonly definition: string;
}

export interface TableDefinition {
  readonly name: string;
  readonly columns: ColumnDefinition[];
  readonly constraints: ConstraintDefinition[];
  /** pg_get_indexdef() of the indexes that do not back a constraint (they carry their names). */
  readonly indexes: string[];
  readonly rows: number;
}

export interface SequenceDefinition {
  readonly name: string;
  readonly dataType: string;
  readonly start: string;
  readonly increment: string;
  readonly min: string;
  readonly max: string;
  readonly cache: string;
  readonly cycle: boolean;
  /** The column of a serial (`a`) or identity (`i`) sequence. */
  readonly ownedBy?: { readonly table: string; readonly column: string; readonly kind: "a" | "i" };
  readonly lastValue: string;
  readonly isCalled: boolean;
}

/** What a snapshot knows about the schema it copied. */
export interface SnapshotDefinition {
  readonly format: 1;
  readonly takenAt: string;
  /** The image the Identity Service ran when the snapshot was taken (the one being left). */
  readonly image: string;
  readonly sourceSchema: string;
  readonly tables: TableDefinition[];
  readonly sequences: SequenceDefinition[];
}

/** The schema's ordinary tables (not partitions), by name. Params: $1 schema. */
export const TABLES_SQL = `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition ORDER BY c.relname`;

/** Columns of every table in $1, in order. */
export const COLUMNS_SQL = `SELECT c.relname AS "table", a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
  pg_get_expr(d.adbin, d.adrelid) AS expression, nullif(a.attidentity, '') AS identity, a.attgenerated = 's' AS generated,
  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation
 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
 WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum`;

/** Named constraints of every table in $1 (not-null ones are column properties). */
export const CONSTRAINTS_SQL = `SELECT c.relname AS "table", k.conname AS name, k.contype AS type, pg_get_constraintdef(k.oid) AS definition
 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind = 'r' AND k.contype IN ('p', 'u', 'c', 'x', 'f') AND k.conislocal ORDER BY c.relname, k.conname`;

/** Indexes of every table in $1 that no constraint owns. */
export const INDEXES_SQL = `SELECT c.relname AS "table", pg_get_indexdef(i.indexrelid) AS definition
 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
 ORDER BY c.relname, ic.relname`;

/** Sequences in $1 with their options and owning column (serial: deptype a, identity: i). */
export const SEQUENCES_SQL = `SELECT s.relname AS name, format_type(q.seqtypid, NULL) AS "dataType", q.seqstart::text AS start, q.seqincrement::text AS increment,
  q.seqmin::text AS min, q.seqmax::text AS max, q.seqcache::text AS cache, q.seqcycle AS cycle, t.relname AS "ownerTable", a.attname AS "ownerColumn", d.deptype AS "ownerKind"
 FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid
 LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
 LEFT JOIN pg_class t ON t.oid = d.refobjid LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE n.nspname = $1 AND s.relkind = 'S' ORDER BY s.relname`;

/** A sequence's position. Not a catalog value: read from the sequence itself. */
export function sequencePositionSql(schema: string, sequence: string): string {
  return `SELECT last_value::text AS "lastValue", is_called AS "isCalled" FROM ${qualified(schema, sequence)}`;
}

/** Every snapshot schema: name, its comment (JSON) and its size on disk. */
export const LIST_SNAPSHOTS_SQL = `SELECT n.nspname AS name, obj_description(n.oid, 'pg_namespace') AS comment,
  (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint::text FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind = 'r') AS "sizeBytes"
 FROM pg_namespace n WHERE n.nspname LIKE 'snapshot\\_%' ORDER BY n.nspname DESC`;

/** Tables in $1 that show the schema is Creatio's own (a shared database), not the Identity Service's alone. */
export const CREATIO_TABLES_SQL = `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname IN ('SysSettings', 'SysAdminUnit', 'SysSchema')`;

/** The statements that copy `tables` of `source` into a new snapshot schema, and mark it. */
export function snapshotStatements(name: string, source: string, tables: readonly string[], comment: object): string[] {
  return [
    `CREATE SCHEMA ${quoteIdentifier(name)}`,
    ...tables.map((t) => `CREATE TABLE ${qualified(name, t)} AS TABLE ${qualified(source, t)}`),
    `CREATE TABLE ${qualified(name, DEFINITION_TABLE)} (definition jsonb NOT NULL)`,
    `COMMENT ON SCHEMA ${quoteIdentifier(name)} IS ${quoteLiteral(JSON.stringify({ [SNAPSHOT_MARKER]: 1, ...comment }))}`,
  ];
}

/** Inserts the definition ($1 jsonb) into a new snapshot. */
export function insertDefinitionSql(name: string): string {
  return `INSERT INTO ${qualified(name, DEFINITION_TABLE)} (definition) VALUES ($1::jsonb)`;
}

/** Reads a snapshot's definition. */
export function readDefinitionSql(name: string): string {
  return `SELECT definition FROM ${qualified(name, DEFINITION_TABLE)}`;
}

/** Drops a snapshot and everything in it. */
export function dropSnapshotSql(name: string): string {
  return `DROP SCHEMA ${quoteIdentifier(name)} CASCADE`;
}

const INTEGER = /^-?\d+$/;

/** Sequence options; the numbers come from a snapshot's JSON, so they are checked before they become SQL. */
function sequenceOptions(s: SequenceDefinition): string {
  for (const v of [s.increment, s.min, s.max, s.start, s.cache]) if (!INTEGER.test(v)) throw new Error(`snapshot definition: sequence ${s.name} has a malformed number`);
  if (!/^[a-z ]+$/.test(s.dataType)) throw new Error(`snapshot definition: sequence ${s.name} has a malformed type`);
  return `AS ${s.dataType} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache}${s.cycle ? " CYCLE" : " NO CYCLE"}`;
}

function columnSql(table: string, c: ColumnDefinition, sequences: readonly SequenceDefinition[]): string {
  let sql = `${quoteIdentifier(c.name)} ${c.type}`;
  if (c.collation) sql += ` COLLATE ${c.collation}`;
  if (c.identity) {
    const s = sequences.find((q) => q.ownedBy?.kind === "i" && q.ownedBy.table === table && q.ownedBy.column === c.name);
    const options = s ? ` (SEQUENCE NAME ${quoteIdentifier(s.name)} ${sequenceOptions(s).replace(/^AS \S+ /, "")})` : "";
    sql += ` GENERATED ${c.identity === "a" ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY${options}`;
  } else if (c.generated && c.expression) {
    sql += ` GENERATED ALWAYS AS (${c.expression}) STORED`;
  } else if (c.expression) {
    sql += ` DEFAULT ${c.expression}`;
  }
  if (c.notNull) sql += " NOT NULL";
  return sql;
}

/**
 * The statements that put `schema`'s tables and sequences back exactly as the snapshot `name`
 * recorded them, given the tables and sequences the schema holds now. Run them in ONE transaction
 * with `search_path` set to `schema` alone (the recorded expressions were printed that way).
 * Anything else that depends on these tables (a view, say) makes the DROP fail, and the
 * transaction rolls back rather than cascading into objects the snapshot does not hold.
 */
export function restoreStatements(name: string, def: SnapshotDefinition, current: { tables: readonly string[]; sequences: readonly { name: string; owned: boolean }[] }): string[] {
  const schema = def.sourceSchema;
  const statements: string[] = [];
  if (current.tables.length > 0) statements.push(`DROP TABLE ${current.tables.map((t) => qualified(schema, t)).join(", ")}`);
  const standalone = current.sequences.filter((s) => !s.owned).map((s) => qualified(schema, s.name));
  if (standalone.length > 0) statements.push(`DROP SEQUENCE IF EXISTS ${standalone.join(", ")}`);
  // Serial and standalone sequences first: column defaults refer to them. Identity ones come with their columns.
  for (const s of def.sequences.filter((q) => q.ownedBy?.kind !== "i")) statements.push(`CREATE SEQUENCE ${qualified(schema, s.name)} ${sequenceOptions(s)}`);
  for (const t of def.tables) {
    statements.push(`CREATE TABLE ${qualified(schema, t.name)} (${t.columns.map((c) => columnSql(t.name, c, def.sequences)).join(", ")})`);
    const copied = t.columns
      .filter((c) => !c.generated)
      .map((c) => quoteIdentifier(c.name))
      .join(", ");
    if (copied) statements.push(`INSERT INTO ${qualified(schema, t.name)} (${copied}) OVERRIDING SYSTEM VALUE SELECT ${copied} FROM ${qualified(name, t.name)}`);
  }
  for (const s of def.sequences.filter((q) => q.ownedBy?.kind === "a")) {
    statements.push(`ALTER SEQUENCE ${qualified(schema, s.name)} OWNED BY ${qualified(schema, s.ownedBy!.table)}.${quoteIdentifier(s.ownedBy!.column)}`);
  }
  // Keys before the foreign keys that reference them; indexes after the rows are in (faster, as pg_dump does).
  const constraints = def.tables.flatMap((t) => t.constraints.map((k) => ({ table: t.name, ...k })));
  for (const k of [...constraints.filter((c) => c.type !== "f"), ...constraints.filter((c) => c.type === "f")]) {
    statements.push(`ALTER TABLE ${qualified(schema, k.table)} ADD CONSTRAINT ${quoteIdentifier(k.name)} ${k.definition}`);
  }
  for (const t of def.tables) statements.push(...t.indexes);
  for (const s of def.sequences) {
    if (!INTEGER.test(s.lastValue)) throw new Error(`snapshot definition: sequence ${s.name} has a malformed position`);
    statements.push(`SELECT pg_catalog.setval(${quoteLiteral(qualified(schema, s.name))}, ${s.lastValue}, ${s.isCalled === true})`);
  }
  return statements;
}
