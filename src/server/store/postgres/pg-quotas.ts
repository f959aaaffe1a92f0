/** The quota port on PostgreSQL (tables `quota_usage` and `account_quotas`, migration 5): each count one statement. */

import type { QuotaStore } from "../quota-store.js";
import type { Database } from "./pg-database.js";

export function createPostgresQuotas(db: Database): QuotaStore {
  const used = async (accountId: string, month: string): Promise<number> => {
    const [row] = await db.query<{ used: string }>("SELECT used FROM quota_usage WHERE account_id = $1 AND month = $2", [accountId, month]);
    return row === undefined ? 0 : Number(row.used);
  };
  return {
    async take(accountId, month, limit) {
      if (limit <= 0) return { taken: false, used: await used(accountId, month) };
      // Two sends racing for the last message: the second waits on the first's row lock, then sees its count.
      const [row] = await db.query<{ used: string }>(
        `INSERT INTO quota_usage (account_id, month, used) VALUES ($1, $2, 1)
         ON CONFLICT (account_id, month) DO UPDATE SET used = quota_usage.used + 1 WHERE quota_usage.used < $3
         RETURNING used`,
        [accountId, month, limit],
      );
      return row === undefined ? { taken: false, used: await used(accountId, month) } : { taken: true, used: Number(row.used) };
    },
    async giveBack(accountId, month) {
      await db.query("UPDATE quota_usage SET used = used - 1 WHERE account_id = $1 AND month = $2 AND used > 0", [accountId, month]);
    },
    used,
    async accountQuota(accountId) {
      const [row] = await db.query<{ monthly_quota: string | null }>("SELECT monthly_quota FROM account_quotas WHERE account_id = $1", [accountId]);
      if (row === undefined) return undefined;
      return row.monthly_quota === null ? null : Number(row.monthly_quota);
    },
    async listAccountQuotas() {
      const rows = await db.query<{ account_id: string; monthly_quota: string | null }>("SELECT account_id, monthly_quota FROM account_quotas");
      return new Map(rows.map((row) => [row.account_id, row.monthly_quota === null ? null : Number(row.monthly_quota)]));
    },
    async setAccountQuota(accountId, quota) {
      if (quota === undefined) await db.query("DELETE FROM account_quotas WHERE account_id = $1", [accountId]);
      else {
        await db.query(
          "INSERT INTO account_quotas (account_id, monthly_quota) VALUES ($1, $2) ON CONFLICT (account_id) DO UPDATE SET monthly_quota = excluded.monthly_quota",
          [accountId, quota],
        );
      }
    },
  };
}
