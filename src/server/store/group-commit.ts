/**
 * Group commit: work submitted in the same tick runs inside one transaction (for the server's store: one journal line
 * and one fdatasync), so many sends cost one sync. Each caller's promise settles with its own result once the shared
 * transaction has committed; if it fails, each item is retried alone, so one bad item does not fail the others.
 */

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export interface GroupCommitter {
  run<T>(work: () => T): Promise<T>;
  /** Commits whatever is waiting, synchronously (used on close). */
  flushSync(): void;
}

export function createGroupCommitter(transaction: <T>(work: () => T) => T): GroupCommitter {
  let pending: Pending[] = [];
  let scheduled = false;

  const flushSync = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const results: unknown[] = [];
    try {
      transaction(() => {
        for (const item of batch) results.push(item.work());
      });
    } catch (err) {
      // One failing item must not fail the others: retry them one transaction each.
      if (batch.length > 1) {
        for (const item of batch) {
          try {
            item.resolve(transaction(item.work));
          } catch (itemErr) {
            item.reject(itemErr);
          }
        }
      } else {
        batch[0]?.reject(err);
      }
      return;
    }
    batch.forEach((item, i) => item.resolve(results[i]));
  };

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flushSync);
        }
      });
    },
    flushSync,
  };
}
