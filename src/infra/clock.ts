/** Time as a dependency: production uses the system clock, tests inject their own. */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms`; rejects with the signal's reason when aborted. Keeps the process alive only where said so
   * (`foregroundClock`).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once after `ms` unless the returned function cancels it first: a timer without a promise or a signal,
   * for what waits by the thousand (a parked long poll, an idle stream's keepalive). A clock without it gets one built
   * on `sleep` ({@link timerOn}). Keeps the process alive only where `sleep` does.
   */
  after?(ms: number, fn: () => void): () => void;
}

/** The reason a timer built on `sleep` is cancelled with: one shared value, rather than an error for every timer. */
const TIMER_CANCELLED = Symbol("timer cancelled");

/** `clock.after(ms, fn)`, or the same built on the clock's `sleep` for a clock without `after`; answers the cancel. */
export function timerOn(clock: Clock, ms: number, fn: () => void): () => void {
  if (clock.after !== undefined) return clock.after(ms, fn);
  const cancelled = new AbortController();
  // A sleep cut short by the cancel rejects: that is its end, not a failure.
  clock.sleep(ms, cancelled.signal).then(fn, () => undefined);
  return () => cancelled.abort(TIMER_CANCELLED);
}

/** A plain timer (about a fifth of a sleep's memory): what a server parks for each idle connection. */
function timerAfter(ms: number, fn: () => void, keepsAlive: boolean): () => void {
  const timer = setTimeout(fn, Math.max(0, ms));
  if (!keepsAlive) timer.unref();
  return () => clearTimeout(timer);
}

/**
 * One timer and one abort listener, each removed when the other ends the sleep; an aborted sleep rejects with the
 * signal's reason, as the contract (and the manual clock) promise. Written by hand rather than with Node's timer
 * promise behind an async function: a server parks a sleep for every idle long poll and two for every idle event
 * stream, and that form held about 2.9 KB of heap per sleep against about 1.2 KB for this one.
 */
function sleepOnTimer(ms: number, signal: AbortSignal | undefined, keepsAlive: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    if (!keepsAlive) timer.unref();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The system clock. The timer is unref'd: a pending sleep must not keep a process alive that has nothing else to do. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepOnTimer(ms, signal, false),
  after: (ms, fn) => timerAfter(ms, fn, false),
};

/**
 * The system clock for a command that waits in the foreground (a CLI asking a daemon and polling for its answer): its
 * sleeps keep the process alive, because the wait is then all the process has left to do, and an unref'd timer would
 * let it exit before the answer came.
 */
export const foregroundClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepOnTimer(ms, signal, true),
  after: (ms, fn) => timerAfter(ms, fn, true),
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
    after: (ms, fn) => {
      const entry = { at: current + Math.max(0, ms), resolve: fn };
      sleepers.push(entry);
      return () => {
        const i = sleepers.indexOf(entry);
        if (i >= 0) sleepers.splice(i, 1);
      };
    },
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
