/**
 * Waiting times between attempts: exponential retry delays and the stream's linear reconnect delays, both with ±20 %
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

/** Delay before reconnecting a stream after `failures` failures in a row: `min(stepMs · n, capMs)` ±20 %; 0 when none. */
export function reconnectDelayMs(failures: number, options: { stepMs?: number; capMs: number; random: () => number }): number {
  if (failures <= 0) return 0;
  return jitter(Math.min((options.stepMs ?? 2_000) * failures, options.capMs), options.random);
}
