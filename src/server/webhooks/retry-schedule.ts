/**
 * When a failed webhook delivery is tried again: after 10 s, 1 min, 5 min, 30 min, 2 h, 5 h and 10 h (each ±20 %, so
 * that many deliveries to one receiver do not come back in step): 8 attempts over about 18 hours, then the delivery
 * has failed. A `Retry-After` asking for longer (on 429 or 503) is honoured, up to the longest step.
 */

import { jitter } from "../../infra/index.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The wait after the n-th failed attempt (index n − 1). */
export const RETRY_DELAYS_MS: readonly number[] = [10 * SECOND, MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR];

/** Attempts before a delivery has failed: the first and one per step. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/**
 * How long to wait after `attempts` failed attempts (≥ 1), or undefined when none is left. `random` in [0, 1): 0.5 is
 * the step itself.
 */
export function retryDelayAfter(attempts: number, random: () => number, retryAfterMs?: number): number | undefined {
  const step = RETRY_DELAYS_MS[attempts - 1];
  if (step === undefined) return undefined;
  const delay = jitter(step, random);
  const longest = RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1] ?? step;
  return retryAfterMs === undefined || retryAfterMs <= delay ? delay : Math.min(retryAfterMs, longest);
}
