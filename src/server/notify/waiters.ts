/**
 * The waiters parked in this process, by name id, and a short history of the notifications they were given: a
 * `wait(…, since)` first looks back through the history, so a notification between a caller's query and its wait is
 * seen. When the history no longer reaches back to `since`, the wait answers "maybe" (true): one extra query, never a
 * lost message.
 */

import { timerOn, type CancelSignal, type Clock } from "../../infra/index.js";

/** Notifications remembered for `since`; the window between a query and its wait is a few milliseconds. */
const HISTORY_SIZE = 4096;
/** History entry of a wake-up for every name (after a subscription gap, or a fallback poll). */
const EVERY_NAME = -1;
/** Names remembered empty; past it they are all forgotten (each then costs one query to be remembered again). */
const MAX_EMPTY_NAMES = 1_000_000;

export interface WaiterRegistry {
  generation(): number;
  wait(nameIds: readonly number[], timeoutMs: number, signal?: CancelSignal, since?: number): Promise<boolean>;
  /** Wakes the waiters of these names. */
  wake(nameIds: Iterable<number>): void;
  /** Wakes every waiter (each then queries once); forgets every name remembered empty. */
  wakeAll(): void;
  /** Remembers the names empty unless one of them was notified since the mark. */
  rememberEmpty(nameIds: readonly number[], since: number): void;
  knownEmpty(nameIds: readonly number[]): boolean;
  /**
   * Forgets every name remembered empty and counts as a notification of every name, so that a query under way
   * remembers nothing either (notifications may have been missed: the subscription is lost).
   */
  forgetEmpty(): void;
  waiting(): number;
}

interface Waiter {
  readonly wake: () => void;
}

/** `clock` times the waits (so tests move them); each wait's sleep is cut short when it ends. */
export function createWaiterRegistry(clock: Clock): WaiterRegistry {
  const byName = new Map<number, Set<Waiter>>();
  const all = new Set<Waiter>();
  const history = new Float64Array(HISTORY_SIZE);
  let generation = 0;
  // Names a query found without any unacked message, none notified since: a poll of them needs no query.
  const empty = new Set<number>();

  const record = (nameId: number): void => {
    generation++;
    history[generation % HISTORY_SIZE] = nameId;
    if (nameId === EVERY_NAME) empty.clear();
    else empty.delete(nameId);
  };

  const notifiedSince = (nameIds: readonly number[], since: number): boolean => {
    if (since >= generation) return false;
    if (generation - since >= HISTORY_SIZE) return true;
    for (let g = since + 1; g <= generation; g++) {
      const id = history[g % HISTORY_SIZE];
      if (id === EVERY_NAME || (id !== undefined && nameIds.includes(id))) return true;
    }
    return false;
  };

  return {
    generation: () => generation,
    wait(nameIds, timeoutMs, signal, since) {
      if (signal?.aborted === true) return Promise.resolve(false);
      if (since !== undefined && notifiedSince(nameIds, since)) return Promise.resolve(true);
      // Nothing to wait for (a manual clock would otherwise hold a zero wait until it is moved).
      if (timeoutMs <= 0) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        // A plain timer on the clock, not a sleep with a signal: a server parks one for every idle long poll.
        let cancelTimer: (() => void) | undefined;
        const finish = (notified: boolean, timedOut = false): void => {
          if (!all.delete(waiter)) return;
          if (!timedOut) cancelTimer?.();
          signal?.removeEventListener("abort", onAbort);
          for (const id of nameIds) {
            const set = byName.get(id);
            set?.delete(waiter);
            if (set?.size === 0) byName.delete(id);
          }
          resolve(notified);
        };
        const waiter: Waiter = { wake: () => finish(true) };
        const onAbort = (): void => finish(false);
        all.add(waiter);
        for (const id of nameIds) {
          let set = byName.get(id);
          if (set === undefined) {
            set = new Set();
            byName.set(id, set);
          }
          set.add(waiter);
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        cancelTimer = timerOn(clock, timeoutMs, () => finish(false, true));
      });
    },
    wake(nameIds) {
      for (const id of nameIds) {
        record(id);
        const set = byName.get(id);
        if (set !== undefined) for (const waiter of [...set]) waiter.wake();
      }
    },
    wakeAll() {
      record(EVERY_NAME);
      for (const waiter of [...all]) waiter.wake();
    },
    rememberEmpty(nameIds, since) {
      if (notifiedSince(nameIds, since)) return;
      if (empty.size + nameIds.length > MAX_EMPTY_NAMES) empty.clear();
      for (const id of nameIds) empty.add(id);
    },
    knownEmpty: (nameIds) => nameIds.length > 0 && nameIds.every((id) => empty.has(id)),
    forgetEmpty: () => record(EVERY_NAME),
    waiting: () => all.size,
  };
}
