/**
 * Retention of what sends leave besides messages (retention.ts purges those): Idempotency-Keys after 24 hours,
 * receipts 30 days after their message's first state, and webhook deliveries 7 days after they ended. It runs every
 * `intervalMs` on the injected clock, like the message retention.
 */

import { describeError, type Clock, type Logger } from "../infra/index.js";
import { startPeriodicJob } from "./periodic-job.js";
import { IDEMPOTENCY_TTL_MS, RECEIPT_RETENTION_MS, type IdempotencyStore, type ReceiptStore, type WebhookStore } from "./store/index.js";

/** How long a delivery that ended stays in the delivery log. */
export const DELIVERY_LOG_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface RecordStores {
  readonly idempotency: Pick<IdempotencyStore, "purge">;
  readonly receipts: Pick<ReceiptStore, "purge">;
  readonly webhooks: Pick<WebhookStore, "purge">;
}

/** One purge of the three; answers how many of each went. */
export async function purgeRecords(stores: RecordStores, now: number): Promise<{ keys: number; receipts: number; deliveries: number }> {
  return {
    keys: await stores.idempotency.purge(now - IDEMPOTENCY_TTL_MS),
    receipts: await stores.receipts.purge(now - RECEIPT_RETENTION_MS),
    deliveries: await stores.webhooks.purge(now - DELIVERY_LOG_RETENTION_MS),
  };
}

export function startRecordRetention(deps: RecordStores & { clock: Clock; logger: Logger; intervalMs: number }): { stop(): Promise<void> } {
  return startPeriodicJob({
    clock: deps.clock,
    intervalMs: deps.intervalMs,
    run: async () => {
      try {
        const removed = await purgeRecords(deps, deps.clock.now());
        if (removed.keys + removed.receipts + removed.deliveries > 0) deps.logger.info(removed, "retention purge of send records");
      } catch (err) {
        deps.logger.error({ err: describeError(err) }, "retention purge of send records failed");
      }
    },
  });
}
