/**
 * `clawtell admin migrate`: copies a data folder into PostgreSQL: accounts, names with their key hashes, the three
 * lists, profiles, the messages retention still keeps (with their read, ack and delivery marks), attachment records and
 * bytes (also those of messages held for approval), the approval queue, receipts, webhook subscriptions and deliveries
 * (the log and those pending), Idempotency-Keys, monthly counts and quotas, pending registrations and invites,
 * dashboard sessions and the audit log (tables.ts lists them). Only login links (15 minutes, single use) stay behind.
 * Ids and seqs are kept, so every key, list entry and message points where it did. The order of a run:
 *
 *  1. take the folder's lock and recover its journal (source-folder.ts);
 *  2. check the target: every row it already holds must be the folder's own (a run before this one) — anything else
 *     is a conflict, refused before a row is written. The folder's marks and receipt times move on while a server runs
 *     on it between two runs (tables.ts names these forward columns): a row that differs only there is the folder's.
 *     A run that resumes into the target of an earlier run (the folder's state file names it) takes the folder as the
 *     truth for the live tables, whose rows a server rewrites and deletes: their rows that differ are to be
 *     overwritten and those the folder no longer has to be removed, counted in the report (a dry run too);
 *  3. copy table by table in batches, one transaction each, `ON CONFLICT DO NOTHING` (a run again repeats nothing),
 *     but for forward columns, which take the later value of the two sides; a resumed run first removes a live
 *     table's rows the folder no longer has, then overwrites the rest with the folder's (a unique value that another
 *     row still holds, two rows having exchanged theirs, is set aside on that row until its own batch);
 *  4. move the serial counters past the copied ids and seqs;
 *  5. verify: per table, the count and an order-free checksum of the rows on both sides (the folder's counted with
 *     the target's forward values where those are later).
 */

import { createSilentLogger, ClawTellError, type Logger } from "../../infra/index.js";
import { ACKED_RETENTION_MS, UNACKED_RETENTION_MS } from "../retention.js";
import { applyMigrations } from "../store/postgres/migrate.js";
import { openDatabase, type Database } from "../store/postgres/pg-database.js";
import { storeError } from "../store/postgres/pg-errors.js";
import { rememberSelectionMoment, selectionMoment } from "./migration-state.js";
import { folderContentSealing } from "../crypto/index.js";
import { openSourceFolder, type SourceFolder } from "./source-folder.js";
import {
  canonicalRow,
  describeRow,
  differingColumns,
  keyOf,
  mergeForward,
  RowChecksum,
  sameRow,
  SERIAL_COLUMNS,
  TABLES,
  keyColumnsOf,
  type CanonicalRow,
  type KeyedTable,
  type Selection,
  type TableSpec,
} from "./tables.js";
import {
  countRows,
  deleteByKeys,
  fileDigestPage,
  fileDigests,
  hasTables,
  insertBatch,
  insertFileContents,
  moveSequencePast,
  rowsMatching,
  storedFileIds,
  tableExists,
  targetKeyPage,
  targetPage,
} from "./target-database.js";

/** The table of attachment bytes, reported beside the row tables. */
export const FILE_CONTENTS = "file_contents";
export const DEFAULT_BATCH_SIZE = 500;
/** Attachment bytes per write, at most (one file larger than this goes alone). */
const FILE_BATCH_BYTES = 16 * 1024 * 1024;

export interface MigrateOptions {
  readonly dataDir: string;
  /** The target `postgres://` URL. */
  readonly to: string;
  /** Report what would be copied, and whether the target can take it; write nothing. */
  readonly dryRun?: boolean;
  /** Rows per batch. @defaultValue 500 */
  readonly batchSize?: number;
  /** Stop after this many batches were written (a large folder moved in steps); a run again continues. */
  readonly maxBatches?: number;
  /**
   * The master keys the folder's server ran with (`CLAWTELL_MASTER_KEY`, `--master-key-file`; the folder's own key
   * file by default): a journal the server left behind holds sealed sends, recovered into the archive first.
   */
  readonly masterKey?: string | undefined;
  readonly masterKeyFile?: string | undefined;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Called after each batch written; the next batch waits for what it answers. */
  readonly onProgress?: (progress: MigrateProgress) => void | Promise<void>;
}

export interface MigrateProgress {
  readonly table: string;
  /** Rows (or files) of the table gone through so far, those the target held already included. */
  readonly done: number;
  readonly total: number;
}

