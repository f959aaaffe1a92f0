/**
 * The delivery state machine of one queued message, as one pure function.
 *
 *   queued ──claimed──► delivering ──succeeded──► delivered (removed; its id stays in the dedupe set)
 *     ▲                     │
 *     │                     ├─failed, retryable, attempts left──► retry_wait ──due──► (claimable again)
 *     │                     ├─failed, not retryable or budget spent──► dead
 *     └──lease_expired──────┘           dead ──retried_by_operator──► queued (attempts reset)
 *
 * Two effects are tracked on the job so each happens once even when the job is retried: the 🦞 forward to the human
 * (`forwardedAt`) and the hand-over to the target (`dispatchedAt`).
 */

import type { Job, JobError } from "./queue-state.js";
import { nextRetryDelayMs, type BackoffPolicy } from "./backoff.js";

export type DeliveryState = Job["state"];
export type { Job, JobError } from "./queue-state.js";

export type JobEvent =
  | { readonly type: "claimed"; readonly leaseMs: number }
  | { readonly type: "forwarded" }
  | { readonly type: "dispatched" }
  | { readonly type: "succeeded" }
  | { readonly type: "failed"; readonly error: JobError; readonly retryable: boolean; readonly retryAfterMs?: number }
  | { readonly type: "lease_expired" }
  | { readonly type: "retried_by_operator" };

export interface TransitionPolicy extends BackoffPolicy {
  readonly maxAttempts: number;
  /** Random number in [0, 1) for jitter. */
  readonly random: () => number;
}

export class InvalidTransitionError extends Error {
  constructor(job: Job, event: JobEvent) {
    super(`job ${job.id}: "${event.type}" is not allowed in state "${job.state}"`);
    this.name = "InvalidTransitionError";
  }
}

const without = <K extends keyof Job>(job: Job, key: K): Job => {
  const copy: Partial<Job> = { ...job };
  delete copy[key];
  return copy as Job;
};

export function transition(job: Job, event: JobEvent, now: number, policy: TransitionPolicy): Job {
  const allowed: Record<JobEvent["type"], readonly DeliveryState[]> = {
    claimed: ["queued", "retry_wait"],
    forwarded: ["delivering"],
    dispatched: ["delivering"],
    succeeded: ["delivering"],
    failed: ["delivering"],
    lease_expired: ["delivering"],
    retried_by_operator: ["dead"],
  };
  if (!allowed[event.type].includes(job.state)) throw new InvalidTransitionError(job, event);

  switch (event.type) {
    case "claimed":
      if (job.nextAttemptAt > now) throw new InvalidTransitionError(job, event);
      return { ...job, state: "delivering", leaseUntil: now + event.leaseMs, updatedAt: now };
    case "forwarded":
      return { ...job, forwardedAt: now, updatedAt: now };
    case "dispatched":
      return { ...job, dispatchedAt: now, updatedAt: now };
    case "succeeded":
      return { ...without(job, "leaseUntil"), state: "delivered", attempts: job.attempts + 1, updatedAt: now };
    case "failed": {
      const attempts = job.attempts + 1;
      const base = { ...without(job, "leaseUntil"), attempts, lastError: event.error, updatedAt: now };
      if (!event.retryable || attempts >= policy.maxAttempts) return { ...base, state: "dead", deadAt: now };
      const delay = nextRetryDelayMs(attempts, policy, policy.random(), event.retryAfterMs);
      return { ...base, state: "retry_wait", nextAttemptAt: now + delay };
    }
    case "lease_expired":
      return { ...without(job, "leaseUntil"), state: "queued", nextAttemptAt: now, updatedAt: now };
    case "retried_by_operator": {
      const revived = without(without(job, "deadAt"), "lastError");
      return { ...revived, state: "queued", attempts: 0, nextAttemptAt: now, updatedAt: now };
    }
  }
}
