/**
 * The routing daemon's durable queue. State lives in memory and is written as one file through lowdb; mutations made
 * in the same tick share one durable write (group commit), and every mutation's promise settles only when a write
 * containing it has finished — so the caller may ack the server after `enqueueMany` resolves.
 * Without a `path` the same store runs on lowdb's memory adapter (the in-memory twin used in tests).
 */

import { appendFile, open } from "node:fs/promises";
import { Low, Memory } from "lowdb";
import { ClawTellError, STATE_FILE_MODE, systemClock, type Clock, type Logger } from "../../infra/index.js";
import type { Message } from "../../protocol/index.js";
import { transition, type Job, type JobError, type JobEvent, type TransitionPolicy } from "./delivery-state.js";
import { createDurableFileAdapter, type CorruptFileReport } from "./durable-file-adapter.js";
import { openJournal, replayJournal, type AppendFn, type JournalFile, type JournalLine } from "./journal.js";
import { emptyQueueState, QueueStateSchema, type QueueState } from "./queue-state.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface QueuePolicy {
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  readonly deadLetterMaxCount: number;
  readonly deadLetterRetentionDays: number;
}

export type QueueAlarm =
  | { readonly kind: "state_corrupt"; readonly report: CorruptFileReport }
  | { readonly kind: "dead_letters_overflow"; readonly exported: number; readonly exportedTo: string };

export interface NewJob {
  readonly id: string;
  readonly accountId: string;
  readonly recipient: string;
  readonly routeKey: string;
  readonly message: Message;
}

export interface QueueStoreOptions {
  /** State file; omitted = in memory only. */
  readonly path?: string;
  readonly policy: QueuePolicy;
  readonly clock?: Clock;
  readonly logger: Logger;
  readonly random?: () => number;
  readonly onAlarm?: (alarm: QueueAlarm) => void;
  /** How long ids are remembered for dedupe. @defaultValue 15 days (the server keeps unacked messages 14). */
  readonly dedupeTtlMs?: number;
  /** @defaultValue 200000 */
  readonly dedupeMaxCount?: number;
  /** Replaces the durable snapshot write (tests inject failures). */
  readonly write?: (path: string, data: string) => Promise<void>;
  /** Replaces the durable journal append (tests inject failures). */
  readonly append?: AppendFn;
  /** Journal lines (group commits) after which the snapshot is rewritten. @defaultValue 5000 */
  readonly compactAfterLines?: number;
}

