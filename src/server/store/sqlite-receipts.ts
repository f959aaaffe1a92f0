/**
 * The receipts table in the SQLite archive (receipt-store.ts): states recorded without a stored message, and the
 * receipts of messages retention deleted (`keepPurged`, run inside the archive's purge transaction). Synchronous.
 */

import type { SQLInputValue, StatementSync } from "node:sqlite";
import {
  DAY_MS,
  mergeSent,
  RECEIPT_COLUMNS,
  receiptTimes,
  UNACKED_RETENTION_MS,
  type DayCount,
  type ReceiptRecord,
  type RecordedReceiptState,
  type SentRecord,
} from "./receipt-store.js";

type Row = Record<string, SQLInputValue>;

export interface SqliteReceipts {
  /** Keeps the receipts of the messages a purge with these bounds deletes; run it in the purge's transaction, first. */
  keepPurged(ackedBefore: number, createdBefore: number): void;
  record(entry: { messageId: string; sender: string; recipient: string; state: RecordedReceiptState; at: number }): void;
  find(messageId: string): ReceiptRecord | undefined;
  purge(before: number): number;
  /** ReceiptStore.listSent; the caller hands the journal's messages over first. */
  listSent(sender: string, limit: number): SentRecord[];
  /** ReceiptStore.countPerDay; the caller hands the journal's messages over first. */
  countPerDay(names: readonly string[], since: number): DayCount[];
}

const optionalNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function receiptOf(row: Row): ReceiptRecord {
  return {
    messageId: String(row["message_id"]),
    sender: String(row["sender"]),
    recipient: String(row["recipient"]),
    at: receiptTimes((column) => row[column]),
    purged: Number(row["purged"]) === 1,
  };
}

/**
 * Rows of (name, day, received, sent, blocked, expired) for one count query; `?1` is the names as a JSON array, `?2`
 * the first instant counted. Deleted messages count from their kept receipts (`purged`), stored ones from their rows.
 */
const COUNT_PER_DAY_SQL = `
  SELECT name, day, SUM(received) AS received, SUM(sent) AS sent, SUM(blocked) AS blocked, SUM(expired) AS expired FROM (
    SELECT recipient AS name, created_at / ${DAY_MS} AS day, 1 AS received, 0 AS sent, 0 AS blocked, 0 AS expired
      FROM messages WHERE recipient IN (SELECT value FROM json_each(?1)) AND created_at >= ?2
    UNION ALL SELECT sender, created_at / ${DAY_MS}, 0, 1, 0, 0
      FROM messages WHERE sender IN (SELECT value FROM json_each(?1)) AND created_at >= ?2
    UNION ALL SELECT recipient, accepted_at / ${DAY_MS}, 1, 0, 0, 0
      FROM message_receipts WHERE purged = 1 AND accepted_at >= ?2 AND recipient IN (SELECT value FROM json_each(?1))
    UNION ALL SELECT sender, accepted_at / ${DAY_MS}, 0, 1, 0, 0
      FROM message_receipts WHERE purged = 1 AND accepted_at >= ?2 AND sender IN (SELECT value FROM json_each(?1))
    UNION ALL SELECT recipient, blocked_at / ${DAY_MS}, 0, 0, 1, 0
      FROM message_receipts WHERE blocked_at >= ?2 AND recipient IN (SELECT value FROM json_each(?1))
    UNION ALL SELECT sender, blocked_at / ${DAY_MS}, 0, 0, 1, 0
      FROM message_receipts WHERE blocked_at >= ?2 AND sender <> recipient AND sender IN (SELECT value FROM json_each(?1))
    UNION ALL SELECT recipient, (accepted_at + ${UNACKED_RETENTION_MS}) / ${DAY_MS}, 0, 0, 0, 1
      FROM message_receipts WHERE purged = 1 AND acked_at IS NULL AND accepted_at + ${UNACKED_RETENTION_MS} >= ?2
        AND recipient IN (SELECT value FROM json_each(?1))
    UNION ALL SELECT sender, (accepted_at + ${UNACKED_RETENTION_MS}) / ${DAY_MS}, 0, 0, 0, 1
      FROM message_receipts WHERE purged = 1 AND acked_at IS NULL AND accepted_at + ${UNACKED_RETENTION_MS} >= ?2
        AND sender <> recipient AND sender IN (SELECT value FROM json_each(?1))
  ) GROUP BY name, day ORDER BY name, day`;

export function createSqliteReceipts(stmt: (sql: string) => StatementSync): SqliteReceipts {
  return {
    keepPurged(ackedBefore, createdBefore) {
      stmt(
        `INSERT INTO message_receipts (message_id, sender, recipient, first_at, accepted_at, delivered_at, acked_at, purged)
         SELECT id, sender, recipient, created_at, created_at, delivered_at, acked_at, 1 FROM messages
         WHERE (acked_at IS NOT NULL AND acked_at < ?) OR (acked_at IS NULL AND created_at < ?)
         ON CONFLICT (message_id) DO UPDATE SET accepted_at = excluded.accepted_at, delivered_at = excluded.delivered_at,
           acked_at = excluded.acked_at, purged = 1`,
      ).run(ackedBefore, createdBefore);
    },
    record({ messageId, sender, recipient, state, at }) {
      const column = RECEIPT_COLUMNS[state];
      stmt(
        `INSERT INTO message_receipts (message_id, sender, recipient, first_at, ${column}) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO UPDATE SET ${column} = COALESCE(message_receipts.${column}, excluded.${column})`,
      ).run(messageId, sender, recipient, at, at);
    },
    find(messageId) {
      const row = stmt("SELECT * FROM message_receipts WHERE message_id = ?").get(messageId) as Row | undefined;
      return row === undefined ? undefined : receiptOf(row);
    },
    purge(before) {
      return Number(stmt("DELETE FROM message_receipts WHERE first_at < ?").run(before).changes);
    },
    listSent(sender, limit) {
      const messages = (
        stmt("SELECT id, sender, recipient, subject, created_at, delivered_at, acked_at FROM messages WHERE sender = ? ORDER BY created_at DESC, id DESC LIMIT ?").all(
          sender,
          limit,
        ) as Row[]
      ).map((row) => ({
        id: String(row["id"]),
        sender: String(row["sender"]),
        recipient: String(row["recipient"]),
        subject: String(row["subject"]),
        createdAt: Number(row["created_at"]),
        deliveredAt: optionalNumber(row["delivered_at"]),
        ackedAt: optionalNumber(row["acked_at"]),
      }));
      const rows = (stmt("SELECT * FROM message_receipts WHERE sender = ? ORDER BY first_at DESC, message_id DESC LIMIT ?").all(sender, limit) as Row[]).map((row) => ({
        ...receiptOf(row),
        firstAt: Number(row["first_at"]),
      }));
      return mergeSent(messages, rows, limit);
    },
    countPerDay(names, since) {
      if (names.length === 0) return [];
      return (stmt(COUNT_PER_DAY_SQL).all(JSON.stringify(names), since) as Row[]).map((row) => ({
        name: String(row["name"]),
        day: Number(row["day"]),
        received: Number(row["received"]),
        sent: Number(row["sent"]),
        blocked: Number(row["blocked"]),
        expired: Number(row["expired"]),
      }));
    },
  };
}
