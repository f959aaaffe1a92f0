/** Time as a dependency: production uses the system clock, tests inject their own. */

import { setTimeout as delay } from "node:timers/promises";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms`; rejects with the signal's reason when aborted. Keeps the process alive only where said so
   * (`foregroundClock`).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Node's timer promise removes its own abort listener once it settles; it rejects with an AbortError, so the signal's
 * reason is passed on instead, as the contract (and the manual clock) promise. The timer is unref'd: a pending sleep
 * must not keep a process alive that has nothing else to do.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(Math.max(0, ms), undefined, signal === undefined ? { ref: false } : { ref: false, signal });
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw err;
    }
  },
};

/**
 * The system clock for a command that waits in the foreground (a CLI asking a daemon and polling for its answer): its
 * sleeps keep the process alive, because the wait is then all the process has left to do, and an unref'd timer would
 * let it exit before the answer came.
 */
export const foregroundClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(Math.max(0, ms), undefined, signal === undefined ? undefined : { signal });
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw err;
    }
  },
};

/** A clock that only moves when told to; sleeps resolve as time passes them. */
export function createManualClock(startMs = 0): Clock & { advance(ms: number): Promise<void>; set(ms: number): Promise<void> } {
  let current = startMs;
  const sleepers: Array<{ at: number; resolve: () => void }> = [];
  const flush = async (): Promise<void> => {
    sleepers.sort((a, b) => a.at - b.at);
    while (sleepers.length > 0 && (sleepers[0]?.at ?? Infinity) <= current) {
      sleepers.shift()?.resolve();
      await Promise.resolve();
    }
  };
  return {
    now: () => current,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = (): void => {
          const i = sleepers.indexOf(entry);
          if (i >= 0) sleepers.splice(i, 1);
          reject(signal?.reason);
        };
        // The listener goes with the sleep however it ends, so a loop sleeping on one long-lived signal does not
        // pile them up.
        const entry = {
          at: current + Math.max(0, ms),
          resolve: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        sleepers.push(entry);
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    advance: async (ms) => {
      current += ms;
      await flush();
    },
    set: async (ms) => {
      current = ms;
      await flush();
    },
  };
}
