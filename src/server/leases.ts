/**
 * Visibility leases: a message handed out by poll or stream is hidden from other pulls until it is acked or its
 * lease runs out, then it is delivered again (at-least-once). Leases live in memory: after a restart every unacked
 * message is deliverable at once, which is the safe direction.
 */

export interface Leases {
  /** Seqs currently hidden, among those leased for the given recipients. */
  activeFor(recipientIds: readonly number[], now: number): Set<number>;
  lease(recipientId: number, seq: number, until: number): void;
  release(recipientId: number, seq: number): void;
  /** Drops the leases of messages after `afterSeq` (a stream resuming with Last-Event-ID wants them again). */
  releaseAfter(recipientIds: readonly number[], afterSeq: number): void;
  /** When the earliest lease of these recipients ends, if any. */
  nextExpiry(recipientIds: readonly number[], now: number): number | undefined;
}

export function createLeases(): Leases {
  const byRecipient = new Map<number, Map<number, number>>();
  const live = (recipientId: number, now: number): Map<number, number> | undefined => {
    const map = byRecipient.get(recipientId);
    if (map === undefined) return undefined;
    for (const [seq, until] of map) if (until <= now) map.delete(seq);
    if (map.size === 0) {
      byRecipient.delete(recipientId);
      return undefined;
    }
    return map;
  };
  return {
    activeFor(recipientIds, now) {
      const result = new Set<number>();
      for (const id of recipientIds) for (const seq of live(id, now)?.keys() ?? []) result.add(seq);
      return result;
    },
    lease(recipientId, seq, until) {
      let map = byRecipient.get(recipientId);
      if (map === undefined) {
        map = new Map();
        byRecipient.set(recipientId, map);
      }
      map.set(seq, until);
    },
    release(recipientId, seq) {
      byRecipient.get(recipientId)?.delete(seq);
    },
    releaseAfter(recipientIds, afterSeq) {
      for (const id of recipientIds) {
        const map = byRecipient.get(id);
        if (map === undefined) continue;
        for (const seq of map.keys()) if (seq > afterSeq) map.delete(seq);
      }
    },
    nextExpiry(recipientIds, now) {
      let next: number | undefined;
      for (const id of recipientIds) {
        for (const until of live(id, now)?.values() ?? []) if (next === undefined || until < next) next = until;
      }
      return next;
    },
  };
}
