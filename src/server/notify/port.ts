/**
 * The notifier port: idle long polls and streams park here, not on the database; a send notifies the recipient's
 * waiters, which then query once. Three implementations: in-process (one server process), Redis pub/sub and
 * PostgreSQL `LISTEN/NOTIFY` (several processes on one database).
 */

import type { CancelSignal } from "../../infra/index.js";

export interface Notifier {
  /**
   * A mark to pass to `wait` as `since`: a notification that arrives after the mark and before the wait starts is
   * not lost. Take it before querying, so "query found nothing, then wait" cannot miss a send in between.
   */
  generation(): number;
  /**
   * Resolves `true` when one of the names is notified (or, with `since`, was notified after that mark; or the
   * notifier asks every waiter to look again), `false` at the timeout or on abort. Every listener and timer is gone
   * when it resolves.
   */
  wait(nameIds: readonly number[], timeoutMs: number, signal?: CancelSignal, since?: number): Promise<boolean>;
  /**
   * Remembers that a query begun at mark `since` found no unacked message at all for these names, so that a later
   * poll of them parks without querying (`knownEmpty`) until one of them is notified. Nothing is remembered when one
   * of them was notified since the mark, or while notifications from other processes may be missed.
   */
  rememberEmpty(nameIds: readonly number[], since: number): void;
  /**
   * True when every one of the names is remembered empty: a query would find nothing, and a notification will come
   * before anything is there. Any notification of a name forgets it; losing the subscription forgets them all.
   */
  knownEmpty(nameIds: readonly number[]): boolean;
  /** Wakes the name's waiters in every process. Never throws: the message is already stored. */
  notify(nameId: number): void;
  /** Number of parked waiters in this process (for status and tests). */
  waiting(): number;
  /**
   * False while notifications from other processes may be missed (the subscription is down, or publishing fails);
   * waiters then look again every `fallbackPollMs`. Readiness reports it. Always true in-process.
   */
  healthy(): boolean;
  /** Ends the subscription and the connections the notifier opened; parked waiters time out as usual. */
  close(): Promise<void>;
}
