/**
 * The one implementation of the `QueueStore` port (queue-port.ts), over a persistence (file or memory). State lives
 * in memory; every change is written through group commit, and every change's promise settles only once a durable
 * write containing it has completed — so the caller may ack the server after `enqueueMany` resolves.
 */

import { ClawTellError } from "../../infra/index.js";
import { createDeadLetterShelf } from "./dead-letters.js";
import { transition, type JobEvent, type TransitionPolicy } from "./delivery-state.js";
import { createGroupCommit } from "./group-commit.js";
import type { QueuePersistence } from "./persistence.js";
import { DEFAULT_QUEUE_POLICY, type QueueAlarm, type QueueStore, type QueueStoreOptions } from "./queue-port.js";
import type { Job, QueueState } from "./queue-state.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** A dead letter an operator retries is routed again by the current config (its route may be what was fixed). */
function unrouted(job: Job): Job {
  const { route: _route, ...rest } = job;
  return rest;
}

/** Builds the store over the state `persistence` loaded. Only the daemon's process may write through it. */
export function createQueueStore(persistence: QueuePersistence, options: QueueStoreOptions): QueueStore {
  const { clock, logger: log } = options;
  const limits = options.policy ?? DEFAULT_QUEUE_POLICY;
  const policy: TransitionPolicy = { ...limits, random: options.random ?? Math.random };
  const dedupeTtlMs = options.dedupeTtlMs ?? 15 * DAY_MS;
  const dedupeMaxCount = options.dedupeMaxCount ?? 200_000;
  const loaded = persistence.loaded;

  const jobs = new Map<string, Job>();
  const seen = new Map<string, number>(loaded.seen);
  const shelf = createDeadLetterShelf(loaded.dead, () => limits, options.overflowPath, log);
  /** Taken in, write not yet confirmed: not claimable (it might still be given back). */
  const unconfirmed = new Set<string>();
  const dirty = new Set<string>();
  let newSeen: Array<[string, number]> = [];
  /** A write failed: what it carried is only in memory until the next write succeeds. */
  let unwritten = false;
  let closed = false;

  const toDead = (job: Job): void => {
    shelf.add(job);
    options.onDeadLetter?.(job);
  };
  /** Stores the result of a transition: pending jobs stay in the map, finished ones leave it. */
  const place = (job: Job): void => {
    if (job.state === "delivered" || job.state === "dead") {
      jobs.delete(job.id);
      if (job.state === "dead") toDead(job);
    } else jobs.set(job.id, job);
    dirty.add(job.id);
  };

  const now0 = clock.now();
  for (const job of loaded.jobs) {
    // A job that was being delivered when the daemon stopped is delivered again (at least once); the cut-short
    // attempt counts.
    if (job.state === "delivering" && options.readOnly !== true) place(transition(job, { type: "lease_expired" }, now0, policy));
    else jobs.set(job.id, job);
  }
  shelf.expire(now0);

  const alarm = (a: QueueAlarm): void => {
    log.error({ alarm: a }, "queue alarm");
    options.onAlarm?.(a);
  };
  const snapshot = (): QueueState => ({ version: 1, jobs: [...jobs.values()], dead: shelf.list(), seen: [...seen] });
  const commit = createGroupCommit(async () => {
    try {
      await flush();
      unwritten = false;
    } catch (err) {
      unwritten = true;
      log.error({ err }, "queue state write failed");
      throw err;
    }
  });
  async function flush(): Promise<void> {
    // Letters pushed off the shelf reach the overflow file before the write that forgets them.
    const overflow = await shelf.exportOverflow();
    const put: Job[] = [];
    const gone: string[] = [];
    for (const id of dirty) {
      const job = jobs.get(id);
      if (job === undefined) gone.push(id);
      else put.push(job);
    }
    const changes = {
      ...(newSeen.length === 0 ? {} : { seen: newSeen }),
      ...(put.length === 0 ? {} : { put }),
      ...(gone.length === 0 ? {} : { gone }),
      ...shelf.takeChanges(),
    };
    dirty.clear();
    newSeen = [];
    if (overflow !== undefined) alarm({ kind: "dead_letters_overflow", exported: overflow.ids.length, exportedTo: overflow.exportedTo ?? "(nowhere: in-memory queue)", ids: overflow.ids });
    await persistence.write(changes, snapshot);
  }
  const open = (): void => {
    if (closed) throw new ClawTellError("CT_INTERNAL", "the queue is closed");
  };
  const apply = (id: string, event: JobEvent): Job => {
    open();
    const job = jobs.get(id);
    if (job === undefined) throw new ClawTellError("CT_NOT_FOUND", `no queued message ${id}`);
    const updated = transition(job, event, clock.now(), policy);
    place(updated);
    return updated;
  };
  const pruneSeen = (now: number): void => {
    for (const [id, at] of seen) {
      if (seen.size <= dedupeMaxCount && at >= now - dedupeTtlMs) break;
      seen.delete(id);
    }
  };
  let lastExpiryAt = now0;
  /** The write that carries the latest claims (settled once they are durable). */
  let claimWrite: Promise<void> = Promise.resolve();

  return {
    async enqueueMany(items) {
      open();
      const now = clock.now();
      pruneSeen(now);
      const accepted: string[] = [];
      const duplicates: string[] = [];
      for (const item of items) {
        if (seen.has(item.id) || jobs.has(item.id) || shelf.has(item.id)) {
          duplicates.push(item.id);
          continue;
        }
        seen.set(item.id, now);
        newSeen.push([item.id, now]);
        const { id, accountId, recipient, routeKey, route, message } = item;
        place({ id, accountId, recipient, routeKey, ...(route === undefined ? {} : { route }), message, state: "queued", attempts: 0, nextAttemptAt: now, enqueuedAt: now, updatedAt: now });
        unconfirmed.add(id);
        accepted.push(id);
      }
      try {
        await commit.request();
      } catch (err) {
        // Not durable, so not taken: forget them, so that the server's redelivery is taken as new. (They were never
        // claimable, and the failed write makes the next one a full snapshot without them.)
        const forget = new Set(accepted);
        for (const id of accepted) {
          jobs.delete(id);
          seen.delete(id);
          dirty.add(id);
        }
        newSeen = newSeen.filter(([id]) => !forget.has(id));
        throw err;
      } finally {
        for (const id of accepted) unconfirmed.delete(id);
      }
      return { accepted, duplicates };
    },
    claimDue(limit, leaseMs, filter) {
      open();
      const now = clock.now();
      let changed = false;
      if (now - lastExpiryAt >= 60_000) {
        lastExpiryAt = now;
        changed = shelf.expire(now) > 0;
      }
      const claimed: Job[] = [];
      for (const job of [...jobs.values()]) {
        if (claimed.length >= limit) break;
        let current = job;
        if (current.state === "delivering" && (current.leaseUntil ?? 0) <= now) {
          current = apply(job.id, { type: "lease_expired" });
          changed = true;
        }
        if (current.state === "retry_wait" && current.nextAttemptAt <= now) {
          current = apply(job.id, { type: "due" });
          changed = true;
        }
        if (current.state !== "queued" || current.nextAttemptAt > now || unconfirmed.has(job.id)) continue;
        if (filter !== undefined && !filter(current)) continue;
        claimed.push(apply(job.id, { type: "claimed", leaseMs }));
        changed = true;
      }
      if (changed) {
        claimWrite = commit.request();
        claimWrite.catch(() => undefined);
      }
      return claimed;
    },
    claimsWritten: () => claimWrite,
    async markForwarded(id) {
      apply(id, { type: "forwarded" });
      await commit.request();
    },
    async markDispatched(id) {
      apply(id, { type: "dispatched" });
      await commit.request();
    },
    async markAnswered(id, text) {
      apply(id, { type: "answered", text });
      await commit.request();
    },
    async complete(id) {
      apply(id, { type: "succeeded" });
      await commit.request();
    },
    async fail(id, error, retryable, retryAfterMs) {
      const updated = apply(id, { type: "failed", error, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
      await commit.request();
      return updated;
    },
    lastTaken() {
      let last: string | undefined;
      for (const id of seen.keys()) last = id;
      return last;
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
    list(filter) {
      if (filter?.state === "dead") return shelf.list();
      const all = [...jobs.values()];
      return filter?.state === undefined ? all : all.filter((j) => j.state === filter.state);
    },
    get: (id) => jobs.get(id) ?? shelf.get(id),
    deadLetters: () => shelf.list(),
    async retryDead(id) {
      open();
      const job = shelf.remove(id);
      if (job === undefined) return false;
      place(unrouted(transition(job, { type: "retried_by_operator" }, clock.now(), policy)));
      await commit.request();
      return true;
    },
    async retryAllDead() {
      open();
      const letters = shelf.list();
      for (const job of letters) {
        shelf.remove(job.id);
        place(unrouted(transition(job, { type: "retried_by_operator" }, clock.now(), policy)));
      }
      await commit.request();
      return letters.length;
    },
    async purgeDead(id) {
      open();
      const ids = id === undefined ? shelf.list().map((j) => j.id) : shelf.has(id) ? [id] : [];
      for (const each of ids) shelf.remove(each);
      if (ids.length > 0) await commit.request();
      return ids.length;
    },
    writes: () => persistence.writes(),
    async close() {
      if (closed) return;
      await commit.idle();
      if (unwritten || dirty.size > 0 || newSeen.length > 0) await commit.request().catch((err: unknown) => log.error({ err }, "queue state could not be written at close"));
      closed = true;
      await persistence.close();
    },
  };
}
