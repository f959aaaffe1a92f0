/**
 * The receipt port of the embedded backend: the message store's rows (journal and archive) and the archive's receipts.
 * A recorded state queues its `message.status` delivery right after it is written (both synchronous, on one
 * connection: nothing runs between them).
 */

import type { EnqueueSignal } from "./enqueue-signal.js";
import type { EmbeddedMessageStore } from "./embedded-messages.js";
import { mergeReceipt, type ReceiptStore } from "./receipt-store.js";
import type { SqliteArchive } from "./sqlite-archive.js";

export function createEmbeddedReceipts(archive: SqliteArchive, messages: EmbeddedMessageStore, enqueued: EnqueueSignal): ReceiptStore {
  return {
    async find(messageId) {
      const message = await messages.find(messageId);
      return mergeReceipt(message, archive.receipts.find(messageId));
    },
    async record(entry) {
      archive.receipts.record(entry);
      if (archive.webhooks.enqueueRecorded(entry.messageId, entry.state) > 0) enqueued.fire();
    },
    markDelivered: async (messageId, at) => messages.markDelivered(messageId, at),
    purge: async (before) => archive.receipts.purge(before),
    listSent: async (sender, limit) => messages.archived(() => archive.receipts.listSent(sender, limit)),
    countPerDay: async (names, since) => messages.archived(() => archive.receipts.countPerDay(names, since)),
  };
}
