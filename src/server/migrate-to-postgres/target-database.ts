/**
 * The PostgreSQL side of a migration: batches written with `ON CONFLICT DO NOTHING` on the tables' keys (a batch run
 * again changes nothing; forward columns move to the later value; a resumed run overwrites the rows of live tables,
 * setting aside first the unique values another row still holds),
 * rows looked up by the keys and unique values of a source batch, rows removed by key, pages of a whole table for the
 * checksum, and the serial counters moved past the copied values.
 */

import type { PoolClient } from "pg";
import type { Database } from "../store/postgres/pg-database.js";
import { encodeParam } from "../store/postgres/pg-text.js";
import type { KeyedTable, SerialTable, TableSpec } from "./tables.js";

/** Whether the clawtell tables exist in the target's schema (`schema_migrations` is made with them). */
export async function hasTables(db: Database): Promise<boolean> {
  const [row] = await db.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  return row?.present === true;
}

export async function tableExists(db: Database, table: string): Promise<boolean> {
  const [row] = await db.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [table]);
  return row?.present === true;
}

export async function countRows(db: Database, table: string): Promise<number> {
  // Table names come from the fixed list in tables.ts, never from input.
  const [row] = await db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n ?? 0);
}

/** One column's values of a batch, as PostgreSQL takes them. */
function columnValues(spec: KeyedTable, rows: ReadonlyArray<Record<string, unknown>>, column: string): unknown[] {
  const type = spec.columns.find((c) => c.name === column)?.type ?? "text";
  return rows.map((row) => {
    const value = row[column];
    if (value === null || value === undefined) return null;
    if (type === "boolean") return value === 1 || value === true || value === 1n;
    if (type === "jsonb") return JSON.stringify(typeof value === "string" ? (JSON.parse(value) as unknown) : value);
    if (type === "bigint") return String(value as number | bigint);
    return String(value as string);
  });
}

const typeOf = (spec: KeyedTable, column: string): string => spec.columns.find((c) => c.name === column)?.type ?? "text";

/**
 * What a row already in the target gets: nothing, or for a table with forward columns (tables.ts) the later value of
 * each (GREATEST passes over a null; true is greater than false), written only when one moves.
 */
function onConflict(spec: TableSpec, overwrite: boolean): string {
  const forward = spec.forward ?? [];
  // The folder's row replaces the target's, but for forward columns, which keep the later value of the two. A table
  // whose key is all its columns has nothing to overwrite.
  const columns = spec.columns.map((c) => c.name).filter((c) => !spec.key.includes(c));
  if (overwrite && columns.length > 0) {
    const value = columns.map((c) => (forward.includes(c) ? `GREATEST(t.${c}, excluded.${c})` : `excluded.${c}`));
    return `ON CONFLICT (${spec.key.join(", ")}) DO UPDATE SET ${columns.map((c, i) => `${c} = ${value[i] ?? ""}`).join(", ")}
     WHERE (${columns.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${value.join(", ")})`;
  }
  if (forward.length === 0) return "ON CONFLICT DO NOTHING";
  const later = forward.map((c) => `GREATEST(t.${c}, excluded.${c})`);
  return `ON CONFLICT (${spec.key.join(", ")}) DO UPDATE SET ${forward.map((c, i) => `${c} = ${later[i] ?? ""}`).join(", ")}
     WHERE (${forward.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${later.join(", ")})`;
}

/** A value no real one starts with: the prefix of a unique value set aside while rows exchange theirs. */
const SET_ASIDE = "chr(1) || 'moving:' || ";

/**
 * Sets aside the unique values the batch `rows` is about to take from other rows of the target (two rows that
 * exchanged a name, a key prefix or a hash since the last run): each such row holds a placeholder made of its own key
 * until its own batch, later in the same run, overwrites it with the folder's value. PostgreSQL checks a unique
 * constraint row by row, so without this the first row of a swap would meet the other still holding its value.
 */
async function setAsideTakenValues(client: PoolClient, spec: TableSpec, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  const keyParams = spec.key.map((k, i) => `$${i + 1}::${typeOf(spec, k)}[]`);
  const placeholder = `${SET_ASIDE}json_build_array(${spec.key.map((k) => `t.${k}`).join(", ")})::text`;
  const differentRow = `(${spec.key.map((k) => `t.${k}`).join(", ")}) IS DISTINCT FROM (${spec.key.map((k) => `s.${k}`).join(", ")})`;
  for (const column of spec.unique) {
    const param = `$${keyParams.length + 1}::${typeOf(spec, column)}[]`;
    await client.query(
      `UPDATE ${spec.name} AS t SET ${column} = ${placeholder}
       FROM unnest(${keyParams.join(", ")}, ${param}) AS s(${[...spec.key, "taken"].join(", ")})
       WHERE t.${column} = s.taken AND ${differentRow}`,
      [...spec.key, column].map((c) => encodeParam(columnValues(spec, rows, c))),
    );
  }
}

/**
 * Inserts one batch in one transaction; rows whose key (or unique value) is there already are left as they are, but
 * for their forward columns, which move to the later value. With `overwrite`, a row whose key is there already takes
 * the batch's values instead, and a unique value of the batch that another row holds is set aside first.
 */
export async function insertBatch(db: Database, spec: TableSpec, rows: ReadonlyArray<Record<string, unknown>>, overwrite = false): Promise<number> {
  if (rows.length === 0) return 0;
  const names = spec.columns.map((c) => c.name);
  const arrays = spec.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ");
  const params = names.map((name) => encodeParam(columnValues(spec, rows, name)));
  return db.transaction(async (client) => {
    if (overwrite) await setAsideTakenValues(client, spec, rows);
    const result = await client.query(`INSERT INTO ${spec.name} AS t (${names.join(", ")}) SELECT * FROM unnest(${arrays}) ${onConflict(spec, overwrite)}`, params);
    return result.rowCount ?? 0;
  });
}

