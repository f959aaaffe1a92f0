/**
 * Retry delays of the local queue: exponential from `backoffBaseMs`, capped at `backoffCapMs`, ±20 % jitter.
 * A `Retry-After` from the target wins when it asks for longer, but never beyond the jittered cap (a target cannot
 * park a message for a day; the attempt budget, not the target, decides when a message is given up).
 * With the defaults (5 s, 15 min, 10 attempts) a message that always fails is dead-lettered after about 36 minutes.
 */

export interface BackoffPolicy {
  /** Delay before the second attempt. @defaultValue 5000 */
  readonly backoffBaseMs: number;
  /** Longest delay between two attempts, before jitter. @defaultValue 900000 */
  readonly backoffCapMs: number;
}

/** Share of the delay added or removed at random, so that many failures do not retry in lockstep. */
export const JITTER_RATIO = 0.2;

/**
 * Delay in ms before the next attempt, after `attempt` failed ones (`attempt` ≥ 1).
 * `random` is in [0, 1): 0 gives −20 %, 0.5 the exact delay, →1 gives +20 %.
 * `retryAfterMs` (from a 429/503 `Retry-After`, already parsed from seconds or an HTTP date) is honoured when it is
 * longer, up to `backoffCapMs × 1.2`.
 */
export function nextRetryDelayMs(attempt: number, policy: BackoffPolicy, random: number, retryAfterMs?: number): number {
  const exponential = Math.min(policy.backoffCapMs, policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (1 - JITTER_RATIO + 2 * JITTER_RATIO * random);
  const wanted = retryAfterMs === undefined || !Number.isFinite(retryAfterMs) ? jittered : Math.max(jittered, retryAfterMs);
  return Math.round(Math.min(policy.backoffCapMs * (1 + JITTER_RATIO), wanted));
}
