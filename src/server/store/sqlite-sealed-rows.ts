/** The sealed-rows port on the SQLite archive (messages by seq, approvals by approval id). */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { SealedRow, SealedRowPage, SealedTable } from "./sealed-rows-store.js";

/** The port's calls, synchronous (the embedded backend runs them after handing the journal's messages over). */
export interface SqliteSealedRows {
  scan(table: SealedTable, after: string | undefined, limit: number, keep: string): SealedRowPage;
  replace(table: SealedTable, from: SealedRow, to: Pick<SealedRow, "subject" | "body">): boolean;
}

const ORDER: Record<SealedTable, { id: string; cursor: string }> = {
  messages: { id: "id", cursor: "seq" },
  approvals: { id: "approval_id", cursor: "approval_id" },
};

/** `findChunk`: the archive's own look-up of a sealed chunk (sqlite-archive.ts). */
export function createSqliteSealedRows(db: DatabaseSync, findChunk: (id: string) => string | undefined): SqliteSealedRows {
  return {
    scan(table, after, limit, keep) {
      const { id, cursor } = ORDER[table];
      const from: SQLInputValue = after === undefined ? (cursor === "seq" ? -1 : "") : cursor === "seq" ? Number(after) : after;
      const chunked = table === "messages" ? "chunk_id" : "NULL";
      const rows = db
        .prepare(
          `SELECT ${id} AS id, ${cursor} AS cursor, subject, body, ${chunked} AS chunk_id FROM ${table}
           WHERE ${cursor} > ? AND (substr(subject, 1, ?) <> ? OR substr(body, 1, ?) <> ?) ORDER BY ${cursor} LIMIT ?`,
        )
        .all(from, keep.length, keep, keep.length, keep, limit) as Array<Record<string, SQLInputValue>>;
      const last = rows[rows.length - 1];
      const chunks = new Map<string, string>();
      for (const row of rows) {
        const chunkId = row["chunk_id"];
        if (typeof chunkId !== "string" || chunks.has(chunkId)) continue;
        const sealed = findChunk(chunkId);
        if (sealed !== undefined) chunks.set(chunkId, sealed);
      }
      return {
        rows: rows.map((r) => ({ id: String(r["id"]), subject: String(r["subject"]), body: String(r["body"]) })),
        ...(chunks.size > 0 ? { chunks } : {}),
        next: rows.length < limit || last === undefined ? undefined : String(last["cursor"]),
      };
    },
    replace(table, from, to) {
      const { id } = ORDER[table];
      if (table !== "messages") {
        const result = db
          .prepare(`UPDATE ${table} SET subject = ?, body = ? WHERE ${id} = ? AND subject = ? AND body = ?`)
          .run(to.subject, to.body, from.id, from.subject, from.body);
        return Number(result.changes) > 0;
      }
      const before = db.prepare("SELECT chunk_id FROM messages WHERE id = ?").get(from.id) as Record<string, SQLInputValue> | undefined;
      const result = db
        .prepare("UPDATE messages SET subject = ?, body = ?, chunk_id = NULL WHERE id = ? AND subject = ? AND body = ?")
        .run(to.subject, to.body, from.id, from.subject, from.body);
      const chunkId = before?.["chunk_id"];
      if (Number(result.changes) > 0 && typeof chunkId === "string") {
        db.prepare("DELETE FROM message_chunks WHERE id = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE chunk_id = ?)").run(chunkId, chunkId);
      }
      return Number(result.changes) > 0;
    },
  };
}
