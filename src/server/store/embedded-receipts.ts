/**
 * The receipt port of the embedded backend: the message store's rows (journal and archive) and the archive's receipts.
 * A recorded state and its `message.status` delivery are written in one SQLite transaction: a crash or a failed write
 * never leaves one without the other.
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
      if (archive.recordReceipt(entry) > 0) enqueued.fire();
    },
    markDelivered: async (messageId, at) => messages.markDelivered(messageId, at),
    purge: async (before) => archive.receipts.purge(before),
    listSent: async (sender, limit) => messages.archived(() => archive.receipts.listSent(sender, limit)),
    countPerDay: async (names, since) => messages.archived(() => archive.receipts.countPerDay(names, since)),
  };
}
