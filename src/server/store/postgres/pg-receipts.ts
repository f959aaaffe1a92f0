/**
 * The receipt port on PostgreSQL: the message's row while it is stored, merged with the receipt row, if any. Recording
 * a state, or a first delivery, queues its `message.status` deliveries in the same statement. A receipt only moves
 * forward: a delivery reported after the ack is not recorded.
 */

import type { EnqueueSignal } from "../enqueue-signal.js";
import { mergeReceipt, RECEIPT_COLUMNS, receiptTimes, type ReceiptStore } from "../receipt-store.js";
import type { Database } from "./pg-database.js";
import { statusHookSql } from "./pg-webhooks.js";

interface JoinedRow {
  [column: string]: unknown;
  m_id: string | null;
  m_sender: string | null;
  m_recipient: string | null;
  m_created_at: string | null;
  m_delivered_at: string | null;
  m_acked_at: string | null;
  r_id: string | null;
  r_sender: string | null;
  r_recipient: string | null;
  purged: boolean | null;
}

const num = (value: string | null): number | null => (value === null ? null : Number(value));

export function createPostgresReceipts(db: Database, enqueued: EnqueueSignal): ReceiptStore {
  const queued = (rows: ReadonlyArray<{ hooks: number }>): void => {
    if ((rows[0]?.hooks ?? 0) > 0) enqueued.fire();
  };
  const stateColumns = Object.values(RECEIPT_COLUMNS)
    .map((column) => `r.${column}`)
    .join(", ");
  return {
    async find(messageId) {
      const [row] = await db.query<JoinedRow>(
        `SELECT m.id AS m_id, m.sender AS m_sender, m.recipient AS m_recipient, m.created_at AS m_created_at,
           m.delivered_at AS m_delivered_at, m.acked_at AS m_acked_at,
           r.message_id AS r_id, r.sender AS r_sender, r.recipient AS r_recipient, r.purged, ${stateColumns}
         FROM (SELECT $1::text AS id) k
         LEFT JOIN messages m ON m.id = k.id
         LEFT JOIN message_receipts r ON r.message_id = k.id`,
        [messageId],
      );
      if (row === undefined) return undefined;
      const message =
        row.m_id === null
          ? undefined
          : {
              id: row.m_id,
              sender: String(row.m_sender),
              recipient: String(row.m_recipient),
              createdAt: Number(row.m_created_at),
              deliveredAt: num(row.m_delivered_at),
              ackedAt: num(row.m_acked_at),
            };
      const recorded =
        row.r_id === null
          ? undefined
          : {
              messageId: row.r_id,
              sender: String(row.r_sender),
              recipient: String(row.r_recipient),
              at: receiptTimes((column) => row[column]),
              purged: row.purged === true,
            };
      return mergeReceipt(message, recorded);
    },
    async record({ messageId, sender, recipient, state, at }) {
      const column = RECEIPT_COLUMNS[state];
      const rows = await db.query<{ hooks: number }>(
        `WITH recorded AS (
           INSERT INTO message_receipts (message_id, sender, recipient, first_at, ${column}) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (message_id) DO UPDATE SET ${column} = COALESCE(message_receipts.${column}, EXCLUDED.${column})
           RETURNING message_id AS id, sender, recipient, first_at AS created_at, ${column} AS at
         ), hooked AS (
           ${statusHookSql(state, "recorded", "x.at")}
         )
         SELECT count(*)::int AS hooks FROM hooked`,
        [messageId, sender, recipient, at],
      );
      queued(rows);
    },
    async markDelivered(messageId, at) {
      const rows = await db.query<{ hooks: number }>(
        `WITH marked AS (
           UPDATE messages SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL AND acked_at IS NULL RETURNING id, sender, recipient, created_at
         ), hooked AS (
           ${statusHookSql("delivered", "marked", "$2::bigint")}
         )
         SELECT count(*)::int AS hooks FROM hooked`,
        [messageId, at],
      );
      queued(rows);
    },
    async purge(before) {
      return (await db.query("DELETE FROM message_receipts WHERE first_at < $1 RETURNING 1", [before])).length;
    },
  };
}
