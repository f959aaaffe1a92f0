/**
 * The receipts table in the SQLite archive (receipt-store.ts): states recorded without a stored message, and the
 * receipts of messages retention deleted (`keepPurged`, run inside the archive's purge transaction). Synchronous.
 */

import type { SQLInputValue, StatementSync } from "node:sqlite";
import { RECEIPT_COLUMNS, receiptTimes, type ReceiptRecord, type RecordedReceiptState } from "./receipt-store.js";

type Row = Record<string, SQLInputValue>;

export interface SqliteReceipts {
  /** Keeps the receipts of the messages a purge with these bounds deletes; run it in the purge's transaction, first. */
  keepPurged(ackedBefore: number, createdBefore: number): void;
  record(entry: { messageId: string; sender: string; recipient: string; state: RecordedReceiptState; at: number }): void;
  find(messageId: string): ReceiptRecord | undefined;
  purge(before: number): number;
}

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
      if (row === undefined) return undefined;
      return {
        messageId: String(row["message_id"]),
        sender: String(row["sender"]),
        recipient: String(row["recipient"]),
        at: receiptTimes((column) => row[column]),
        purged: Number(row["purged"]) === 1,
      };
    },
    purge(before) {
      return Number(stmt("DELETE FROM message_receipts WHERE first_at < ?").run(before).changes);
    },
  };
}
