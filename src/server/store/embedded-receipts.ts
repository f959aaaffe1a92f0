/** The receipt port of the embedded backend: the message store's rows (journal and archive) and the archive's receipts. */

import type { EmbeddedMessageStore } from "./embedded-messages.js";
import { mergeReceipt, type ReceiptStore } from "./receipt-store.js";
import type { SqliteArchive } from "./sqlite-archive.js";

export function createEmbeddedReceipts(archive: SqliteArchive, messages: EmbeddedMessageStore): ReceiptStore {
  return {
    async find(messageId) {
      const message = await messages.find(messageId);
      return mergeReceipt(message, archive.receipts.find(messageId));
    },
    record: async (entry) => archive.receipts.record(entry),
    markDelivered: async (messageId, at) => messages.markDelivered(messageId, at),
    purge: async (before) => archive.receipts.purge(before),
  };
}
