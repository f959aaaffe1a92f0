import { describe, expect, it } from "vitest";
import { JITTER_RATIO, nextRetryDelayMs } from "../../../src/daemon/queue/index.js";
import { TEST_POLICY } from "../../helpers/jobs.js";

describe("retry backoff", () => {
  it("doubles from 5 s up to the 15 min cap", () => {
    const waits = Array.from({ length: 12 }, (_, i) => nextRetryDelayMs(i + 1, TEST_POLICY, 0.5));
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 900_000, 900_000, 900_000, 900_000]);
  });

  it("stays within ±20 % jitter, reaching both ends", () => {
    expect(JITTER_RATIO).toBe(0.2);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0)).toBe(4_000);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.999_999)).toBe(6_000);
    expect(nextRetryDelayMs(12, TEST_POLICY, 0)).toBe(720_000);
    expect(nextRetryDelayMs(12, TEST_POLICY, 0.999_999)).toBe(1_080_000);
    for (let i = 0; i < 200; i++) {
      const attempt = 1 + (i % 10);
      const exact = nextRetryDelayMs(attempt, TEST_POLICY, 0.5);
      const jittered = nextRetryDelayMs(attempt, TEST_POLICY, Math.random());
      expect(jittered).toBeGreaterThanOrEqual(Math.floor(exact * 0.8));
      expect(jittered).toBeLessThanOrEqual(Math.ceil(exact * 1.2));
    }
  });

  it("spreads retries: different random draws give different delays", () => {
    const delays = new Set([0, 0.25, 0.5, 0.75].map((r) => nextRetryDelayMs(3, TEST_POLICY, r)));
    expect(delays.size).toBe(4);
  });

  it("waits for a longer Retry-After, ignores a shorter one, and never beyond the jittered cap", () => {
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.5, 60_000)).toBe(60_000);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.5, 1_000)).toBe(5_000);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.5, 10 * 60 * 60_000)).toBe(1_080_000);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.5, Number.NaN)).toBe(5_000);
  });

  it("follows the policy it is given", () => {
    expect(nextRetryDelayMs(3, { backoffBaseMs: 1_000, backoffCapMs: 3_000 }, 0.5)).toBe(3_000);
    expect(nextRetryDelayMs(2, { backoffBaseMs: 1_000, backoffCapMs: 3_000 }, 0.5)).toBe(2_000);
  });
});
