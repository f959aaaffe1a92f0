/**
 * The receipt port on PostgreSQL: the message's row while it is stored, merged with the receipt row, if any. Recording
 * a state, or a first delivery, queues its `message.status` deliveries in the same statement. A receipt only moves
 * forward: a delivery reported after the ack is not recorded.
 */

import type { EnqueueSignal } from "../enqueue-signal.js";
import { DAY_MS, mergeReceipt, mergeSent, RECEIPT_COLUMNS, receiptTimes, UNACKED_RETENTION_MS, type ReceiptStore } from "../receipt-store.js";
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

interface SentMessageRow {
  id: string;
  sender: string;
  recipient: string;
  subject: string;
  created_at: string;
  delivered_at: string | null;
  acked_at: string | null;
}

interface CountRow {
  name: string;
  day: string;
  received: string;
  sent: string;
  blocked: string;
  expired: string;
}

/** Per name and UTC day; `$1` the names, `$2` the first instant counted (pg-receipts' twin of sqlite-receipts.ts). */
const COUNT_PER_DAY_SQL = `
  SELECT name, day, SUM(received) AS received, SUM(sent) AS sent, SUM(blocked) AS blocked, SUM(expired) AS expired FROM (
    SELECT recipient AS name, created_at / ${DAY_MS} AS day, 1 AS received, 0 AS sent, 0 AS blocked, 0 AS expired
      FROM messages WHERE recipient = ANY($1::text[]) AND created_at >= $2
    UNION ALL SELECT sender, created_at / ${DAY_MS}, 0, 1, 0, 0
      FROM messages WHERE sender = ANY($1::text[]) AND created_at >= $2
    UNION ALL SELECT recipient, accepted_at / ${DAY_MS}, 1, 0, 0, 0
      FROM message_receipts WHERE purged AND accepted_at >= $2 AND recipient = ANY($1::text[])
    UNION ALL SELECT sender, accepted_at / ${DAY_MS}, 0, 1, 0, 0
      FROM message_receipts WHERE purged AND accepted_at >= $2 AND sender = ANY($1::text[])
    UNION ALL SELECT recipient, blocked_at / ${DAY_MS}, 0, 0, 1, 0
      FROM message_receipts WHERE blocked_at >= $2 AND recipient = ANY($1::text[])
    UNION ALL SELECT sender, blocked_at / ${DAY_MS}, 0, 0, 1, 0
      FROM message_receipts WHERE blocked_at >= $2 AND sender <> recipient AND sender = ANY($1::text[])
    UNION ALL SELECT recipient, (accepted_at + ${UNACKED_RETENTION_MS}) / ${DAY_MS}, 0, 0, 0, 1
      FROM message_receipts WHERE purged AND acked_at IS NULL AND accepted_at + ${UNACKED_RETENTION_MS} >= $2 AND recipient = ANY($1::text[])
    UNION ALL SELECT sender, (accepted_at + ${UNACKED_RETENTION_MS}) / ${DAY_MS}, 0, 0, 0, 1
      FROM message_receipts WHERE purged AND acked_at IS NULL AND accepted_at + ${UNACKED_RETENTION_MS} >= $2
        AND sender <> recipient AND sender = ANY($1::text[])
  ) counted GROUP BY name, day ORDER BY name, day`;

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
    async listSent(sender, limit) {
      const [messages, rows] = await Promise.all([
        db.query<SentMessageRow>(
          "SELECT id, sender, recipient, subject, created_at, delivered_at, acked_at FROM messages WHERE sender = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
          [sender, limit],
        ),
        db.query<JoinedRow & { message_id: string; sender: string; recipient: string; first_at: string }>(
          "SELECT * FROM message_receipts WHERE sender = $1 ORDER BY first_at DESC, message_id DESC LIMIT $2",
          [sender, limit],
        ),
      ]);
      return mergeSent(
        messages.map((m) => ({
          id: m.id,
          sender: m.sender,
          recipient: m.recipient,
          subject: m.subject,
          createdAt: Number(m.created_at),
          deliveredAt: num(m.delivered_at),
          ackedAt: num(m.acked_at),
        })),
        rows.map((r) => ({
          messageId: r.message_id,
          sender: r.sender,
          recipient: r.recipient,
          at: receiptTimes((column) => r[column]),
          purged: r.purged === true,
          firstAt: Number(r.first_at),
        })),
        limit,
      );
    },
    async countPerDay(names, since) {
      if (names.length === 0) return [];
      const rows = await db.query<CountRow>(COUNT_PER_DAY_SQL, [names, since]);
      return rows.map((r) => ({
        name: r.name,
        day: Number(r.day),
        received: Number(r.received),
        sent: Number(r.sent),
        blocked: Number(r.blocked),
        expired: Number(r.expired),
      }));
    },
    async purge(before) {
      return (await db.query("DELETE FROM message_receipts WHERE first_at < $1 RETURNING 1", [before])).length;
    },
  };
}
