/**
 * In-process wake-ups: idle pollers and streams wait here, not on the database. A send notifies the recipient's
 * waiters, which then query once. (A multi-process deployment would back this with Redis pub/sub.)
 */

export interface Notifier {
  /** Resolves `true` when one of the names is notified, `false` at the timeout or on abort. */
  wait(nameIds: readonly number[], timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  notify(nameId: number): void;
  /** Number of parked waiters (for status and tests). */
  waiting(): number;
}

interface Waiter {
  readonly wake: (notified: boolean) => void;
}

export function createNotifier(): Notifier {
  const waiters = new Map<number, Set<Waiter>>();
  let count = 0;
  return {
    wait(nameIds, timeoutMs, signal) {
      return new Promise<boolean>((resolve) => {
        if (signal?.aborted) {
          resolve(false);
          return;
        }
        let done = false;
        const finish = (notified: boolean): void => {
          if (done) return;
          done = true;
          count--;
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          for (const id of nameIds) {
            const set = waiters.get(id);
            set?.delete(waiter);
            if (set?.size === 0) waiters.delete(id);
          }
          resolve(notified);
        };
        const waiter: Waiter = { wake: finish };
        const onAbort = (): void => finish(false);
        const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
        count++;
        signal?.addEventListener("abort", onAbort, { once: true });
        for (const id of nameIds) {
          let set = waiters.get(id);
          if (set === undefined) {
            set = new Set();
            waiters.set(id, set);
          }
          set.add(waiter);
        }
      });
    },
    notify(nameId) {
      const set = waiters.get(nameId);
      if (set === undefined) return;
      for (const waiter of [...set]) waiter.wake(true);
    },
    waiting: () => count,
  };
}
