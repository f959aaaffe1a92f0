/**
 * The dead-letter shelf: messages given up on, kept `deadLetterRetentionDays` and at most `deadLetterMaxCount`.
 * Never a silent drop: when the shelf is full, the OLDEST letters are appended to an overflow file (JSON lines, 0600,
 * fsynced) BEFORE the write that removes them from the state, and only then is the alarm raised.
 */

import { appendFile, open } from "node:fs/promises";
import { STATE_FILE_MODE, type Logger } from "../../infra/index.js";
import type { Job } from "./queue-state.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DeadLetterLimits {
  /** Dead letters kept; beyond it the oldest are exported. @defaultValue 1000 */
  readonly deadLetterMaxCount: number;
  /** Days a dead letter is kept before it is removed. @defaultValue 30 */
  readonly deadLetterRetentionDays: number;
}

export interface OverflowReport {
  readonly ids: readonly string[];
  /** Where they went; `undefined` for the in-memory twin (which keeps nothing beyond its limit). */
  readonly exportedTo: string | undefined;
}

export interface DeadLetterShelf {
  list(): Job[];
  get(id: string): Job | undefined;
  has(id: string): boolean;
  size(): number;
  /** Puts a letter on the shelf (replacing one with the same id); the oldest beyond the limit await export. */
  add(job: Job): void;
  remove(id: string): Job | undefined;
  /** Removes letters older than the retention; returns how many. */
  expire(nowMs: number): number;
  /** Exports letters pushed off the shelf; must run before the write that drops them. Throws when the disk refuses. */
  exportOverflow(): Promise<OverflowReport | undefined>;
  /** Changes since the last call, for the journal (removals first, then additions). */
  takeChanges(): { deadDrop?: string[]; deadAdd?: Job[] };
}

export function createDeadLetterShelf(initial: readonly Job[], limits: () => DeadLetterLimits, overflowPath: string | undefined, log: Logger): DeadLetterShelf {
  const letters = new Map<string, Job>(initial.map((j) => [j.id, j]));
  const added = new Map<string, Job>();
  const dropped = new Set<string>();
  let overflow: Job[] = [];

  const drop = (id: string): Job | undefined => {
    const job = letters.get(id);
    if (job === undefined) return undefined;
    letters.delete(id);
    added.delete(id);
    dropped.add(id);
    return job;
  };

  return {
    list: () => [...letters.values()],
    get: (id) => letters.get(id),
    has: (id) => letters.has(id),
    size: () => letters.size,
    add(job) {
      letters.delete(job.id);
      letters.set(job.id, job);
      dropped.delete(job.id);
      added.set(job.id, job);
      let excess = letters.size - limits().deadLetterMaxCount;
      for (const oldest of letters.values()) {
        if (excess-- <= 0) break;
        drop(oldest.id);
        overflow.push(oldest);
      }
    },
    remove: drop,
    expire(nowMs) {
      const cutoff = nowMs - limits().deadLetterRetentionDays * DAY_MS;
      const expired = [...letters.values()].filter((j) => (j.deadAt ?? j.updatedAt) < cutoff).map((j) => j.id);
      for (const id of expired) drop(id);
      if (expired.length > 0) log.info({ ids: expired }, "dead letters past their retention removed");
      return expired.length;
    },
    async exportOverflow() {
      if (overflow.length === 0) return undefined;
      const batch = overflow;
      if (overflowPath !== undefined) {
        await appendDurable(overflowPath, batch.map((j) => `${JSON.stringify(j)}\n`).join(""));
      }
      overflow = overflow.slice(batch.length);
      return { ids: batch.map((j) => j.id), exportedTo: overflowPath };
    },
    takeChanges() {
      const changes = {
        ...(dropped.size === 0 ? {} : { deadDrop: [...dropped] }),
        ...(added.size === 0 ? {} : { deadAdd: [...added.values()] }),
      };
      dropped.clear();
      added.clear();
      return changes;
    },
  };
}

/** Appends and fsyncs, creating the file owner-only. */
async function appendDurable(path: string, data: string): Promise<void> {
  await appendFile(path, data, { mode: STATE_FILE_MODE });
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