export interface TableReport {
  readonly table: string;
  /** Rows the folder holds for the target (for file_contents: files whose bytes are in the folder). */
  readonly rows: number;
  /** Rows of the target that are the folder's already (those to overwrite included). */
  readonly inTarget: number;
  /** Rows of the target the folder holds changed since an earlier run: overwritten by this run (a dry run: would be). */
  readonly overwrite: number;
  /** Rows of the target the folder no longer holds: removed by this run (a dry run: would be). */
  readonly remove: number;
}

export interface TableCheck {
  readonly table: string;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly sourceChecksum: string;
  readonly targetChecksum: string;
}

export type TargetState = "unreachable" | "empty" | "partly copied" | "copied" | "conflict";

export interface MigrationReport {
  readonly dryRun: boolean;
  readonly dataDir: string;
  readonly target: { readonly state: TargetState; readonly problem?: string };
  readonly tables: readonly TableReport[];
  /** Bytes of the attachment files to copy. */
  readonly fileBytes: number;
  /** Files that messages name but the folder no longer holds (not copied). */
  readonly missingFiles: readonly string[];
  /** Set when the run stopped at `maxBatches` before the end. */
  readonly stoppedAfterBatches?: number;
  /** The verification, once everything is copied. */
  readonly checks?: readonly TableCheck[];
}

interface FileEntry {
  readonly fileId: string;
  readonly size: number;
  readonly sha256: string;
}

/** Every page of a source table's selection. */
async function* sourcePages(source: SourceFolder, spec: TableSpec, selection: Selection, size: number): AsyncGenerator<Array<Record<string, unknown>>> {
  for (let offset = 0; ; offset += size) {
    const rows = source.page(spec, selection, size, offset);
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
  }
}

const FILES_SPEC = TABLES.find((t) => t.name === "files") as TableSpec;

/**
 * The attachment files of the selection, and of the messages held for approval that may still be delivered, that are
 * in the folder, with their digests, in file id order; and those that are missing.
 */
async function listFiles(source: SourceFolder, selection: Selection, size: number): Promise<{ present: FileEntry[]; missing: string[] }> {
  const fileIds = new Set<string>();
  for await (const rows of sourcePages(source, FILES_SPEC, selection, size)) for (const row of rows) fileIds.add(String(row["file_id"] as string));
  for (const fileId of source.heldFileIds()) fileIds.add(fileId);
  const present: FileEntry[] = [];
  const missing: string[] = [];
  for (const fileId of [...fileIds].sort()) {
    const digest = await source.fileDigest(fileId);
    if (digest === undefined) missing.push(fileId);
    else present.push({ fileId, ...digest });
  }
  return { present, missing };
}

interface TargetCheck {
  readonly state: TargetState;
  readonly problem?: string;
  readonly inTarget: ReadonlyMap<string, number>;
  readonly overwrite: ReadonlyMap<string, number>;
  readonly remove: ReadonlyMap<string, number>;
}

/** file_contents as the removal of rows sees it: matched by file id. */
const FILE_CONTENTS_KEY: KeyedTable = { name: FILE_CONTENTS, columns: [{ name: "file_id", type: "text" }], key: ["file_id"] };

const rowsWord = (n: number): string => (n === 1 ? "1 row" : `${n} rows`);

/**
 * Whether every row the target holds is one of the folder's: counts those, or names the first that is not. A row that
 * differs (a name id held by another name) is named before rows the folder lacks altogether. When `resumed`, rows of
 * live tables that differ or that the folder lacks are counted to be overwritten or removed instead.
 */
