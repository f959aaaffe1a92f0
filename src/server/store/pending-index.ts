/**
 * The unacked messages of every name, in memory and oldest first: what polls and streams hand out, found without a
 * query. An entry keeps the whole message while the archive does not have it yet, and after that while the store's
 * memory budget allows (embedded-messages.ts); without it a pull reads the message from the archive, so a long backlog
 * costs a few dozen bytes per message here.
 */

import type { MessageRecord } from "./records.js";

export interface PendingEntry {
  readonly id: string;
  readonly recipientId: number;
  readonly seq: number;
  readonly createdAt: number;
  /** The whole message, until the archive has it. */
  record: MessageRecord | undefined;
}

export interface PendingIndex {
  /** Adds an entry; its seq is higher than any its recipient has (seqs only grow). */
  add(entry: PendingEntry): void;
  get(id: string): PendingEntry | undefined;
  remove(id: string): PendingEntry | undefined;
  /** Oldest first across the recipients, leaving out `excludeSeqs`, at most `limit`. */
  list(recipientIds: readonly number[], limit: number, excludeSeqs: ReadonlySet<number>): PendingEntry[];
  /** All entries of the recipients with `seq > afterSeq`, oldest first. */
  after(recipientIds: readonly number[], afterSeq: number): PendingEntry[];
  /** Drops the entries created before `createdBefore` (expired by retention); answers them. */
  dropCreatedBefore(createdBefore: number): PendingEntry[];
  /** How many entries there are: every unacked message. */
  size(): number;
}

export function createPendingIndex(): PendingIndex {
  /** recipient → seq → entry; a Map iterates in insertion order, which is seq order. */
  const byRecipient = new Map<number, Map<number, PendingEntry>>();
  const byId = new Map<string, PendingEntry>();

  const collect = (
    recipientIds: readonly number[],
    take: (entry: PendingEntry) => boolean,
    limit: number,
  ): PendingEntry[] => {
    const found: PendingEntry[] = [];
    for (const recipientId of recipientIds) {
      let taken = 0;
      for (const entry of byRecipient.get(recipientId)?.values() ?? []) {
        if (taken >= limit) break;
        if (!take(entry)) continue;
        found.push(entry);
        taken++;
      }
    }
    if (recipientIds.length > 1) found.sort((a, b) => a.seq - b.seq);
    return found.length > limit ? found.slice(0, limit) : found;
  };

  const remove = (id: string): PendingEntry | undefined => {
    const entry = byId.get(id);
    if (entry === undefined) return undefined;
    byId.delete(id);
    const entries = byRecipient.get(entry.recipientId);
    entries?.delete(entry.seq);
    if (entries?.size === 0) byRecipient.delete(entry.recipientId);
    return entry;
  };

  return {
    add(entry) {
      let entries = byRecipient.get(entry.recipientId);
      if (entries === undefined) {
        entries = new Map();
        byRecipient.set(entry.recipientId, entries);
      }
      entries.set(entry.seq, entry);
      byId.set(entry.id, entry);
    },
    get: (id) => byId.get(id),
    size: () => byId.size,
    remove,
    list: (recipientIds, limit, excludeSeqs) => collect(recipientIds, (entry) => !excludeSeqs.has(entry.seq), limit),
    after: (recipientIds, afterSeq) => collect(recipientIds, (entry) => entry.seq > afterSeq, Number.POSITIVE_INFINITY),
    dropCreatedBefore(createdBefore) {
      const dropped = [...byId.values()].filter((entry) => entry.createdAt < createdBefore);
      for (const entry of dropped) remove(entry.id);
      return dropped;
    },
  };
}
