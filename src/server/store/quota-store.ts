/**
 * The quota port: messages counted per account and calendar month (UTC, `YYYY-MM`), and the accounts' own monthly
 * quotas set by the operator. A count is taken in one step against its limit, so concurrent sends in any number of
 * processes never go past it.
 */

/** An account's own monthly quota: a number of messages, or `null` for unlimited. */
export type AccountQuota = number | null;

export interface QuotaStore {
  /**
   * Counts one message of the account in `month` unless `limit` are counted already, in one step; answers whether it
   * was counted and the count after.
   */
  take(accountId: string, month: string, limit: number): Promise<{ readonly taken: boolean; readonly used: number }>;
  /** Takes one counted message back (a send that failed after it was counted). */
  giveBack(accountId: string, month: string): Promise<void>;
  used(accountId: string, month: string): Promise<number>;
  /** The account's own quota, or undefined when it has none (the server's `monthlyQuota` applies). */
  accountQuota(accountId: string): Promise<AccountQuota | undefined>;
  /** Every account that has its own quota, with it (the operator sets few: the server reads them all at once). */
  listAccountQuotas(): Promise<Map<string, AccountQuota>>;
  /** Sets the account's own quota; undefined removes it. */
  setAccountQuota(accountId: string, quota: AccountQuota | undefined): Promise<void>;
}
