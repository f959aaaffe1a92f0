/**
 * The delivery state machine of one queued message, as one pure function.
 *
 *   queued ──claimed──► delivering ──succeeded──► delivered (leaves the queue; its id stays in the dedupe set)
 *     ▲  ▲                  │
 *     │  │                  ├──failed, retryable, attempts left──► retry_wait ──due──► queued
 *     │  └─lease_expired────┤   (attempt counted; with no attempts left → dead)
 *     │                     └──failed, not retryable or last attempt──► dead
 *     └──────────────retried_by_operator (attempts reset)──────────────────┘
 *
 * Three effects are recorded on the job so each happens once even when delivery is retried: the 🦞 copy to the
 * human (`forwarded` → `forwardedAt`), the hand-over to the target (`dispatched` → `dispatchedAt`) and the agent's
 * answer awaiting its send (`answered` → `answer`).
 */

import { ClawTellError } from "../../infra/index.js";
import { nextRetryDelayMs, type BackoffPolicy } from "../../infra/index.js";
import type { DeliveryState, Job, JobError } from "./queue-state.js";

export type { DeliveryState, Job, JobError } from "./queue-state.js";

export type JobEvent =
  | { readonly type: "claimed"; readonly leaseMs: number }
  | { readonly type: "forwarded" }
  | { readonly type: "dispatched" }
  | { readonly type: "answered"; readonly text: string }
  | { readonly type: "succeeded" }
  | { readonly type: "failed"; readonly error: JobError; readonly retryable: boolean; readonly retryAfterMs?: number }
  | { readonly type: "lease_expired" }
  | { readonly type: "due" }
  | { readonly type: "retried_by_operator" };

export interface TransitionPolicy extends BackoffPolicy {
  /** Attempts before a message is dead-lettered. @defaultValue 10 */
  readonly maxAttempts: number;
  /** Random number in [0, 1) for jitter (injected so tests are exact). */
  readonly random: () => number;
}

/** Which events each state accepts; anything else is a bug in the caller and throws `CT_CONFLICT`. */
export const ALLOWED_EVENTS: Readonly<Record<DeliveryState, readonly JobEvent["type"][]>> = {
  queued: ["claimed", "forwarded", "dispatched", "answered"],
  delivering: ["forwarded", "dispatched", "answered", "succeeded", "failed", "lease_expired"],
  retry_wait: ["due", "forwarded", "dispatched", "answered"],
  delivered: [],
  dead: ["retried_by_operator"],
};

/** The error recorded when a delivery did not finish (the daemon stopped or a worker hung past its lease). */
export const LEASE_EXPIRED_ERROR: JobError = {
  code: "CT_TIMEOUT",
  message: "the delivery did not finish (the daemon stopped or the attempt outlived its lease)",
};

const without = <K extends keyof Job>(job: Job, ...keys: K[]): Job => {
  const copy: Partial<Job> = { ...job };
  for (const key of keys) delete copy[key];
  return copy as Job;
};

const refuse = (job: Job, event: JobEvent, why: string): ClawTellError =>
  new ClawTellError("CT_CONFLICT", `job ${job.id}: "${event.type}" ${why} (state "${job.state}")`);

/** The job after `event` at `now` (epoch ms). Pure: the caller persists the result. Throws `CT_CONFLICT` if not allowed. */
export function transition(job: Job, event: JobEvent, now: number, policy: TransitionPolicy): Job {
  if (!ALLOWED_EVENTS[job.state].includes(event.type)) throw refuse(job, event, "is not allowed");
  switch (event.type) {
    case "claimed":
      if (job.nextAttemptAt > now) throw refuse(job, event, "is not due yet");
      return { ...job, state: "delivering", leaseUntil: now + event.leaseMs, updatedAt: now };
    case "due":
      if (job.nextAttemptAt > now) throw refuse(job, event, "is not due yet");
      return { ...job, state: "queued", updatedAt: now };
    case "forwarded":
      return { ...job, forwardedAt: now, updatedAt: now };
    case "dispatched":
      return { ...job, dispatchedAt: now, updatedAt: now };
    case "answered":
      return { ...job, answer: event.text, updatedAt: now };
    case "succeeded":
      return { ...without(job, "leaseUntil"), state: "delivered", attempts: job.attempts + 1, updatedAt: now };
    case "failed": {
      const attempts = job.attempts + 1;
      const base = { ...without(job, "leaseUntil"), attempts, lastError: event.error, updatedAt: now };
      if (!event.retryable || attempts >= policy.maxAttempts) return { ...base, state: "dead", deadAt: now };
      const delayMs = nextRetryDelayMs(attempts, policy, policy.random(), event.retryAfterMs);
      return { ...base, state: "retry_wait", nextAttemptAt: now + delayMs };
    }
    case "lease_expired": {
      // The attempt may have reached the target before it was cut short, so it counts: a message that crashes the
      // daemon every time still reaches the dead letters instead of looping forever.
      const attempts = job.attempts + 1;
      const base = { ...without(job, "leaseUntil"), attempts, lastError: LEASE_EXPIRED_ERROR, updatedAt: now };
      if (attempts >= policy.maxAttempts) return { ...base, state: "dead", deadAt: now };
      return { ...base, state: "queued", nextAttemptAt: now };
    }
    case "retried_by_operator":
      return { ...without(job, "deadAt", "lastError", "leaseUntil"), state: "queued", attempts: 0, nextAttemptAt: now, updatedAt: now };
  }
}
