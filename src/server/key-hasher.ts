/**
 * bcrypt comparisons off the event loop: a small pool of worker threads (key-hash-worker.ts) runs them, so a burst of
 * key guesses never holds up other requests. The pool starts with the first comparison, its threads do not keep the
 * process alive, and `close()` ends them. The worker's code (key-hash-worker.ts) is bundled beside the chunk that holds
 * this module (scripts/bundle.ts).
 */

import { availableParallelism } from "node:os";
import { besideModule, startWorkerJobs, type WorkerJobs } from "./worker-jobs.js";

export interface KeyHasher {
  /** Whether `apiKey` matches the bcrypt `hash`. */
  compare(apiKey: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Worker threads used for hashing: one fewer than the cores, at least one, at most two. */
export const KEY_HASH_WORKERS = Math.min(2, Math.max(1, availableParallelism() - 1));

interface CompareJob {
  readonly key: string;
  readonly hash: string;
}

export function createKeyHasher(workers = KEY_HASH_WORKERS): KeyHasher {
  const slots: (WorkerJobs<CompareJob, { ok: boolean }> | undefined)[] = new Array<WorkerJobs<CompareJob, { ok: boolean }> | undefined>(workers).fill(undefined);
  let turn = 0;

  const start = (index: number): WorkerJobs<CompareJob, { ok: boolean }> => {
    const slot: WorkerJobs<CompareJob, { ok: boolean }> = startWorkerJobs(besideModule(import.meta.url, "./key-hash-worker"), {
      work: "key hashing",
      onGone: () => {
        if (slots[index] === slot) slots[index] = undefined;
      },
    });
    slots[index] = slot;
    return slot;
  };

  return {
    async compare(apiKey, hash) {
      const index = turn++ % workers;
      const slot = slots[index] ?? start(index);
      return (await slot.run({ key: apiKey, hash })).ok;
    },
    async close() {
      const running = slots.filter((slot) => slot !== undefined);
      slots.fill(undefined);
      await Promise.all(running.map((slot) => slot.terminate()));
    },
  };
}
