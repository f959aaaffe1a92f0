/**
 * The data folder a migration reads: held under the server's own lock (so no server starts on it meanwhile), its
 * message journal first recovered into the archive by opening the embedded storage once (and messages sharing a
 * sealed chunk given rows of their own), then read through a plain SQLite connection of its own, page by page.
 */

import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { acquireFileLock, ClawTellError, isErrnoException, type FileLock, type Logger } from "../../infra/index.js";
import { spreadChunks } from "../crypto/reseal.js";
import { FILES_DIR } from "../files.js";
import type { ContentSealing } from "../store/content-sealing.js";
import { openEmbeddedStorage } from "../store/embedded-storage.js";
import { JOURNAL_FILE } from "../store/message-journal.js";
import { DATABASE_FILE } from "../store/sqlite-archive.js";
import type { Selection, SerialTable, TableSpec } from "./tables.js";

export interface SourceFolder {
  readonly dataDir: string;
  count(spec: TableSpec, selection: Selection): number;
  /** One page of the selection, in key order. */
  page(spec: TableSpec, selection: Selection, limit: number, offset: number): Array<Record<string, SQLInputValue>>;
  /** The highest value the archive's counter of `table` ever gave out (purged rows included); 0 for none. */
  lastIssued(table: SerialTable): number;
  /** The attachment files of messages held for approval whose decision is not applied yet (they may still be delivered). */
  heldFileIds(): string[];
  /** The bytes of an attachment, or undefined when its file is missing. */
  fileBytes(fileId: string): Promise<Buffer | undefined>;
  /** Size and SHA-256 of an attachment's file, or undefined when it is missing. */
  fileDigest(fileId: string): Promise<{ size: number; sha256: string } | undefined>;
  close(): Promise<void>;
}

const FILE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** `sealing`: what the folder's journal is recovered with (its keys). */
export async function openSourceFolder(dataDir: string, logger: Logger, sealing: ContentSealing): Promise<SourceFolder> {
  if (!existsSync(join(dataDir, DATABASE_FILE))) {
    throw new ClawTellError("CT_NOT_FOUND", `${dataDir} holds no clawtell data (no ${DATABASE_FILE})`, { field: "data" });
  }
  const lock: FileLock = await acquireFileLock(join(dataDir, JOURNAL_FILE), {
    logger,
    field: "data",
    heldHere: `${dataDir} is already in use in this process`,
    heldBy: (pid) => `${dataDir} is in use by a clawtell server (process ${pid}); stop it before migrating`,
  });
  let db: DatabaseSync;
  try {
    // Opening recovers what the journal still holds into the archive; closing writes out the rest. Rows are copied one
    // by one: those whose content shares a chunk get their own sealed pair first.
    const storage = await openEmbeddedStorage({ dataDir, logger, sealing });
    try {
      const spread = await spreadChunks({ sealedRows: storage.sealedRows, sealing });
      if (spread > 0) logger.info({ rows: spread }, "messages sharing sealed chunks were given their own sealed rows");
    } finally {
      await storage.close();
    }
    db = new DatabaseSync(join(dataDir, DATABASE_FILE));
    db.exec("PRAGMA busy_timeout = 5000");
  } catch (err) {
    await lock.release();
    throw err;
  }
  const params = (selection: Selection): Record<string, SQLInputValue> => ({
    ackedSince: selection.ackedSince,
    unackedSince: selection.unackedSince,
  });
  /** A statement that ignores the named parameters it does not use (not every selection uses both windows). */
  const prepare = (sql: string): StatementSync => {
    const statement = db.prepare(sql);
    statement.setAllowUnknownNamedParameters(true);
    return statement;
  };
  const pathOf = (fileId: string): string => {
    if (!FILE_ID.test(fileId)) throw new ClawTellError("CT_STATE_CORRUPT", `not a file id: ${JSON.stringify(fileId)}`);
    return join(dataDir, FILES_DIR, fileId);
  };
  const missingAsUndefined = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (isErrnoException(err) && err.code === "ENOENT") return undefined;
      throw err;
    }
  };
  return {
    dataDir,
    count(spec, selection) {
      const row = prepare(`SELECT COUNT(*) AS n ${spec.sourceFrom}`).get(params(selection));
      return Number(row?.["n"] ?? 0);
    },
    page(spec, selection, limit, offset) {
      const columns = spec.columns.map((c) => c.name).join(", ");
      return prepare(`SELECT ${columns} ${spec.sourceFrom} ORDER BY ${spec.key.join(", ")} LIMIT $limit OFFSET $offset`).all({ ...params(selection), limit, offset });
    },
    lastIssued(table) {
      const row = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table);
      return row === undefined ? 0 : Number(row["seq"]);
    },
    heldFileIds() {
      const rows = db
        .prepare(
          `SELECT DISTINCT json_extract(j.value, '$.fileId') AS file_id FROM approvals a, json_each(a.attachments) j
           WHERE a.attachments IS NOT NULL AND (a.state = 'pending' OR a.applied_at IS NULL)`,
        )
        .all();
      return rows.map((r) => r["file_id"]).filter((id): id is string => typeof id === "string");
    },
    fileBytes: (fileId) =>
      missingAsUndefined(() => readFile(pathOf(fileId))),
    fileDigest: (fileId) =>
      missingAsUndefined(async () => {
        const path = pathOf(fileId);
        const { size } = await stat(path);
        const hash = createHash("sha256");
        for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
        return { size, sha256: hash.digest("hex") };
      }),
    async close() {
      try {
        db.close();
      } finally {
        await lock.release();
      }
    },
  };
}
