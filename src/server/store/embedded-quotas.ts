/**
 * The quota port of a running embedded server. The counts live in memory, where the one server process of the data
 * folder decides each send against them, and reach the SQLite file every `flushIntervalMs` (200 ms, as journaled
 * messages do) in one transaction, and at close: a count written per send would cost a synchronous fsync on the event
 * loop for every message, which the message journal exists to avoid. A crash forgets the counts of at most that last
 * interval. The accounts' own quotas are read and written directly (sqlite-quotas.ts); `clawtell admin` reads the
 * counts from the file.
 */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { createSilentLogger, systemClock, type Clock, type Logger } from "../../infra/index.js";
import { FLUSH_INTERVAL_MS } from "./embedded-messages.js";
import type { QuotaStore } from "./quota-store.js";
import { createSqliteQuotas } from "./sqlite-quotas.js";
import { statementCache } from "./sqlite-statements.js";

type Row = Record<string, SQLInputValue>;

interface Count {
  readonly accountId: string;
  readonly month: string;
  used: number;
  /** Changed since it was last written. */
  dirty: boolean;
}

export interface BufferedQuotaStore extends QuotaStore {
  /** Writes the counts that changed; the file stays open. */
  close(): void;
}

/**
 * The flush waits on `clock`. A running server leaves it at the system clock, as its message journal keeps real time: a
 * write-behind is about durability, and a test's manual server clock standing still must not hold the counts back.
 */
export function createBufferedQuotas(db: DatabaseSync, opts: { logger?: Logger; flushIntervalMs?: number; clock?: Clock } = {}): BufferedQuotaStore {
  const direct = createSqliteQuotas(db);
  const stmt = statementCache(db);
  const logger = opts.logger ?? createSilentLogger();
  const flushIntervalMs = opts.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  const counts = new Map<string, Count>();
  /** The latest month counted: counts of earlier months leave memory once written. */
  let latestMonth = "";
  const clock = opts.clock ?? systemClock;
  /** Aborted at close: a flush still waiting is not needed then, close writes the counts itself. */
  const closing = new AbortController();
  let scheduled = false;

  const countOf = (accountId: string, month: string): Count => {
    const key = `${accountId}\u0000${month}`;
    let count = counts.get(key);
    if (count === undefined) {
      const row = stmt("SELECT used FROM quota_usage WHERE account_id = ? AND month = ?").get(accountId, month) as Row | undefined;
      count = { accountId, month, used: row === undefined ? 0 : Number(row["used"]), dirty: false };
      counts.set(key, count);
    }
    if (month > latestMonth) latestMonth = month;
    return count;
  };

  const flush = (): void => {
    scheduled = false;
    const dirty = [...counts.values()].filter((c) => c.dirty);
    if (dirty.length > 0) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const write = stmt(
          "INSERT INTO quota_usage (account_id, month, used) VALUES (?, ?, ?) ON CONFLICT (account_id, month) DO UPDATE SET used = excluded.used",
        );
        for (const c of dirty) write.run(c.accountId, c.month, c.used);
        db.exec("COMMIT");
      } catch (err) {
        db.exec("ROLLBACK");
        logger.error({ err }, "the monthly message counts could not be written; retrying");
        schedule();
        return;
      }
      for (const c of dirty) c.dirty = false;
    }
    for (const [key, c] of counts) if (c.month < latestMonth && !c.dirty) counts.delete(key);
  };

  const schedule = (): void => {
    if (scheduled || closing.signal.aborted) return;
    scheduled = true;
    clock.sleep(flushIntervalMs, closing.signal).then(flush, () => undefined);
  };

  const changed = (count: Count): void => {
    count.dirty = true;
    schedule();
  };

  return {
    ...direct,
    async take(accountId, month, limit) {
      const count = countOf(accountId, month);
      if (count.used >= limit) return { taken: false, used: count.used };
      count.used++;
      changed(count);
      return { taken: true, used: count.used };
    },
    async giveBack(accountId, month) {
      const count = countOf(accountId, month);
      if (count.used === 0) return;
      count.used--;
      changed(count);
    },
    used: async (accountId, month) => countOf(accountId, month).used,
    close() {
      closing.abort();
      flush();
    },
  };
}
