/**
 * A `MessageStore` that counts what passes through it (sends, hand-outs, acks, messages handed out again) and
 * otherwise is the store it wraps. The port's records carry no delivery count, so a message handed out again is
 * recognised here: this process remembers the lease it gave each message it handed out, until the message is acked.
 * A message handed out by another process, or before a restart, is not recognised when it comes back.
 */

import type { MessageMetrics } from "./metrics.js";
import type { MessageStore } from "./store/index.js";

/** How many handed-out, unacked messages are remembered; past it the oldest are forgotten (and not counted). */
export const MAX_REMEMBERED_LEASES = 100_000;

export function instrumentMessageStore(store: MessageStore, metrics: MessageMetrics, maxRemembered = MAX_REMEMBERED_LEASES): MessageStore {
  /** seq → when the lease this process gave it ends. A Map iterates in insertion order: the first key is the oldest. */
  const leases = new Map<number, number>();

  const remember = (seq: number, leaseUntil: number): void => {
    leases.delete(seq);
    leases.set(seq, leaseUntil);
    if (leases.size > maxRemembered) {
      const oldest = leases.keys().next();
      if (oldest.done !== true) leases.delete(oldest.value);
    }
  };

  return {
    async insert(messages) {
      await store.insert(messages);
      metrics.sent.inc(messages.length);
    },
    async claim(recipientIds, request) {
      const rows = await store.claim(recipientIds, request);
      if (rows.length === 0) return rows;
      metrics.delivered.inc(rows.length);
      for (const row of rows) {
        const before = leases.get(row.seq);
        if (before !== undefined) (request.now >= before ? metrics.leaseExpired : metrics.released).inc();
        remember(row.seq, request.leaseUntil);
      }
      return rows;
    },
    async ack(recipientIds, ids, now) {
      const acked = await store.ack(recipientIds, ids, now);
      metrics.acked.inc(acked.length);
      for (const row of acked) leases.delete(row.seq);
      return acked;
    },
    releaseLeases: (recipientIds, afterSeq) => store.releaseLeases(recipientIds, afterSeq),
    pendingState: (recipientIds, now) => store.pendingState(recipientIds, now),
    listUnacked: (recipientIds, limit, excludeSeqs) => store.listUnacked(recipientIds, limit, excludeSeqs),
    find: (id) => store.find(id),
    listInbox: (recipientId, query) => store.listInbox(recipientId, query),
    markRead: (recipientId, id, now) => store.markRead(recipientId, id, now),
    count: (recipientId) => store.count(recipientId),
    findFile: (fileId) => store.findFile(fileId),
    // Leases remembered of purged messages are forgotten with the oldest entries.
    purge: (ackedBefore, createdBefore) => store.purge(ackedBefore, createdBefore),
  };
}
