/**
 * Group commit: every change made while a write is running or waiting shares the next write. A caller's promise
 * settles only when a write that STARTED AFTER its change has completed, so the change is on disk when it resolves.
 */

import { ClawTellError } from "../../infra/index.js";

export interface GroupCommit {
  /** Resolves when a write covering every change made so far has completed; rejects with `CT_STATE_WRITE_FAILED`. */
  request(): Promise<void>;
  /** Resolves when no write is running or waiting (failures included). */
  idle(): Promise<void>;
}

interface Batch {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody awaits (e.g. after a claim) must not surface as an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** `flush` writes whatever changed since its previous call; it is never run twice at once. */
export function createGroupCommit(flush: () => Promise<void>): GroupCommit {
  let waiting: Batch | undefined;
  let running: Promise<void> | undefined;

  const start = (): void => {
    const batch = waiting;
    if (batch === undefined || running !== undefined) return;
    waiting = undefined;
    running = flush()
      .then(batch.resolve, (err: unknown) =>
        batch.reject(err instanceof ClawTellError && err.code === "CT_STATE_WRITE_FAILED" ? err : new ClawTellError("CT_STATE_WRITE_FAILED", "the queue state could not be written", { cause: err })),
      )
      .finally(() => {
        running = undefined;
        // Changes made during this write go out together in the next one.
        if (waiting !== undefined) setImmediate(start);
      });
  };

  return {
    request() {
      if (waiting === undefined) {
        waiting = newBatch();
        // Let the rest of this tick join the batch before writing.
        if (running === undefined) setImmediate(start);
      }
      return waiting.promise;
    },
    async idle() {
      while (running !== undefined || waiting !== undefined) {
        await (running ?? waiting?.promise.catch(() => undefined));
      }
    },
  };
}