async function checkTarget(
  db: Database,
  source: SourceFolder,
  selection: Selection,
  files: readonly FileEntry[],
  sourceRows: ReadonlyMap<string, number>,
  size: number,
  resumed: boolean,
): Promise<TargetCheck> {
  const inTarget = new Map<string, number>();
  const overwrite = new Map<string, number>();
  const remove = new Map<string, number>();
  if (!(await hasTables(db))) return { state: "empty", inTarget, overwrite, remove };
  /** Rows of the folder in the target whose forward columns are behind the folder's. */
  let behind = 0;
  const conflict = (problem: string): TargetCheck => ({ state: "conflict", problem, inTarget, overwrite, remove });
  /** Tables whose rows the folder is the truth for: a resumed run's live tables, and the attachment bytes with them. */
  const truthFor = new Set<string>(resumed ? [...TABLES.filter((t) => t.live === true).map((t) => t.name), FILE_CONTENTS] : []);
  for (const spec of TABLES) {
    if (!(await tableExists(db, spec.name))) continue;
    const folderIsTruth = truthFor.has(spec.name);
    let matched = 0;
    let changed = 0;
    for await (const rows of sourcePages(source, spec, selection, size)) {
      const wanted = new Map<string, ReturnType<typeof canonicalRow>>();
      for (const row of rows) {
        const canonical = canonicalRow(spec, row);
        wanted.set(keyOf(spec, canonical), canonical);
      }
      for (const found of await rowsMatching(db, spec, rows)) {
        const theirs = canonicalRow(spec, found);
        const ours = wanted.get(keyOf(spec, theirs));
        const differing = ours === undefined ? [] : differingColumns(spec, ours, theirs);
        // Found by a unique value only: counted with the rows of its own key, or to be removed.
        if (folderIsTruth && ours === undefined) continue;
        if (folderIsTruth && differing.length > 0) {
          changed++;
          matched++;
          continue;
        }
        if (ours === undefined || differing.length > 0) {
          const mine = ours === undefined ? "" : ` (different ${differing.join(", ")}); the data folder's is ${describeRow(spec, ours)}`;
          return conflict(`${spec.name}: the target holds ${describeRow(spec, theirs)}, which is not the data folder's row${mine}`);
        }
        // The folder's row, copied before its marks moved on (or by a version that left a column out): a run
        // brings it up to date.
        if (!sameRow(mergeForward(spec, ours, theirs), theirs)) behind++;
        matched++;
      }
    }
    inTarget.set(spec.name, matched);
    if (changed > 0) overwrite.set(spec.name, changed);
  }
  if (await tableExists(db, FILE_CONTENTS)) {
    let matched = 0;
    for (let i = 0; i < files.length; i += size) {
      const batch = files.slice(i, i + size);
      const digests = await fileDigests(db, batch.map((f) => f.fileId));
      for (const file of batch) {
        const theirs = digests.get(file.fileId);
        if (theirs === undefined) continue;
        if (theirs !== file.sha256) return conflict(`${FILE_CONTENTS}: the target's bytes of file ${file.fileId} differ from the data folder's`);
        matched++;
      }
    }
    inTarget.set(FILE_CONTENTS, matched);
  }
  for (const [table, matched] of inTarget) {
    const extra = (await countRows(db, table)) - matched;
    if (extra > 0 && truthFor.has(table)) remove.set(table, extra);
    else if (extra > 0) return conflict(`${table}: the target holds ${rowsWord(extra)} that the data folder does not`);
  }
  const complete =
    behind === 0 && overwrite.size === 0 && remove.size === 0 && [...sourceRows].every(([table, rows]) => (inTarget.get(table) ?? 0) === rows);
  const none = [...inTarget.values()].every((n) => n === 0) && remove.size === 0;
  return { state: none ? "empty" : complete ? "copied" : "partly copied", inTarget, overwrite, remove };
}

/**
 * Removes the target's rows of one table whose keys are not among `keep` (keys as `keyOf` writes them), in batches;
 * answers false when the batch limit stopped it first. The keys are gathered before any is removed, so that the pages
 * read do not shift under the removal.
 */
async function removeRowsNotIn(db: Database, table: KeyedTable, keep: ReadonlySet<string>, size: number, limit: BatchLimit): Promise<boolean> {
  const keyTable = keyColumnsOf(table);
  const gone: Array<Record<string, unknown>> = [];
  for (let offset = 0; ; offset += size) {
    const rows = await targetKeyPage(db, keyTable, size, offset);
    for (const row of rows) if (!keep.has(keyOf(keyTable, canonicalRow(keyTable, row)))) gone.push(row);
    if (rows.length < size) break;
  }
  for (let i = 0; i < gone.length; i += size) {
    if (limit.reached) return false;
    await deleteByKeys(db, keyTable, gone.slice(i, i + size));
    limit.written++;
  }
  return true;
}

