/**
 * Retry delays: exponential from `backoffBaseMs`, capped at `backoffCapMs`, ±20 % jitter. A `Retry-After` from the
 * target wins when it asks for longer, up to the same cap (a target cannot park a message for a day).
 * With the defaults (5 s, 15 min) ten attempts reach the dead letters after about 36 minutes.
 */

export interface BackoffPolicy {
  /** @defaultValue 5000 */
  readonly backoffBaseMs: number;
  /** @defaultValue 900000 */
  readonly backoffCapMs: number;
}

export const JITTER_RATIO = 0.2;

/** Delay before the attempt after `attempt` failed ones (`attempt` ≥ 1). `random` is in [0, 1). */
export function nextRetryDelayMs(attempt: number, policy: BackoffPolicy, random: number, retryAfterMs?: number): number {
  const exponential = Math.min(policy.backoffCapMs, policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (1 - JITTER_RATIO + 2 * JITTER_RATIO * random);
  const wanted = retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
  return Math.round(Math.min(policy.backoffCapMs * (1 + JITTER_RATIO), wanted));
}
