/**
 * The `QueueStore` port: what the daemon pipeline calls (receiver → enqueue, delivery workers → claim/complete/fail,
 * operator → dead letters), its options, policy and alarms. Implemented by queue-store.ts over a file or memory.
 */

import type { Clock, Logger } from "../../infra/index.js";
import type { Message } from "../../protocol/index.js";
import type { DeadLetterLimits } from "./dead-letters.js";
import type { CorruptFileReport } from "./durable-file-adapter.js";
import type { DeliveryState, Job, JobError, JobRoute } from "./queue-state.js";

/** Retry and retention settings (the `queue` block of an account's config). */
export interface QueuePolicy extends DeadLetterLimits {
  /** @defaultValue 10 */
  readonly maxAttempts: number;
  /** @defaultValue 5000 */
  readonly backoffBaseMs: number;
  /** @defaultValue 900000 */
  readonly backoffCapMs: number;
}

export const DEFAULT_QUEUE_POLICY: QueuePolicy = {
  maxAttempts: 10,
  backoffBaseMs: 5_000,
  backoffCapMs: 900_000,
  deadLetterMaxCount: 1_000,
  deadLetterRetentionDays: 30,
};

/** Something the queue did on its own that a human must hear about. */
export type QueueAlarm =
  | { readonly kind: "state_corrupt"; readonly report: CorruptFileReport }
  | { readonly kind: "dead_letters_overflow"; readonly exported: number; readonly exportedTo: string; readonly ids: readonly string[] };

/** A message to take in, already routed. */
export interface NewJob {
  readonly id: string;
  readonly accountId: string;
  readonly recipient: string;
  readonly routeKey: string;
  /** The route resolved at intake, carried to delivery. */
  readonly route?: JobRoute;
  readonly message: Message;
}

export interface QueueStoreOptions {
  /** @defaultValue DEFAULT_QUEUE_POLICY */
  readonly policy?: QueuePolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Random number in [0, 1) for backoff jitter. @defaultValue Math.random */
  readonly random?: () => number;
  readonly onAlarm?: (alarm: QueueAlarm) => void;
  /** Called once for every job that becomes a dead letter, however it got there (for the one human alert). */
  readonly onDeadLetter?: (job: Job) => void;
  /** How long ids are remembered for dedupe. @defaultValue 15 days (the server keeps unacked messages 14) */
  readonly dedupeTtlMs?: number;
  /** Most ids remembered; the oldest are forgotten first. @defaultValue 200000 */
  readonly dedupeMaxCount?: number;
  /** Where dead letters pushed off a full shelf are exported. */
  readonly overflowPath?: string;
  /** A view for readers beside the daemon: jobs are shown as stored (an interrupted delivery stays `delivering`). */
  readonly readOnly?: boolean;
}

export interface QueueStore {
  /**
   * Takes routed messages in; resolves once they are durable (then ack them, duplicates included). Ids seen before
   * (queued, dead, or delivered within the dedupe window) come back as duplicates. Rejects with
   * `CT_STATE_WRITE_FAILED` when the disk refuses; the messages are then NOT taken (do not ack them).
   */
  enqueueMany(items: readonly NewJob[]): Promise<{ accepted: string[]; duplicates: string[] }>;
  /**
   * Up to `limit` jobs due now (in enqueue order, accepted by `filter`), marked `delivering` for `leaseMs`. Jobs whose
   * lease expired are first put back (their attempt counted). Claims are written in the background: await
   * `claimsWritten()` before handing a claimed job to its target.
   */
  claimDue(limit: number, leaseMs: number, filter?: (job: Job) => boolean): Job[];
  /**
   * Resolves once every claim made so far is durable (its attempt then counts even if the process dies during the
   * delivery); rejects with `CT_STATE_WRITE_FAILED` when the disk refuses.
   */
  claimsWritten(): Promise<void>;
  /** Records that the 🦞 copy reached the human, so it is never sent again. */
  markForwarded(id: string): Promise<void>;
  /** Records that the target took the message while something else is still owed. */
  markDispatched(id: string): Promise<void>;
  /** Keeps the agent's answer until its reply is sent (see `Job.answer`); resolves once durable. */
  markAnswered(id: string, text: string): Promise<void>;
  /** The attempt succeeded: the job leaves the queue (its id stays in the dedupe set). */
  complete(id: string): Promise<void>;
  /** Records a failed attempt; resolves with the job's new state (`retry_wait` or `dead`). */
  fail(id: string, error: JobError, retryable: boolean, retryAfterMs?: number): Promise<Job>;
  /**
   * The id of the message taken in last (durably), while the dedupe set remembers it: a restarted receiver resumes
   * after it, so the server hands on at once what was sent to the process that died.
   */
  lastTaken(): string | undefined;
  /** Jobs not yet delivered (queued, delivering, retry_wait). */
  pendingCount(): number;
  /** Epoch ms at which the next job becomes claimable (lease ends included); `undefined` when the queue is empty. */
  nextDueAt(): number | undefined;
  /** Pending jobs in claim order, or only those in `state` (`dead` lists the dead letters). */
  list(filter?: { readonly state?: DeliveryState }): Job[];
  /** A pending job or dead letter. */
  get(id: string): Job | undefined;
  /** Dead letters, oldest first. */
  deadLetters(): Job[];
  /** Puts one dead letter back in the queue with its attempts reset; false when there is no such letter. */
  retryDead(id: string): Promise<boolean>;
  retryAllDead(): Promise<number>;
  /** Deletes one dead letter, or all of them; resolves with how many. */
  purgeDead(id?: string): Promise<number>;
  /** Completed durable writes (group-commit visibility for tests and status). */
  writes(): number;
  /** Writes what is still unwritten and releases the files. */
  close(): Promise<void>;
}
