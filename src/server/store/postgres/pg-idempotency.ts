/** The idempotency port on PostgreSQL: one row per account and key; the primary key settles races between processes. */

import type { IdempotencyRecord, IdempotencyStore } from "../idempotency-store.js";
import type { Database } from "./pg-database.js";

interface KeyRow {
  account_id: string;
  key: string;
  fingerprint: string;
  message_id: string | null;
  status_code: number;
  response: string;
  created_at: string;
}

const toRecord = (row: KeyRow): IdempotencyRecord => ({
  accountId: row.account_id,
  key: row.key,
  fingerprint: row.fingerprint,
  messageId: row.message_id,
  statusCode: row.status_code,
  response: row.response,
  createdAt: Number(row.created_at),
});

export function createPostgresIdempotency(db: Database): IdempotencyStore {
  const find = async (accountId: string, key: string, notBefore: number): Promise<IdempotencyRecord | undefined> => {
    const [row] = await db.query<KeyRow>("SELECT * FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at > $3", [
      accountId,
      key,
      notBefore,
    ]);
    return row === undefined ? undefined : toRecord(row);
  };
  return {
    find,
    async remember(r, notBefore) {
      const [row] = await db.query<KeyRow>(
        `INSERT INTO idempotency_keys (account_id, key, fingerprint, message_id, status_code, response, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, message_id = EXCLUDED.message_id,
           status_code = EXCLUDED.status_code, response = EXCLUDED.response, created_at = EXCLUDED.created_at
         WHERE idempotency_keys.created_at <= $8
         RETURNING *`,
        [r.accountId, r.key, r.fingerprint, r.messageId, r.statusCode, r.response, r.createdAt, notBefore],
      );
      if (row !== undefined) return toRecord(row);
      // A live record holds the key: that one counts.
      return (await find(r.accountId, r.key, notBefore)) ?? r;
    },
    async purge(createdBefore) {
      const rows = await db.query("DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING 1", [createdBefore]);
      return rows.length;
    },
  };
}
