/**
 * The idempotency keys in the SQLite archive (idempotency-store.ts). A key bound with a message is written by the
 * archive's `writeMessages`, in the transaction that writes the message. Synchronous.
 */

import type { SQLInputValue, StatementSync } from "node:sqlite";
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord } from "./idempotency-store.js";

type Row = Record<string, SQLInputValue>;

export interface SqliteIdempotency {
  /** Stores the record unless a live one holds its key; a lapsed one is replaced. */
  bind(record: IdempotencyRecord): void;
  /** The key's record, lapsed or not. */
  find(accountId: string, key: string): IdempotencyRecord | undefined;
  purge(createdBefore: number): number;
}

function toRecord(row: Row): IdempotencyRecord {
  return {
    accountId: String(row["account_id"]),
    key: String(row["key"]),
    fingerprint: String(row["fingerprint"]),
    messageId: row["message_id"] === null ? null : String(row["message_id"]),
    statusCode: Number(row["status_code"]),
    response: String(row["response"]),
    createdAt: Number(row["created_at"]),
  };
}

export function createSqliteIdempotency(stmt: (sql: string) => StatementSync): SqliteIdempotency {
  return {
    bind(r) {
      stmt(
        `INSERT INTO idempotency_keys (account_id, key, fingerprint, message_id, status_code, response, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, message_id = excluded.message_id,
           status_code = excluded.status_code, response = excluded.response, created_at = excluded.created_at
         WHERE idempotency_keys.created_at <= excluded.created_at - ?`,
      ).run(r.accountId, r.key, r.fingerprint, r.messageId, r.statusCode, r.response, r.createdAt, IDEMPOTENCY_TTL_MS);
    },
    find(accountId, key) {
      const row = stmt("SELECT * FROM idempotency_keys WHERE account_id = ? AND key = ?").get(accountId, key) as Row | undefined;
      return row === undefined ? undefined : toRecord(row);
    },
    purge(createdBefore) {
      return Number(stmt("DELETE FROM idempotency_keys WHERE created_at < ?").run(createdBefore).changes);
    },
  };
}