/** Counts and order-free checksums of both sides, table by table. */
async function verify(db: Database, source: SourceFolder, selection: Selection, files: readonly FileEntry[], size: number): Promise<TableCheck[]> {
  const checks: TableCheck[] = [];
  for (const spec of TABLES) {
    const ours = new RowChecksum();
    for await (const rows of sourcePages(source, spec, selection, size)) {
      // A forward column may be later in the target than in the folder (the later value wins): the folder's side is
      // counted with the target's value where that is the later one, so only a target row behind the folder differs.
      const theirs = new Map<string, CanonicalRow>();
      if ((spec.forward ?? []).length > 0) {
        for (const found of await rowsMatching(db, spec, rows)) {
          const row = canonicalRow(spec, found);
          theirs.set(keyOf(spec, row), row);
        }
      }
      for (const row of rows) {
        const canonical = canonicalRow(spec, row);
        ours.add(mergeForward(spec, canonical, theirs.get(keyOf(spec, canonical))));
      }
    }
    const theirs = new RowChecksum();
    for (let offset = 0; ; offset += size) {
      const rows = await targetPage(db, spec, size, offset);
      for (const row of rows) theirs.add(canonicalRow(spec, row));
      if (rows.length < size) break;
    }
    checks.push({ table: spec.name, sourceRows: ours.count, targetRows: theirs.count, sourceChecksum: ours.hex, targetChecksum: theirs.hex });
  }
  const ours = new RowChecksum();
  for (const file of files) ours.add([file.fileId, file.sha256]);
  const theirs = new RowChecksum();
  for (let offset = 0; ; offset += size) {
    const rows = await fileDigestPage(db, size, offset);
    for (const row of rows) theirs.add([row.file_id, row.sha256]);
    if (rows.length < size) break;
  }
  checks.push({ table: FILE_CONTENTS, sourceRows: ours.count, targetRows: theirs.count, sourceChecksum: ours.hex, targetChecksum: theirs.hex });
  return checks;
}

/** The sentence naming what verification found different, or undefined when both sides agree. */
export function describeMismatch(checks: readonly TableCheck[]): string | undefined {
  const differences = checks.flatMap((c) => {
    if (c.sourceRows !== c.targetRows) return [`${c.table}: ${c.sourceRows} rows in the data folder, ${c.targetRows} in the target`];
    if (c.sourceChecksum !== c.targetChecksum) return [`${c.table}: same count (${c.sourceRows}) but the contents differ`];
    return [];
  });
  return differences.length === 0 ? undefined : differences.join("; ");
}

class BatchLimit {
  written = 0;
  private readonly max: number | undefined;
  constructor(max: number | undefined) {
    this.max = max;
  }
  get reached(): boolean {
    return this.max !== undefined && this.written >= this.max;
  }
}

/** Copies everything the target lacks; answers false when the batch limit stopped it first. */
async function copy(
  db: Database,
  source: SourceFolder,
  selection: Selection,
  files: readonly FileEntry[],
  sourceRows: ReadonlyMap<string, number>,
  opts: { size: number; limit: BatchLimit; now: number; resumed: boolean; onProgress: (p: MigrateProgress) => void | Promise<void> },
): Promise<boolean> {
  for (const spec of TABLES) {
    const total = sourceRows.get(spec.name) ?? 0;
    // A resumed run makes a live table the folder's: first away with the rows it no longer has (freeing their unique
    // values), then the rest overwritten with its own.
    const folderIsTruth = opts.resumed && spec.live === true;
    if (folderIsTruth) {
      const keep = new Set<string>();
      for await (const rows of sourcePages(source, spec, selection, opts.size)) for (const row of rows) keep.add(keyOf(spec, canonicalRow(spec, row)));
      if (!(await removeRowsNotIn(db, spec, keep, opts.size, opts.limit))) return false;
    }
    let done = 0;
    for await (const rows of sourcePages(source, spec, selection, opts.size)) {
      if (opts.limit.reached) return false;
      await insertBatch(db, spec, rows, folderIsTruth);
      opts.limit.written++;
      done += rows.length;
      await opts.onProgress({ table: spec.name, done, total });
    }
  }
  if (opts.resumed) {
    const keep = new Set(files.map((f) => keyOf(FILE_CONTENTS_KEY, [f.fileId])));
    if (!(await removeRowsNotIn(db, FILE_CONTENTS_KEY, keep, opts.size, opts.limit))) return false;
  }
  let done = 0;
  for (let i = 0; i < files.length; ) {
    if (opts.limit.reached) return false;
    const batch: FileEntry[] = [];
    let bytes = 0;
    while (i < files.length && batch.length < opts.size) {
      const file = files[i] as FileEntry;
      if (batch.length > 0 && bytes + file.size > FILE_BATCH_BYTES) break;
      batch.push(file);
      bytes += file.size;
      i++;
    }
    const stored = await storedFileIds(db, batch.map((f) => f.fileId));
    const contents: Array<{ fileId: string; content: Buffer }> = [];
    for (const file of batch) {
      if (stored.has(file.fileId)) continue;
      const content = await source.fileBytes(file.fileId);
      if (content !== undefined) contents.push({ fileId: file.fileId, content });
    }
    await insertFileContents(db, contents, opts.now);
    opts.limit.written++;
    done += batch.length;
    await opts.onProgress({ table: FILE_CONTENTS, done, total: files.length });
  }
  return true;
}