export interface QueueStore {
  /** Takes new messages in; resolves once they are durable. Ids seen before come back as duplicates. */
  enqueueMany(items: readonly NewJob[]): Promise<{ accepted: string[]; duplicates: string[] }>;
  /** Jobs due now (and accepted by `filter`), marked `delivering` under a lease; expired leases are reclaimed first. */
  claimDue(limit: number, leaseMs: number, filter?: (job: Job) => boolean): Job[];
  markForwarded(id: string): Promise<void>;
  markDispatched(id: string): Promise<void>;
  complete(id: string): Promise<void>;
  /** Records a failed attempt; resolves with the job's new state (`retry_wait` or `dead`). */
  fail(id: string, error: JobError, retryable: boolean, retryAfterMs?: number): Promise<Job>;
  pendingCount(): number;
  /** When the next job becomes due, if any is waiting. */
  nextDueAt(): number | undefined;
  list(): Job[];
  get(id: string): Job | undefined;
  deadLetters(): Job[];
  retryDead(id: string): Promise<boolean>;
  retryAllDead(): Promise<number>;
  purgeDead(id?: string): Promise<number>;
  /** Number of completed durable writes (group-commit visibility for tests and status). */
  writes(): number;
  close(): Promise<void>;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export async function openQueueStore(options: QueueStoreOptions): Promise<QueueStore> {
  const clock = options.clock ?? systemClock;
  const log = options.logger;
  const policy: TransitionPolicy = { ...options.policy, random: options.random ?? Math.random };
  const dedupeTtlMs = options.dedupeTtlMs ?? 15 * DAY_MS;
  const dedupeMaxCount = options.dedupeMaxCount ?? 200_000;
  const alarm = (a: QueueAlarm): void => {
    log.error({ alarm: a }, "queue alarm");
    options.onAlarm?.(a);
  };

  const fileAdapter =
    options.path === undefined
      ? undefined
      : createDurableFileAdapter({
          path: options.path,
          schema: QueueStateSchema,
          now: () => clock.now(),
          onCorrupt: (report) => alarm({ kind: "state_corrupt", report }),
          ...(options.write === undefined ? {} : { write: options.write }),
        });
  const db = new Low<QueueState>(fileAdapter ?? new Memory<QueueState>(), emptyQueueState());
  await db.read();
  let loaded = db.data;
  const journalPath = options.path === undefined ? undefined : `${options.path}.journal`;
  let journal: JournalFile | undefined;
  let journalLines = 0;
  let journalDamaged = false;
  if (journalPath !== undefined) {
    const replayed = await replayJournal(journalPath, loaded);
    loaded = replayed.state;
    journalLines = replayed.lines;
    if (replayed.skipped > 0) log.warn({ skipped: replayed.skipped }, "unreadable journal lines skipped (an interrupted write)");
    // Never append after a torn line: the next write folds everything into the snapshot and empties the journal.
    journalDamaged = replayed.torn || replayed.skipped > 0;
    journal = await openJournal(journalPath, options.append);
  }
  const compactAfter = options.compactAfterLines ?? 5_000;

  const jobs = new Map<string, Job>();
  const seen = new Map<string, number>(loaded.seen);
  let dead: Job[] = [...loaded.dead];
  let writeCount = 0;
  const now0 = clock.now();
  for (const job of loaded.jobs) {
    // A job that was being delivered when the daemon stopped is delivered again (at least once).
    jobs.set(job.id, job.state === "delivering" ? transition(job, { type: "lease_expired" }, now0, policy) : job);
  }

  // ---- group commit -------------------------------------------------------------------------------------------
  // What changed since the last write: only that goes into the journal.
  const dirtyJobs = new Set<string>();
  let deadDirty = false;
  let newSeen: Array<[string, number]> = [];
  /** Set after a failed append: the journal may end in a torn line, so the next write is a full snapshot. */
  let mustCompact = journal !== undefined && (journalDamaged || journalLines >= compactAfter);

  let next: Deferred | undefined;
  let writing = false;
  const snapshot = (): QueueState => ({ version: 1, jobs: [...jobs.values()], dead, seen: [...seen] });
  const changes = (): JournalLine => {
    const put: Job[] = [];
    const gone: string[] = [];
    for (const id of dirtyJobs) {
      const job = jobs.get(id);
      if (job === undefined) gone.push(id);
      else put.push(job);
    }
    return {
      ...(newSeen.length === 0 ? {} : { seen: newSeen }),
      ...(put.length === 0 ? {} : { put }),
      ...(gone.length === 0 ? {} : { gone }),
      ...(deadDirty ? { dead } : {}),
    };
  };
  const writeOnce = async (): Promise<void> => {
    if (journal === undefined || mustCompact) {
      db.data = snapshot();
      dirtyJobs.clear();
      deadDirty = false;
      newSeen = [];
      await db.write();
      if (journal !== undefined) {
        await journal.reset();
        journalLines = 0;
        mustCompact = false;
      }
      return;
    }
    const batch = changes();
    dirtyJobs.clear();
    deadDirty = false;
    newSeen = [];
    try {
      await journal.append(batch);
    } catch (err) {
      mustCompact = true;
      throw err;
    }
    journalLines += 1;
    if (journalLines >= compactAfter) mustCompact = true;
  };
  const runWrite = async (): Promise<void> => {
    const batch = next;
    next = undefined;
    if (batch === undefined) return;
    writing = true;
    try {
      await writeOnce();
      writeCount++;
      batch.resolve();
    } catch (err) {
      log.error({ err }, "queue state write failed");
      batch.reject(new ClawTellError("CT_STATE_WRITE_FAILED", "the queue state could not be written", { cause: err }));
    } finally {
      writing = false;
      if (next !== undefined) setImmediate(() => void runWrite());
    }
  };
  /** Resolves when a write that includes every mutation made so far has completed. */
  const persist = (): Promise<void> => {
    if (next === undefined) {
      next = deferred();
      if (!writing) setImmediate(() => void runWrite());
    }
    return next.promise;
  };

  // ---- helpers ----------------------------------------------------------------------------------------------------
  const putJob = (job: Job): void => {
    jobs.set(job.id, job);
    dirtyJobs.add(job.id);
  };
  const dropJob = (id: string): void => {
    jobs.delete(id);
    dirtyJobs.add(id);
  };
  const apply = (id: string, event: JobEvent): Job => {
    const job = jobs.get(id);
    if (job === undefined) throw new ClawTellError("CT_NOT_FOUND", `no queued message ${id}`);
    const updated = transition(job, event, clock.now(), policy);
    if (updated.state === "delivered") dropJob(id);
    else if (updated.state === "dead") {
      dropJob(id);
      dead.push(updated);
      deadDirty = true;
      boundDeadLetters();
    } else putJob(updated);
    return updated;
  };

  /** Dead letters being exported to the overflow file; `fail` and `close` wait for it. */
  let exporting: Promise<void> = Promise.resolve();
  const overflowPath = options.path === undefined ? undefined : `${options.path}.dead-letters.overflow.jsonl`;
  const boundDeadLetters = (): void => {
    const cutoff = clock.now() - options.policy.deadLetterRetentionDays * DAY_MS;
    const expired = dead.filter((j) => (j.deadAt ?? 0) < cutoff);
    if (expired.length > 0) log.info({ count: expired.length }, "dead letters past retention removed");
    if (expired.length > 0) deadDirty = true;
    dead = dead.filter((j) => (j.deadAt ?? 0) >= cutoff);
    const excess = dead.length - options.policy.deadLetterMaxCount;
    if (excess <= 0) return;
    const removed = dead.slice(0, excess);
    dead = dead.slice(excess);
    deadDirty = true;
    // Never a silent drop: the oldest dead letters are exported before they leave the queue.
    if (overflowPath !== undefined) {
      exporting = exporting
        .then(() => exportOverflow(overflowPath, removed))
        .catch((err: unknown) => log.error({ err }, "dead-letter export failed"));
    }
    alarm({ kind: "dead_letters_overflow", exported: removed.length, exportedTo: overflowPath ?? "(memory)" });
  };

  const pruneSeen = (now: number): void => {
    for (const [id, at] of seen) {
      if (seen.size <= dedupeMaxCount && at >= now - dedupeTtlMs) break;
      seen.delete(id);
    }
  };

  return {
    async enqueueMany(items) {
      const now = clock.now();
      const accepted: string[] = [];
      const duplicates: string[] = [];
      for (const item of items) {
        if (seen.has(item.id) || jobs.has(item.id)) {
          duplicates.push(item.id);
          continue;
        }
        seen.set(item.id, now);
        newSeen.push([item.id, now]);
        putJob({ ...item, state: "queued", attempts: 0, nextAttemptAt: now, enqueuedAt: now, updatedAt: now });
        accepted.push(item.id);
      }
      pruneSeen(now);
      try {
        await persist();
      } catch (err) {
        // Not durable, so not taken: forget them, so the server's redelivery is accepted as new.
        for (const id of accepted) {
          jobs.delete(id);
          seen.delete(id);
        }
        throw err;
      }
      return { accepted, duplicates };
    },
    claimDue(limit, leaseMs, filter) {
      const now = clock.now();
      const claimed: Job[] = [];
      for (const job of jobs.values()) {
        if (claimed.length >= limit) break;
        let current = job;
        if (current.state === "delivering" && (current.leaseUntil ?? 0) <= now) current = apply(job.id, { type: "lease_expired" });
        const due = (current.state === "queued" || current.state === "retry_wait") && current.nextAttemptAt <= now;
        if (due && (filter === undefined || filter(current))) {
          claimed.push(apply(job.id, { type: "claimed", leaseMs }));
        }
      }
      if (claimed.length > 0) void persist().catch(() => undefined); // claims need not be durable
      return claimed;
    },
    async markForwarded(id) {
      apply(id, { type: "forwarded" });
      await persist();
    },
    async markDispatched(id) {
      apply(id, { type: "dispatched" });
      await persist();
    },
    async complete(id) {
      apply(id, { type: "succeeded" });
      await persist();
    },
    async fail(id, error, retryable, retryAfterMs) {
      const updated = apply(id, {
        type: "failed",
        error,
        retryable,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
      await persist();
      await exporting;
      return updated;
    },
    pendingCount: () => jobs.size,
    nextDueAt() {
      let earliest: number | undefined;
      for (const job of jobs.values()) {
        const due = job.state === "delivering" ? (job.leaseUntil ?? 0) : job.nextAttemptAt;
        if (earliest === undefined || due < earliest) earliest = due;
      }
      return earliest;
    },
    list: () => [...jobs.values()],
    get: (id) => jobs.get(id) ?? dead.find((j) => j.id === id),
    deadLetters: () => [...dead],
    async retryDead(id) {
      const job = dead.find((j) => j.id === id);
      if (job === undefined) return false;
      dead = dead.filter((j) => j.id !== id);
      deadDirty = true;
      putJob(transition(job, { type: "retried_by_operator" }, clock.now(), policy));
      await persist();
      return true;
    },
    async retryAllDead() {
      const revived = dead;
      dead = [];
      deadDirty = true;
      for (const job of revived) putJob(transition(job, { type: "retried_by_operator" }, clock.now(), policy));
      await persist();
      return revived.length;
    },
    async purgeDead(id) {
      const before = dead.length;
      dead = id === undefined ? [] : dead.filter((j) => j.id !== id);
      deadDirty = true;
      await persist();
      return before - dead.length;
    },
    writes: () => writeCount,
    async close() {
      if (next !== undefined || writing) await persist().catch(() => undefined);
      await exporting;
      await journal?.close();
    },
  };
}

async function exportOverflow(path: string, jobs: readonly Job[]): Promise<void> {
  await appendFile(path, jobs.map((j) => `${JSON.stringify(j)}\n`).join(""), { mode: STATE_FILE_MODE });
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
