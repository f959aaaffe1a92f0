/**
 * Retrying a call the way a well-behaved client does: only retryable failures (network, timeouts, 5xx, 429), waiting
 * `Retry-After` when the server gives one, otherwise exponential backoff with jitter. Abortable.
 * Note: the API has no idempotency key, so a send retried after a timeout may be delivered twice.
 */

import { ClawTellError, isClawTellError, systemClock, type Clock } from "../infra/index.js";

export interface RetryPolicy {
  /** @defaultValue 4 */
  readonly attempts?: number;
  /** @defaultValue 1000 */
  readonly baseDelayMs?: number;
  /** @defaultValue 30000 */
  readonly maxDelayMs?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
}

export async function withRetry<T>(call: (attempt: number) => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const attempts = policy.attempts ?? 4;
  const base = policy.baseDelayMs ?? 1000;
  const cap = policy.maxDelayMs ?? 30_000;
  const clock = policy.clock ?? systemClock;
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      const retryable = isClawTellError(err) ? err.retryable : false;
      if (!retryable || attempt >= attempts || policy.signal?.aborted === true) throw err;
      const backoff = Math.min(cap, base * 2 ** (attempt - 1)) * (0.8 + 0.4 * random());
      const wait = isClawTellError(err) && err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, cap * 10) : backoff;
      try {
        await clock.sleep(wait, policy.signal);
      } catch (abortErr) {
        throw new ClawTellError("CT_ABORTED", "retry aborted", { cause: abortErr });
      }
    }
  }
}
