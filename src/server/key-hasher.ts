/**
 * bcrypt comparisons off the event loop: a small pool of worker threads (key-hash-worker.ts) runs them, so a burst of
 * key guesses never holds up other requests. The pool starts with the first comparison, its threads do not keep the
 * process alive, and `close()` ends them.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ClawTellError } from "../infra/index.js";

export interface KeyHasher {
  /** Whether `apiKey` matches the bcrypt `hash`. */
  compare(apiKey: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Worker threads used for hashing: one fewer than the cores, at least one, at most two. */
export const KEY_HASH_WORKERS = Math.min(2, Math.max(1, availableParallelism() - 1));

/**
 * Where the worker's code is: beside this module, as `.ts` when running from the sources, `.js` in tsc's output and
 * in the bundle (scripts/bundle.ts writes dist/bundle/key-hash-worker.js next to cli.js and index.js).
 */
function workerUrl(): URL {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./key-hash-worker${extension}`, import.meta.url);
}

interface Pending {
  readonly resolve: (ok: boolean) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

export function createKeyHasher(workers = KEY_HASH_WORKERS): KeyHasher {
  const slots: (Slot | undefined)[] = new Array<Slot | undefined>(workers).fill(undefined);
  let nextId = 0;
  let turn = 0;

  const start = (index: number): Slot => {
    const worker = new Worker(workerUrl());
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    const failAll = (err: Error): void => {
      if (slots[index] === slot) slots[index] = undefined;
      for (const { reject } of slot.pending.values()) reject(err);
      slot.pending.clear();
    };
    worker.on("message", (answer: { id: number; ok: boolean }) => {
      const job = slot.pending.get(answer.id);
      slot.pending.delete(answer.id);
      job?.resolve(answer.ok);
    });
    worker.on("error", (err) => failAll(new ClawTellError("CT_INTERNAL", "key hashing failed", { cause: err })));
    worker.on("exit", () => failAll(new ClawTellError("CT_INTERNAL", "key hashing stopped")));
    slots[index] = slot;
    return slot;
  };

  return {
    compare(apiKey, hash) {
      const index = turn++ % workers;
      const slot = slots[index] ?? start(index);
      const id = nextId++;
      return new Promise<boolean>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, key: apiKey, hash });
      });
    },
    async close() {
      const running = slots.filter((slot): slot is Slot => slot !== undefined);
      slots.fill(undefined);
      await Promise.all(running.map((slot) => slot.worker.terminate()));
    },
  };
}
