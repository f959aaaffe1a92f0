/**
 * Waiting times between attempts, for every room: the client's exponential retry delays, the stream's linear
 * reconnect delays and the local queue's retry delays (which honour a target's `Retry-After`), all with the same ±20 %
 * jitter so many clients do not come back in step. Pure; `random` is injected.
 */

/** Share of a delay that jitter may add or take away. */
export const JITTER_RATIO = 0.2;

/** `delayMs` moved by up to ±20 % (`random()` in [0, 1); 0.5 means no change). */
export function jitter(delayMs: number, random: () => number): number {
  return Math.round(delayMs * (1 - JITTER_RATIO + 2 * JITTER_RATIO * random()));
}

/** Delay before retry `attempt + 1` after `attempt` failures: `min(capMs, baseMs · 2^(attempt-1))` ±20 %. */
export function retryDelayMs(attempt: number, options: { baseMs: number; capMs: number; random: () => number }): number {
  return jitter(Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt - 1)), options.random);
}

/** Retry settings of the local queue (the `queue` block of an account's config). */
export interface BackoffPolicy {
  /** Delay before the second attempt. @defaultValue 5000 */
  readonly backoffBaseMs: number;
  /** Longest delay between two attempts, before jitter. @defaultValue 900000 */
  readonly backoffCapMs: number;
}

/**
 * The local queue's delay before the next attempt, after `attempt` failed ones (`attempt` ≥ 1): exponential from
 * `backoffBaseMs`, capped at `backoffCapMs`, ±20 % (`random` in [0, 1): 0 gives −20 %, 0.5 the exact delay). A
 * `Retry-After` (`retryAfterMs`, parsed by parseRetryAfter) wins when it asks for longer, but never beyond the jittered
 * cap: a target cannot park a message for a day; the attempt budget decides when a message is given up. With the
 * defaults (5 s, 15 min, 10 attempts) a message that always fails is dead-lettered after about 36 minutes.
 */
export function nextRetryDelayMs(attempt: number, policy: BackoffPolicy, random: number, retryAfterMs?: number): number {
  const exponential = Math.min(policy.backoffCapMs, policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (1 - JITTER_RATIO + 2 * JITTER_RATIO * random);
  const wanted = retryAfterMs === undefined || !Number.isFinite(retryAfterMs) ? jittered : Math.max(jittered, retryAfterMs);
  return Math.round(Math.min(policy.backoffCapMs * (1 + JITTER_RATIO), wanted));
}

/** Delay before reconnecting a stream after `failures` failures in a row: `min(stepMs · n, capMs)` ±20 %; 0 when none. */
export function reconnectDelayMs(failures: number, options: { stepMs?: number; capMs: number; random: () => number }): number {
  if (failures <= 0) return 0;
  return jitter(Math.min((options.stepMs ?? 2_000) * failures, options.capMs), options.random);
}
