/**
 * Retrying a call the way a well-behaved client does: only retryable failures (network, timeouts, 5xx, 429); never a
 * 4xx. On 429 the server's `Retry-After` is honoured (never retried sooner); otherwise exponential backoff with jitter.
 * Abortable. Sends: the API has no idempotency key, so a send retried after a timeout or a lost answer may be
 * delivered twice; callers that cannot tolerate that should use `attempts: 1`.
 */

import { ClawTellError, isClawTellError, systemClock, type Clock } from "../infra/index.js";
import { retryDelayMs } from "../infra/index.js";

/** How often and how patiently `withRetry` tries. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @defaultValue 4 */
  readonly attempts?: number;
  /** Delay after the first failure; doubles each time. @defaultValue 1000 */
  readonly baseDelayMs?: number;
  /** Cap of the backoff delay. @defaultValue 30000 */
  readonly maxDelayMs?: number;
  /**
   * Longest `Retry-After` we are willing to wait inside this call. A server asking for longer gets its error thrown
   * at once (with `retryAfterMs`), so a durable queue can schedule the retry instead of holding the caller.
   * @defaultValue 60000
   */
  readonly maxRetryAfterMs?: number;
  readonly clock?: Clock;
  /** Source of jitter in [0, 1). @defaultValue Math.random */
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  /** Told before each wait (for logs and counters). */
  readonly onRetry?: (info: { readonly attempt: number; readonly waitMs: number; readonly error: ClawTellError }) => void;
}

/** Calls `call(attempt)` until it succeeds, fails for good, or the attempts run out; rethrows the last error. */
export async function withRetry<T>(call: (attempt: number) => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 4);
  const clock = policy.clock ?? systemClock;
  const random = policy.random ?? Math.random;
  const maxRetryAfterMs = policy.maxRetryAfterMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    if (policy.signal?.aborted === true) throw new ClawTellError("CT_ABORTED", "retry aborted", { cause: policy.signal.reason });
    try {
      return await call(attempt);
    } catch (err) {
      if (!isClawTellError(err) || !err.retryable || attempt >= attempts) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfterMs) throw err;
      const backoff = retryDelayMs(attempt, { baseMs: policy.baseDelayMs ?? 1000, capMs: policy.maxDelayMs ?? 30_000, random });
      const waitMs = err.retryAfterMs ?? backoff;
      policy.onRetry?.({ attempt, waitMs, error: err });
      try {
        await clock.sleep(waitMs, policy.signal);
      } catch (abortErr) {
        throw new ClawTellError("CT_ABORTED", "retry aborted", { cause: abortErr });
      }
    }
  }
}
