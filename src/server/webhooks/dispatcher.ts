/**
 * The webhook dispatcher of one server process: it claims due deliveries from the store under a lease (so that other
 * processes on the same database leave them alone), attempts up to `concurrency` at once (attempt.ts) and records
 * each outcome. It looks again when the store queued new deliveries in this process, when an attempt ends, when the
 * next retry is due, and every `pollIntervalMs` besides (deliveries queued by other processes, leases of processes that
 * died). Every wait is on the injected clock. Stopping aborts the attempts under way; their deliveries stay due, and
 * are attempted again at the next start.
 */

import type { Dispatcher } from "undici";
import { describeError, type Clock, type Logger } from "../../infra/index.js";
import type { DirectoryStore, MessageStore, ReceiptStore, WebhookDelivery, WebhookStore } from "../store/index.js";
import { attemptDelivery } from "./attempt.js";

export interface WebhookDispatcherOptions {
  readonly store: WebhookStore;
  readonly directory: Pick<DirectoryStore, "findNameByName">;
  readonly messages: Pick<MessageStore, "find">;
  readonly receipts: Pick<ReceiptStore, "markDelivered">;
  /** The guarded connection pool (outbound/). */
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly logger: Logger;
  /** @defaultValue Math.random */
  readonly random?: () => number;
  /** Per attempt, connection to last byte. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /** @defaultValue 65536 */
  readonly maxResponseBytes?: number;
  /** @defaultValue 4 */
  readonly concurrency?: number;
  /** @defaultValue 2000 */
  readonly pollIntervalMs?: number;
}

export interface WebhookDispatcher {
  /** Look for due deliveries now. */
  wake(): void;
  /** Stops looking, aborts the attempts under way and gives their leases back. */
  stop(): Promise<void>;
}

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;

export function startWebhookDispatcher(opts: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, clock } = opts;
  const logger = opts.logger.child({ component: "server.webhooks" });
  const concurrency = opts.concurrency ?? 4;
  const pollIntervalMs = opts.pollIntervalMs ?? 2_000;
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  /** A lease outlasts an attempt, so that no other process takes a delivery under way. */
  const leaseMs = timeoutMs * 3;
  const deps = {
    directory: opts.directory,
    messages: opts.messages,
    clock,
    dispatcher: opts.dispatcher,
    random: opts.random ?? Math.random,
    timeoutMs,
    maxResponseBytes: opts.maxResponseBytes ?? WEBHOOK_MAX_RESPONSE_BYTES,
  };

  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  let wanted = false;
  let nap: AbortController | undefined;

  const wake = (): void => {
    wanted = true;
    nap?.abort();
  };

  const attempt = async (delivery: WebhookDelivery): Promise<void> => {
    try {
      const outcome = await attemptDelivery(deps, delivery, stopping.signal);
      if (outcome === undefined) return;
      await store.recordAttempt(delivery.id, outcome);
      if (outcome.status === "delivered" && delivery.event === "message.received") await opts.receipts.markDelivered(delivery.messageId, outcome.at);
      const fields = { deliveryId: delivery.id, event: delivery.event, attempt: delivery.attempts + 1, statusCode: outcome.statusCode, status: outcome.status };
      if (outcome.status === "delivered") logger.debug(fields, "webhook delivered");
      else logger.info({ ...fields, error: outcome.error, nextAttemptAt: outcome.nextAttemptAt }, "webhook attempt did not deliver");
    } catch (err) {
      // The lease ends on its own; the delivery is attempted again then.
      if (!stopping.signal.aborted) logger.error({ deliveryId: delivery.id, err: describeError(err) }, "webhook attempt could not be recorded");
    }
  };

  const launch = (delivery: WebhookDelivery): void => {
    const run: Promise<void> = attempt(delivery).finally(() => {
      running.delete(run);
      wake();
    });
    running.add(run);
  };

  const sleep = async (ms: number): Promise<void> => {
    if (wanted || stopping.signal.aborted || ms <= 0) return;
    nap = new AbortController();
    try {
      await clock.sleep(ms, AbortSignal.any([nap.signal, stopping.signal]));
    } catch {
      // woken
    } finally {
      nap = undefined;
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      wanted = false;
      try {
        const free = concurrency - running.size;
        if (free <= 0) {
          // Every slot is busy: an attempt that ends wakes the loop. Asking the store when the next is due would answer
          // "now" for the deliveries waiting their turn, and the loop would spin without ever yielding.
          await sleep(pollIntervalMs);
          continue;
        }
        const now = clock.now();
        const due = await store.claimDue({ now, limit: free, leaseUntil: now + leaseMs });
        if (stopping.signal.aborted) {
          await store.releaseLeases();
          return;
        }
        for (const delivery of due) launch(delivery);
        if (due.length === free) continue;
        const next = await store.nextDue(clock.now());
        await sleep(next === undefined ? pollIntervalMs : Math.min(pollIntervalMs, next - clock.now()));
      } catch (err) {
        if (stopping.signal.aborted) return;
        logger.warn({ err: describeError(err) }, "webhook dispatcher could not read its deliveries; trying again");
        await sleep(pollIntervalMs);
      }
    }
  };

  const unsubscribe = store.onEnqueued(wake);
  const looping = loop();
  return {
    wake,
    async stop() {
      unsubscribe();
      stopping.abort();
      nap?.abort();
      await looping;
      await Promise.all(running);
      await store.releaseLeases().catch((err: unknown) => logger.warn({ err: describeError(err) }, "could not give back webhook leases"));
    },
  };
}
