/**
 * The monthly message quota of an account: every send it makes (delivered at once or held for approval) counts once
 * against the calendar month in UTC. The quota is the account's own when the operator set one (`clawtell admin
 * set-quota`), else the server's `monthlyQuota`; with neither, nothing is counted and nothing is refused. Past it, a
 * send is a 403 CT_QUOTA_EXCEEDED with `Retry-After` (seconds until the next month starts) and the moment of the
 * reset in the text: a 429 would make the clients wait out `Retry-After` and send again, which for a monthly quota
 * could mean weeks.
 */

import { ClawTellError, type Clock } from "../infra/index.js";
import type { AccountQuota, QuotaStore } from "./store/index.js";

/** How long an account's own quota is reused before it is read again (the operator's change takes this long at most). */
export const ACCOUNT_QUOTA_TTL_MS = 5_000;

/** The calendar month (UTC) of a moment, as stored: `YYYY-MM`. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** When the month of `ms` ends (UTC): the first moment of the next month, in epoch ms. */
export function nextMonthStart(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

export interface MessageQuota {
  /**
   * Counts one send of the account; rejects with CT_QUOTA_EXCEEDED when its quota for the month is used up. Answers
   * a function that takes the count back, for a send that then fails.
   */
  take(accountId: string): Promise<() => Promise<void>>;
}

const nothingToGiveBack = async (): Promise<void> => {};

export function createMessageQuota(deps: { quotas: QuotaStore; clock: Clock; monthlyQuota?: number | undefined }): MessageQuota {
  const { quotas, clock } = deps;
  const serverQuota = deps.monthlyQuota === undefined || deps.monthlyQuota <= 0 ? null : deps.monthlyQuota;
  // The accounts' own quotas, all of them, read again once they are ACCOUNT_QUOTA_TTL_MS old: a send costs no query
  // unless a quota applies to its account.
  let own: { quotas: ReadonlyMap<string, AccountQuota>; readAt: number } | undefined;
  let reading: Promise<ReadonlyMap<string, AccountQuota>> | undefined;
  const ownQuotas = async (): Promise<ReadonlyMap<string, AccountQuota>> => {
    const now = clock.now();
    if (own !== undefined && now - own.readAt < ACCOUNT_QUOTA_TTL_MS) return own.quotas;
    reading ??= quotas
      .listAccountQuotas()
      .then((read) => {
        own = { quotas: read, readAt: now };
        return read;
      })
      .finally(() => (reading = undefined));
    return reading;
  };
  /** The accounts' own quotas while they are fresh, without a promise (every send asks). */
  const freshQuotas = (): ReadonlyMap<string, AccountQuota> | undefined =>
    own !== undefined && clock.now() - own.readAt < ACCOUNT_QUOTA_TTL_MS ? own.quotas : undefined;

  return {
    async take(accountId) {
      const quota = (freshQuotas() ?? (await ownQuotas())).get(accountId);
      const limit = quota === undefined ? serverQuota : quota;
      if (limit === null) return nothingToGiveBack;
      const now = clock.now();
      const month = monthOf(now);
      const { taken } = await quotas.take(accountId, month, limit);
      if (!taken) {
        const resetsAt = nextMonthStart(now);
        throw new ClawTellError(
          "CT_QUOTA_EXCEEDED",
          `Monthly message quota of ${limit} reached for ${month}; it resets at ${new Date(resetsAt).toISOString()}`,
          { retryAfterMs: resetsAt - now },
        );
      }
      // A count that cannot be taken back (the storage went away meanwhile) stays: one message too many is counted.
      return () => quotas.giveBack(accountId, month).catch(() => undefined);
    },
  };
}
