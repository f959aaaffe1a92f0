/**
 * The operator's view of the local queues, shared by `clawtell queue …` and `openclaw clawtell queue …`: where each
 * account's queue file is, what it holds (read-only, safe while a daemon runs), and dead-letter retry / purge —
 * through the running daemon when there is one, else on the file itself (under its lock).
 */

import { readdir } from "node:fs/promises";
import { ClawTellError, createSilentLogger, isClawTellError, isoOf, shorten } from "../infra/index.js";
import { NO_ANSWER, requestFromDaemon, type LiveAccountStatus } from "./requests.js";
import { openQueueStore, queueFileOf, queueLockHolder, type Job, type QueuePolicy } from "../daemon/index.js";

/** One account's queue: its id and the folder its file lives in. */
export interface QueueLocation {
  readonly accountId: string;
  readonly stateDir: string;
}

export interface QueueContents extends QueueLocation {
  readonly pending: readonly Job[];
  readonly dead: readonly Job[];
}

/** Limits only matter for changes; an operator never lets the queue itself drop letters. */
const OPERATOR_POLICY: QueuePolicy = { maxAttempts: 10, backoffBaseMs: 5000, backoffCapMs: 900_000, deadLetterMaxCount: 1_000_000, deadLetterRetentionDays: 36_500 };

/**
 * The queues to look at: each configured account in its own folder (or `defaultStateDir`), plus any queue file found
 * in `defaultStateDir` for an account no longer configured; only `onlyAccount` when given.
 */
export async function locateQueues(defaultStateDir: string, configured: readonly { accountId: string; stateDir?: string }[], onlyAccount?: string): Promise<QueueLocation[]> {
  const found = new Map<string, QueueLocation>();
  for (const a of configured) found.set(a.accountId, { accountId: a.accountId, stateDir: a.stateDir ?? defaultStateDir });
  const files = await readdir(defaultStateDir).catch(() => [] as string[]);
  for (const file of files) {
    const accountId = /^queue-(.+)\.json(?:\.journal)?$/.exec(file)?.[1];
    if (accountId !== undefined && !found.has(accountId)) found.set(accountId, { accountId, stateDir: defaultStateDir });
  }
  const all = [...found.values()];
  if (onlyAccount === undefined) return all;
  return [all.find((l) => l.accountId === onlyAccount) ?? { accountId: onlyAccount, stateDir: defaultStateDir }];
}

/** What each queue holds, read without taking or changing anything. */
export async function readQueues(locations: readonly QueueLocation[]): Promise<QueueContents[]> {
  const contents: QueueContents[] = [];
  for (const location of locations) {
    const store = await openQueueStore({ path: queueFileOf(location.stateDir, location.accountId), policy: OPERATOR_POLICY, logger: createSilentLogger(), readOnly: true });
    contents.push({ ...location, pending: store.list(), dead: store.deadLetters() });
    await store.close();
  }
  return contents;
}

/** A queued message or dead letter by id, with the account it belongs to. */
export async function findJob(locations: readonly QueueLocation[], messageId: string): Promise<{ accountId: string; job: Job } | undefined> {
  for (const queue of await readQueues(locations)) {
    const job = [...queue.pending, ...queue.dead].find((j) => j.id === messageId);
    if (job !== undefined) return { accountId: queue.accountId, job };
  }
  return undefined;
}

/** The running account's own view (transport, connection, queue), when a live daemon on its folder runs it. */
export async function askRunningAccount(location: QueueLocation, timeoutMs = 3000): Promise<{ pid: number; status: LiveAccountStatus } | undefined> {
  // The process running an account holds its queue file's lock; nobody else is asked.
  const pid = await queueLockHolder(queueFileOf(location.stateDir, location.accountId));
  if (pid === undefined) return undefined;
  const answer = await requestFromDaemon(location.stateDir, { op: "status", accountId: location.accountId }, timeoutMs);
  return answer.ok && answer.status !== undefined ? { pid, status: answer.status } : undefined;
}

export interface DeadLetterChange {
  /** How many letters were queued again or deleted. */
  readonly count: number;
  /** Whether a running daemon carried it out (else the file was changed and the next daemon delivers). */
  readonly live: boolean;
}

/** Retries or purges dead letters (one id, or all) in each location. */
export async function changeDeadLetters(locations: readonly QueueLocation[], op: "retry" | "purge", messageId?: string): Promise<DeadLetterChange> {
  let count = 0;
  let live = false;
  for (const location of locations) {
    // The file's lock says who may change it: free → change it here; held by a running daemon → ask that daemon.
    const path = queueFileOf(location.stateDir, location.accountId);
    const holder = await queueLockHolder(path);
    const store = holder !== undefined
      ? undefined
      : await openQueueStore({ path, policy: OPERATOR_POLICY, logger: createSilentLogger() }).catch((err: unknown) => {
          if (isClawTellError(err) && err.code === "CT_CONFLICT") return undefined;
          throw err;
        });
    if (store === undefined) {
      live = true;
      const result = await requestFromDaemon(location.stateDir, { op, accountId: location.accountId, ...(messageId === undefined ? {} : { messageId }) });
      if (!result.ok) {
        const why = result.error === NO_ANSWER ? `the queue file is in use by process ${holder ?? "?"}, which did not answer; try again when it has finished` : (result.error ?? "the daemon refused the request");
        throw new ClawTellError("CT_CONFLICT", `account "${location.accountId}": ${why}`);
      }
      count += result.count;
      continue;
    }
    try {
      if (op === "purge") count += await store.purgeDead(messageId);
      else count += messageId === undefined ? await store.retryAllDead() : (await store.retryDead(messageId)) ? 1 : 0;
    } finally {
      await store.close();
    }
  }
  if (messageId !== undefined && count === 0) throw new ClawTellError("CT_NOT_FOUND", `no dead letter ${messageId}`);
  return { count, live };
}

/** Column titles of {@link jobRow}. */
export const JOB_TABLE_HEADERS = ["id", "account", "to", "from", "state", "tries", "next/dead at", "last error"] as const;

/** One queued message or dead letter as a table row. */
export function jobRow(accountId: string, job: Job): string[] {
  return [
    job.id,
    accountId,
    `tell/${job.recipient}`,
    job.message.from,
    job.state,
    String(job.attempts),
    job.state === "dead" ? isoOf(job.deadAt) : isoOf(job.nextAttemptAt),
    shorten(job.lastError?.message ?? "", 50),
  ];
}
