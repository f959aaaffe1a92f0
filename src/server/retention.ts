/** Retention: acked messages are deleted 1 h after the ack; unacked ones expire after 14 days. */

import type { Clock, Logger } from "../infra/index.js";
import type { Store } from "./store/store.js";

export const ACKED_RETENTION_MS = 60 * 60 * 1000;
export const UNACKED_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

/** Runs one purge; returns what was deleted. */
export function purgeExpired(store: Store, now: number): { acked: number; expired: number } {
  return store.purge(now - ACKED_RETENTION_MS, now - UNACKED_RETENTION_MS);
}

export function startRetention(deps: { store: Store; clock: Clock; logger: Logger; intervalMs: number }): { stop(): void } {
  const timer = setInterval(() => {
    try {
      const removed = purgeExpired(deps.store, deps.clock.now());
      if (removed.acked + removed.expired > 0) deps.logger.info(removed, "retention purge");
    } catch (err) {
      deps.logger.error({ err }, "retention purge failed");
    }
  }, deps.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
