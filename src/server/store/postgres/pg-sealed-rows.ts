/** The sealed-rows port on PostgreSQL (messages by seq, approvals by approval id). */

import type { SealedRowStore, SealedTable } from "../sealed-rows-store.js";
import type { Database } from "./pg-database.js";

const ORDER: Record<SealedTable, { id: string; cursor: string; start: string }> = {
  messages: { id: "id", cursor: "seq", start: "-1" },
  approvals: { id: "approval_id", cursor: "approval_id", start: "" },
};

export function createPostgresSealedRows(db: Database): SealedRowStore {
  return {
    async scan(table, after, limit, keep) {
      const { id, cursor, start } = ORDER[table];
      const rows = await db.query<{ id: string; cursor: string; subject: string; body: string }>(
        `SELECT ${id} AS id, ${cursor}::text AS cursor, subject, body FROM ${table}
         WHERE ${cursor} > $1 AND (left(subject, $2) <> $3 OR left(body, $2) <> $3) ORDER BY ${cursor} LIMIT $4`,
        [after ?? start, keep.length, keep, limit],
      );
      const last = rows[rows.length - 1];
      return {
        rows: rows.map((r) => ({ id: r.id, subject: r.subject, body: r.body })),
        next: rows.length < limit || last === undefined ? undefined : last.cursor,
      };
    },
    async replace(table, from, to) {
      const { id } = ORDER[table];
      const rows = await db.query(
        `UPDATE ${table} SET subject = $1, body = $2 WHERE ${id} = $3 AND subject = $4 AND body = $5 RETURNING 1`,
        [to.subject, to.body, from.id, from.subject, from.body],
      );
      return rows.length > 0;
    },
  };
}
