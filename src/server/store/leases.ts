/**
 * Visibility leases: a message handed out by poll or stream is hidden from other pulls until it is acked or its
 * lease runs out, then it is delivered again (at-least-once). A lease belongs to the client connection (TCP socket)
 * that carried the poll or stream: once that connection has closed (the receiver crashed or went away), the next
 * stream or poll of the account takes its messages back at once, in order, instead of waiting out the timeout.
 * Leases live in memory, in the embedded message store (embedded-messages.ts): after a restart every unacked message
 * is deliverable at once, which is the safe direction.
 */

/** The client connection a message was handed out on; `ended` once it has closed. */
export interface LeaseHolder {
  readonly ended: boolean;
}

/** What a lease can be tied to: a socket, which says when it closes. */
export interface ClientConnection {
  readonly destroyed: boolean;
  once(event: "close", listener: () => void): unknown;
}

export interface Leases {
  /** Seqs currently hidden, among those leased for the given recipients. */
  activeFor(recipientIds: readonly number[], now: number): Set<number>;
  lease(recipientId: number, seq: number, until: number, holder?: LeaseHolder): void;
  release(recipientId: number, seq: number): void;
  /** Drops the leases of messages after `afterSeq` (a stream resuming with Last-Event-ID wants them again). */
  releaseAfter(recipientIds: readonly number[], afterSeq: number): void;
  /** Drops the leases held by connections that have closed (a new stream or poll takes their messages). */
  releaseEnded(recipientIds: readonly number[]): void;
  /** When the earliest lease of these recipients ends, if any. */
  nextExpiry(recipientIds: readonly number[], now: number): number | undefined;
  /** The holder for leases handed out on `connection` (one per connection, ended when it closes). */
  holderOf(connection: ClientConnection): LeaseHolder;
}

interface Lease {
  readonly until: number;
  readonly holder: LeaseHolder | undefined;
}

export function createLeases(): Leases {
  const byRecipient = new Map<number, Map<number, Lease>>();
  const holders = new WeakMap<ClientConnection, LeaseHolder>();
  const live = (recipientId: number, now: number): Map<number, Lease> | undefined => {
    const map = byRecipient.get(recipientId);
    if (map === undefined) return undefined;
    for (const [seq, lease] of map) if (lease.until <= now) map.delete(seq);
    if (map.size === 0) {
      byRecipient.delete(recipientId);
      return undefined;
    }
    return map;
  };
  const dropWhere = (recipientIds: readonly number[], drop: (seq: number, lease: Lease) => boolean): void => {
    for (const id of recipientIds) {
      const map = byRecipient.get(id);
      if (map === undefined) continue;
      for (const [seq, lease] of map) if (drop(seq, lease)) map.delete(seq);
      if (map.size === 0) byRecipient.delete(id);
    }
  };
  return {
    activeFor(recipientIds, now) {
      const result = new Set<number>();
      for (const id of recipientIds) for (const seq of live(id, now)?.keys() ?? []) result.add(seq);
      return result;
    },
    lease(recipientId, seq, until, holder) {
      let map = byRecipient.get(recipientId);
      if (map === undefined) {
        map = new Map();
        byRecipient.set(recipientId, map);
      }
      map.set(seq, { until, holder });
    },
    release(recipientId, seq) {
      byRecipient.get(recipientId)?.delete(seq);
    },
    releaseAfter(recipientIds, afterSeq) {
      dropWhere(recipientIds, (seq) => seq > afterSeq);
    },
    releaseEnded(recipientIds) {
      dropWhere(recipientIds, (_seq, lease) => lease.holder?.ended === true);
    },
    nextExpiry(recipientIds, now) {
      let next: number | undefined;
      for (const id of recipientIds) {
        for (const { until } of live(id, now)?.values() ?? []) if (next === undefined || until < next) next = until;
      }
      return next;
    },
    holderOf(connection) {
      let holder = holders.get(connection);
      if (holder === undefined) {
        const state = { ended: connection.destroyed };
        holder = state;
        holders.set(connection, state);
        // Lives as long as the connection; it fires once, when the connection closes.
        if (!state.ended) connection.once("close", () => (state.ended = true));
      }
      return holder;
    },
  };
}
