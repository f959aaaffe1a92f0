/**
 * The webhook port of the embedded backend: the archive's tables. Deliveries appear when the archive takes journaled
 * messages and acks over (within the flush interval of a send); the message store fires `enqueued` then. One process
 * per data folder, so a lease left by the previous process (it stopped or crashed mid-attempt) ends when the store
 * opens.
 */

import type { EnqueueSignal } from "./enqueue-signal.js";
import type { SqliteArchive } from "./sqlite-archive.js";
import type { WebhookStore } from "./webhook-store.js";

export function createEmbeddedWebhooks(archive: SqliteArchive, enqueued: EnqueueSignal): WebhookStore {
  archive.webhooks.releaseLeases();
  const { webhooks } = archive;
  return {
    claimDue: async ({ now, limit, leaseUntil }) => webhooks.claimDue(now, limit, leaseUntil),
    recordAttempt: async (id, outcome) => webhooks.recordAttempt(id, outcome),
    nextDue: async (now) => webhooks.nextDue(now),
    releaseLeases: async () => webhooks.releaseLeases(),
    list: async (nameId, limit) => webhooks.list(nameId, limit),
    events: async (nameId) => webhooks.events(nameId),
    setEvents: async (nameId, events) => webhooks.setEvents(nameId, events),
    onEnqueued: (listener) => enqueued.on(listener),
    purge: async (before) => webhooks.purge(before),
  };
}
