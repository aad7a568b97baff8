/**
 * Snapshots of the Identity Service's PostgreSQL tables: take, list, restore, prune. Each runs the
 * SQL of lib/databaseSnapshotSql.ts through a `Query` the caller supplies (a pg client in the
 * dynamic provider, a test's own connection), so nothing here opens a connection or knows Pulumi.
 * Taking and restoring each run in one transaction: a failure leaves the database as it was.
 */
import {
  COLUMNS_SQL,
  CONSTRAINTS_SQL,
  CREATIO_TABLES_SQL,
  dropSnapshotSql,
  INDEXES_SQL,
  insertDefinitionSql,
  LIST_SNAPSHOTS_SQL,
  quoteIdentifier,
  readDefinitionSql,
  restoreStatements,
  SEQUENCES_SQL,
  sequencePositionSql,
  SequenceDefinition,
  snapshotName,
  snapshotStatements,
  SnapshotDefinition,
  SNAPSHOT_MARKER,
  TABLES_SQL,
  TableDefinition,
  qualified,
} from "./databaseSnapshotSql";

/** Runs one statement and returns its rows. */
export type Query = (sql: string, params?: unknown[]) => Promise<any[]>;

/** A snapshot as `pulumi stack output databaseSnapshots` shows it. */
export interface SnapshotInfo {
  readonly name: string;
  /** When it was taken (ISO 8601, UTC). */
  readonly takenAt: string;
  /** The image the Identity Service ran then: run it again with `pulumi config set image <this>`. */
  readonly image: string;
  readonly tables: number;
  readonly rows: number;
  /** Its size on disk: about the size of the Identity Service's tables at the time (indexes are not copied). */
  readonly sizeBytes: number;
}

/** An error whose `name` is "SnapshotNotFoundError": the snapshot named in a restore does not exist. */
export interface SnapshotNotFoundError extends Error {
  readonly name: "SnapshotNotFoundError";
  readonly snapshot: string;
  readonly existing: readonly SnapshotInfo[];
}

/**
 * The error for a snapshot that does not exist; the message lists the ones that do. A plain Error
 * with properties, not a subclass: the dynamic provider's serialized copy of an Error subclass
 * loses its message.
 */
export function snapshotNotFound(snapshot: string, existing: readonly SnapshotInfo[]): SnapshotNotFoundError {
  return Object.assign(new Error(snapshotNotFoundMessage(snapshot, existing)), { name: "SnapshotNotFoundError" as const, snapshot, existing });
}

export function isSnapshotNotFound(e: unknown): e is SnapshotNotFoundError {
  return e instanceof Error && e.name === "SnapshotNotFoundError";
}

/** `name (taken <time>, image <image>)`, one per line. */
export function describeSnapshots(snapshots: readonly SnapshotInfo[]): string {
  return snapshots.map((s) => `${s.name} (taken ${s.takenAt}, image ${s.image}, ${s.rows} rows)`).join("; ");
}

export function snapshotNotFoundMessage(snapshot: string, existing: readonly SnapshotInfo[]): string {
  const list = existing.length > 0 ? `Snapshots there, newest first: ${describeSnapshots(existing)}.` : "There are no snapshots in it.";
  return (
    `creatio-identity:restoreDatabaseSnapshot: no snapshot named "${snapshot}" in the Identity Service database. ${list} ` +
    "Fix: `pulumi config set restoreDatabaseSnapshot <name>` with one of them, or `pulumi config rm restoreDatabaseSnapshot`."
  );
}

/** Printed after a snapshot: what to run if the new image fails. */
export function rollbackHint(snapshot: string, from: string | undefined, to: string): string {
  return (
    `Snapshot ${snapshot} of the Identity Service database was taken before the image changes ${from ? `from ${from} ` : ""}to ${to}. ` +
    `If the new container does not become healthy, roll back with: ${from ? `pulumi config set image ${from} && ` : ""}pulumi config set restoreDatabaseSnapshot ${snapshot} && pulumi up`
  );
}