/** The target's rows that share a key or a unique value with the source batch `rows`. */
export async function rowsMatching(
  db: Database,
  spec: TableSpec,
  rows: ReadonlyArray<Record<string, unknown>>,
): Promise<Array<Record<string, unknown>>> {
  if (rows.length === 0) return [];
  const params: unknown[] = [];
  const param = (column: string): string => {
    params.push(columnValues(spec, rows, column));
    return `$${params.length}::${typeOf(spec, column)}[]`;
  };
  const keyMatch = `(${spec.key.join(", ")}) IN (SELECT * FROM unnest(${spec.key.map(param).join(", ")}))`;
  const uniqueMatches = spec.unique.map((column) => `${column} = ANY(${param(column)})`);
  const columns = spec.columns.map((c) => c.name).join(", ");
  return db.query(`SELECT ${columns} FROM ${spec.name} WHERE ${[keyMatch, ...uniqueMatches].join(" OR ")}`, params.map(encodeParam));
}

/** One page of the keys of a whole target table, in key order (`spec` cut down to its key columns). */
export async function targetKeyPage(db: Database, spec: KeyedTable, limit: number, offset: number): Promise<Array<Record<string, unknown>>> {
  return db.query(`SELECT ${spec.key.join(", ")} FROM ${spec.name} ORDER BY ${spec.key.join(", ")} LIMIT $1 OFFSET $2`, [limit, offset]);
}

/** Removes, in one transaction, the target rows with the keys of `rows`. */
export async function deleteByKeys(db: Database, spec: KeyedTable, rows: ReadonlyArray<Record<string, unknown>>): Promise<number> {
  if (rows.length === 0) return 0;
  const arrays = spec.key.map((k, i) => `$${i + 1}::${typeOf(spec, k)}[]`).join(", ");
  const params = spec.key.map((k) => encodeParam(columnValues(spec, rows, k)));
  return db.transaction(async (client) => {
    const result = await client.query(`DELETE FROM ${spec.name} WHERE (${spec.key.join(", ")}) IN (SELECT * FROM unnest(${arrays}))`, params);
    return result.rowCount ?? 0;
  });
}

/** One page of a whole target table, in key order. */
export async function targetPage(db: Database, spec: TableSpec, limit: number, offset: number): Promise<Array<Record<string, unknown>>> {
  const columns = spec.columns.map((c) => c.name).join(", ");
  return db.query(`SELECT ${columns} FROM ${spec.name} ORDER BY ${spec.key.join(", ")} LIMIT $1 OFFSET $2`, [limit, offset]);
}

/** The ids among `fileIds` whose bytes the target holds already. */
export async function storedFileIds(db: Database, fileIds: readonly string[]): Promise<Set<string>> {
  if (fileIds.length === 0) return new Set();
  const rows = await db.query<{ file_id: string }>("SELECT file_id FROM file_contents WHERE file_id = ANY($1::text[])", [fileIds]);
  return new Set(rows.map((r) => r.file_id));
}

/** SHA-256 (hex) of a `file_contents f` row's bytes: its own content followed by its chunks (pg-files.ts). */
const FILE_SHA256 = `encode(sha256(f.content || COALESCE((SELECT string_agg(c.content, ''::bytea ORDER BY c.seq) FROM file_chunks c WHERE c.file_id = f.file_id), ''::bytea)), 'hex')`;

/** SHA-256 (hex) of the target's attachment bytes, by file id, for a page of the whole table in id order. */
export async function fileDigestPage(db: Database, limit: number, offset: number): Promise<Array<{ file_id: string; sha256: string }>> {
  return db.query(
    `SELECT file_id, ${FILE_SHA256} AS sha256 FROM file_contents f ORDER BY file_id LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
}

/** SHA-256 (hex) of the target's bytes of the given files. */
export async function fileDigests(db: Database, fileIds: readonly string[]): Promise<Map<string, string>> {
  if (fileIds.length === 0) return new Map();
  const rows = await db.query<{ file_id: string; sha256: string }>(
    `SELECT file_id, ${FILE_SHA256} AS sha256 FROM file_contents f WHERE file_id = ANY($1::text[])`,
    [fileIds],
  );
  return new Map(rows.map((r) => [r.file_id, r.sha256]));
}

export async function insertFileContents(db: Database, files: ReadonlyArray<{ fileId: string; content: Buffer }>, writtenAt: number): Promise<void> {
  if (files.length === 0) return;
  await db.transaction(async (client) => {
    await client.query(
      `INSERT INTO file_contents (file_id, content, written_at)
       SELECT file_id, content, $3 FROM unnest($1::text[], $2::bytea[]) AS t(file_id, content) ON CONFLICT DO NOTHING`,
      [files.map((f) => f.fileId), files.map((f) => f.content), writtenAt],
    );
  });
}

/**
 * Moves the serial counter of `table.column` past `atLeast` and past the column's highest value, so that the next row
 * a server inserts gets a fresh number; never moves it back.
 */
export async function moveSequencePast(db: Database, table: SerialTable, column: "id" | "seq", atLeast: number): Promise<void> {
  await db.query(
    `WITH s AS (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq),
          v AS (SELECT seq, GREATEST($3::bigint, COALESCE(pg_sequence_last_value(seq), 0), (SELECT COALESCE(MAX(${column}), 0) FROM ${table})) AS value FROM s)
     SELECT setval(seq, value, true) FROM v WHERE value > 0`,
    [table, column, atLeast],
  );
}
