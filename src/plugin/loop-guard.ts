/**
 * Loop guard: two agents that both answer automatically can keep answering each other forever, burning their
 * models' budgets (a common complaint with agent-to-agent messaging). Each name of an account may send at most
 * `maxReplies` automatic replies to one sender within a sliding window of `windowSeconds`; over it, the answer is held
 * back and the human is told once per window. Counts live in memory: a restart starts them afresh.
 */

import type { LoopGuardConfig } from "../config/index.js";
import type { Clock } from "../infra/index.js";

export interface LoopGuard {
  /**
   * Whether one more automatic reply from `from` to `to` is within the limit; when it is, it is counted. Answers
   * `"allowed"`, `"held"` (over the limit), or `"held-first"` (over the limit, first time in this window: tell the
   * human).
   */
  take(accountId: string, from: string, to: string, config: LoopGuardConfig): "allowed" | "held" | "held-first";
}

/** Above this many pairs, those with nothing in their window are forgotten. */
const SWEEP_ABOVE_PAIRS = 1_000;

export function createLoopGuard(clock: Clock): LoopGuard {
  /** Pair → times of its counted replies (oldest first), and when the human was last told. */
  const pairs = new Map<string, { sent: number[]; toldAt?: number }>();
  const sweep = (now: number, windowMs: number): void => {
    for (const [key, pair] of pairs) {
      const last = Math.max(pair.sent.at(-1) ?? 0, pair.toldAt ?? 0);
      if (last <= now - windowMs) pairs.delete(key);
    }
  };
  return {
    take(accountId, from, to, config) {
      if (config.maxReplies === 0) return "allowed";
      const now = clock.now();
      const windowMs = config.windowSeconds * 1000;
      if (pairs.size > SWEEP_ABOVE_PAIRS) sweep(now, windowMs);
      const key = JSON.stringify([accountId, from, to]);
      const pair = pairs.get(key) ?? { sent: [] };
      pairs.set(key, pair);
      while (pair.sent.length > 0 && (pair.sent[0] ?? 0) <= now - windowMs) pair.sent.shift();
      if (pair.sent.length < config.maxReplies) {
        pair.sent.push(now);
        return "allowed";
      }
      if (pair.toldAt !== undefined && pair.toldAt > now - windowMs) return "held";
      pair.toldAt = now;
      return "held-first";
    },
  };
}
