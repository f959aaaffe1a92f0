/** The quota port on the SQLite file of a data folder (tables `quota_usage` and `account_quotas`). */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { statementCache } from "./sqlite-statements.js";
import type { QuotaStore } from "./quota-store.js";

type Row = Record<string, SQLInputValue>;

export function createSqliteQuotas(db: DatabaseSync): QuotaStore {
  const stmt = statementCache(db);
  const used = (accountId: string, month: string): number => {
    const row = stmt("SELECT used FROM quota_usage WHERE account_id = ? AND month = ?").get(accountId, month) as Row | undefined;
    return row === undefined ? 0 : Number(row["used"]);
  };
  return {
    async take(accountId, month, limit) {
      if (limit <= 0) return { taken: false, used: used(accountId, month) };
      const row = stmt(
        `INSERT INTO quota_usage (account_id, month, used) VALUES (?, ?, 1)
         ON CONFLICT (account_id, month) DO UPDATE SET used = used + 1 WHERE used < ?
         RETURNING used`,
      ).get(accountId, month, limit) as Row | undefined;
      return row === undefined ? { taken: false, used: used(accountId, month) } : { taken: true, used: Number(row["used"]) };
    },
    async giveBack(accountId, month) {
      stmt("UPDATE quota_usage SET used = used - 1 WHERE account_id = ? AND month = ? AND used > 0").run(accountId, month);
    },
    used: async (accountId, month) => used(accountId, month),
    async accountQuota(accountId) {
      const row = stmt("SELECT monthly_quota FROM account_quotas WHERE account_id = ?").get(accountId) as Row | undefined;
      if (row === undefined) return undefined;
      return row["monthly_quota"] === null ? null : Number(row["monthly_quota"]);
    },
    async listAccountQuotas() {
      const rows = stmt("SELECT account_id, monthly_quota FROM account_quotas").all() as Row[];
      return new Map(rows.map((row) => [String(row["account_id"]), row["monthly_quota"] === null ? null : Number(row["monthly_quota"])]));
    },
    async setAccountQuota(accountId, quota) {
      if (quota === undefined) stmt("DELETE FROM account_quotas WHERE account_id = ?").run(accountId);
      else {
        stmt(
          "INSERT INTO account_quotas (account_id, monthly_quota) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET monthly_quota = excluded.monthly_quota",
        ).run(accountId, quota);
      }
    },
  };
}