export async function migrateToPostgres(opts: MigrateOptions): Promise<MigrationReport> {
  const logger = opts.logger ?? createSilentLogger();
  const now = (opts.now ?? Date.now)();
  const size = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new ClawTellError("CT_BAD_REQUEST", "--batch-size must be a whole number of 1 or more", { field: "batchSize" });
  const dryRun = opts.dryRun === true;
  const source = await openSourceFolder(opts.dataDir, logger, folderContentSealing(opts));
  try {
    const moment = await selectionMoment(opts.dataDir, opts.to, now);
    const selection: Selection = { ackedSince: moment.at - ACKED_RETENTION_MS, unackedSince: moment.at - UNACKED_RETENTION_MS };
    const { present: files, missing } = await listFiles(source, selection, size);
    for (const fileId of missing) logger.warn({ fileId }, "an attachment's file is missing from the data folder; its message is copied without its bytes");
    const sourceRows = new Map<string, number>(TABLES.map((spec) => [spec.name, source.count(spec, selection)]));
    sourceRows.set(FILE_CONTENTS, files.length);
    const fileBytes = files.reduce((sum, f) => sum + f.size, 0);
    const tables = (inTarget: ReadonlyMap<string, number>, changes?: TargetCheck): TableReport[] =>
      [...sourceRows].map(([table, rows]) => ({
        table,
        rows,
        inTarget: inTarget.get(table) ?? 0,
        overwrite: changes?.overwrite.get(table) ?? 0,
        remove: changes?.remove.get(table) ?? 0,
      }));
    const base = { dryRun, dataDir: opts.dataDir, fileBytes, missingFiles: missing };

    const db = openDatabase({ url: opts.to, logger, poolSize: 2 });
    try {
      try {
        await db.query("SELECT 1");
      } catch (err) {
        const problem = err instanceof Error ? err.message : String(err);
        if (dryRun) return { ...base, target: { state: "unreachable", problem }, tables: tables(new Map()) };
        throw new ClawTellError("CT_UNAVAILABLE", `the target database is not reachable: ${problem}`, { field: "to", cause: err });
      }
      const checked = await checkTarget(db, source, selection, files, sourceRows, size, moment.resumed);
      const target = { state: checked.state, ...(checked.problem === undefined ? {} : { problem: checked.problem }) };
      if (dryRun) return { ...base, target, tables: tables(checked.inTarget, checked) };
      if (checked.state === "conflict") {
        throw new ClawTellError("CT_CONFLICT", `the target database holds other data: ${checked.problem ?? ""}; nothing was copied`, { field: "to" });
      }

      await applyMigrations(db.pool, logger).catch((err: unknown) => {
        throw storeError(err);
      });
      if (!moment.resumed) await rememberSelectionMoment(opts.dataDir, opts.to, moment.at);
      const limit = new BatchLimit(opts.maxBatches);
      const finished = await copy(db, source, selection, files, sourceRows, {
        size,
        limit,
        now,
        resumed: moment.resumed,
        onProgress: opts.onProgress ?? (() => undefined),
      });
      if (!finished) return { ...base, target, tables: tables(checked.inTarget, checked), stoppedAfterBatches: limit.written };
      for (const { table, column } of SERIAL_COLUMNS) await moveSequencePast(db, table, column, source.lastIssued(table));
      const checks = await verify(db, source, selection, files, size);
      const mismatch = describeMismatch(checks);
      if (mismatch !== undefined) throw new ClawTellError("CT_STATE_CORRUPT", `verification failed: ${mismatch}`, { field: "to" });
      return { ...base, target: { state: "copied" }, tables: tables(new Map(checks.map((c) => [c.table, c.targetRows])), checked), checks };
    } finally {
      await db.close();
    }
  } finally {
    await source.close();
  }
}