/** Printed by preview and up when an MS SQL Identity Service changes image: nothing backs its database up. */
export function msSqlNotBackedUpWarning(from: string, to: string): string {
  return (
    `warning: the Identity Service image changes from ${from} to ${to}, and its MS SQL database is NOT backed up (snapshots are PostgreSQL only). ` +
    "The new version may migrate the database on its first start: back it up first (BACKUP DATABASE, README 'Updating with an MS SQL database'). " +
    `To roll back: RESTORE DATABASE from that backup, then \`pulumi config set image ${from}\` and \`pulumi up\`.`
  );
}

async function inTransaction<T>(q: Query, begin: string, work: () => Promise<T>): Promise<T> {
  await q(begin);
  try {
    const result = await work();
    await q("COMMIT");
    return result;
  } catch (e) {
    await q("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

/** The schema the Identity Service's unqualified table names resolve to (where EF Core created them). */
export async function identityServiceSchema(q: Query): Promise<string> {
  const [{ schema }] = await q("SELECT current_schema() AS schema");
  if (!schema) throw new Error("the Identity Service login has no schema on its search_path (current_schema() is null)");
  return schema;
}

/** Every snapshot in the database, newest first. Schemas that only look like snapshots are left out. */
export async function listSnapshots(q: Query): Promise<SnapshotInfo[]> {
  const found: SnapshotInfo[] = [];
  for (const row of await q(LIST_SNAPSHOTS_SQL)) {
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(row.comment ?? "");
    } catch {
      continue;
    }
    if (meta?.[SNAPSHOT_MARKER] !== 1) continue;
    found.push({
      name: row.name,
      takenAt: String(meta.takenAt),
      image: String(meta.image),
      tables: Number(meta.tables),
      rows: Number(meta.rows),
      sizeBytes: Number(row.sizeBytes),
    });
  }
  return found.sort((a, b) => (a.takenAt === b.takenAt ? (a.name < b.name ? 1 : -1) : a.takenAt < b.takenAt ? 1 : -1));
}

/** The tables and sequences of `schema` as the catalog has them now: what a snapshot records. */
export async function describeSchema(q: Query, schema: string): Promise<{ tables: TableDefinition[]; sequences: SequenceDefinition[] }> {
  const names: string[] = (await q(TABLES_SQL, [schema])).map((r) => r.name);
  const byTable =
    <T>(rows: any[], map: (r: any) => T) =>
    (table: string) =>
      rows.filter((r) => r.table === table).map(map);
  const columns = byTable(await q(COLUMNS_SQL, [schema]), (r) => ({
    name: r.name,
    type: r.type,
    notNull: r.notNull,
    ...(r.expression !== null ? { expression: r.expression } : {}),
    ...(r.identity ? { identity: r.identity } : {}),
    ...(r.generated ? { generated: true } : {}),
    ...(r.collation ? { collation: r.collation } : {}),
  }));
  const constraints = byTable(await q(CONSTRAINTS_SQL, [schema]), (r) => ({ name: r.name, type: r.type, definition: r.definition }));
  const indexes = byTable(await q(INDEXES_SQL, [schema]), (r) => r.definition as string);
  const tables: TableDefinition[] = [];
  for (const name of names) {
    const [{ n }] = await q(`SELECT count(*)::int AS n FROM ${qualified(schema, name)}`);
    tables.push({ name, columns: columns(name), constraints: constraints(name), indexes: indexes(name), rows: n });
  }
  const sequences: SequenceDefinition[] = [];
  for (const s of await q(SEQUENCES_SQL, [schema])) {
    const [position] = await q(sequencePositionSql(schema, s.name));
    sequences.push({
      name: s.name,
      dataType: s.dataType,
      start: s.start,
      increment: s.increment,
      min: s.min,
      max: s.max,
      cache: s.cache,
      cycle: s.cycle,
      ...(s.ownerTable ? { ownedBy: { table: s.ownerTable, column: s.ownerColumn, kind: s.ownerKind } } : {}),
      lastValue: position.lastValue,
      isCalled: position.isCalled,
    });
  }
  return { tables, sequences };
}

/** What takeSnapshot did: the snapshot, or why there is none. */
export type TakeResult = { readonly snapshot: SnapshotInfo; readonly skipped?: undefined } | { readonly snapshot?: undefined; readonly skipped: string };

/**
 * Copies every table of the Identity Service's schema into a new snapshot schema, in one
 * REPEATABLE READ transaction (one consistent point in time, while the service keeps running).
 * `image` is the image the service runs now. No snapshot when the schema has no tables (first
 * deployment), or when it also holds Creatio's tables (a shared database: a copy would take
 * Creatio's data, and a restore would roll it back).
 */
export async function takeSnapshot(q: Query, image: string, imageLabel: string, now = new Date()): Promise<TakeResult> {
  return inTransaction(q, "BEGIN ISOLATION LEVEL REPEATABLE READ", async (): Promise<TakeResult> => {
    const schema = await identityServiceSchema(q);
    // Expressions (defaults, constraints) are printed relative to this search_path; restore uses the same.
    await q(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
    const { tables, sequences } = await describeSchema(q, schema);
    if (tables.length === 0) return { skipped: `the Identity Service has no tables in schema "${schema}" yet (first deployment): nothing to copy` };
    const [{ n }] = await q(CREATIO_TABLES_SQL, [schema]);
    if (n > 0) {
      return {
        skipped: `schema "${schema}" also holds Creatio's tables (the Identity Service shares Creatio's database), so it is not copied: back it up with your database tools`,
      };
    }
    let name = snapshotName(now, imageLabel);
    for (let i = 2; (await q("SELECT 1 FROM pg_namespace WHERE nspname = $1", [name])).length > 0; i++) name = `${snapshotName(now, imageLabel)}_${i}`;
    const rows = tables.reduce((sum, t) => sum + t.rows, 0);
    const definition: SnapshotDefinition = { format: 1, takenAt: now.toISOString(), image, sourceSchema: schema, tables, sequences };
    for (const sql of snapshotStatements(
      name,
      schema,
      tables.map((t) => t.name),
      { takenAt: definition.takenAt, image, tables: tables.length, rows },
    ))
      await q(sql);
    await q(insertDefinitionSql(name), [JSON.stringify(definition)]);
    const [{ size }] = await q(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint::text AS size FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [name],
    );
    return { snapshot: { name, takenAt: definition.takenAt, image, tables: tables.length, rows, sizeBytes: Number(size) } };
  });
}

/**
 * Puts the Identity Service's tables and sequences back exactly as the snapshot holds them, in one
 * transaction: tables added since are dropped, changed ones rebuilt with their recorded columns,
 * constraints, indexes and rows, sequences set to their recorded positions. Throws a
 * SnapshotNotFoundError (listing the snapshots there) for an unknown name. Stop the service first.
 */
export async function restoreSnapshot(q: Query, name: string): Promise<SnapshotInfo> {
  return inTransaction(q, "BEGIN", async () => {
    const existing = await listSnapshots(q);
    const info = existing.find((s) => s.name === name);
    if (!info) throw snapshotNotFound(name, existing);
    const [row] = await q(readDefinitionSql(name));
    const definition = row?.definition as SnapshotDefinition | undefined;
    if (!definition || definition.format !== 1) throw new Error(`snapshot ${name} has no readable definition (table ${name}.__snapshot_definition); it cannot be restored`);
    const schema = definition.sourceSchema;
    await q(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
    const tables: string[] = (await q(TABLES_SQL, [schema])).map((r) => r.name);
    const sequences = (await q(SEQUENCES_SQL, [schema])).map((r) => ({ name: r.name as string, owned: r.ownerTable !== null }));
    for (const sql of restoreStatements(name, definition, { tables, sequences })) await q(sql);
    return info;
  });
}

/** Drops all but the newest `keep` snapshots (never one named in `protect`); returns the names dropped. */
export async function pruneSnapshots(q: Query, keep: number, protect: readonly string[] = []): Promise<string[]> {
  const drop = (await listSnapshots(q))
    .slice(Math.max(keep, 0))
    .map((s) => s.name)
    .filter((n) => !protect.includes(n));
  if (drop.length === 0) return [];
  await inTransaction(q, "BEGIN", async () => {
    for (const name of drop) await q(dropSnapshotSql(name));
  });
  return drop;
}
