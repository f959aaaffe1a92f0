/**
 * "New webhook deliveries were stored": the message store fires it after a write that queued some (webhook-store.ts),
 * and the dispatcher listens, so that a delivery goes out at once instead of at the dispatcher's next look.
 */

export interface EnqueueSignal {
  fire(): void;
  /** Answers the unsubscribe. */
  on(listener: () => void): () => void;
}

export function createEnqueueSignal(): EnqueueSignal {
  const listeners = new Set<() => void>();
  return {
    fire() {
      for (const listener of listeners) listener();
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
