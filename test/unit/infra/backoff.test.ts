import { describe, expect, it } from "vitest";
import { jitter, reconnectDelayMs, retryDelayMs } from "../../../src/infra/index.js";

const fixed = (value: number) => () => value;

describe("backoff", () => {
  it("jitters by at most ±20 %", () => {
    expect(jitter(1000, fixed(0))).toBe(800);
    expect(jitter(1000, fixed(0.5))).toBe(1000);
    expect(jitter(1000, fixed(0.9999))).toBe(1200);
  });

  it("doubles retry delays up to the cap", () => {
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, { baseMs: 1000, capMs: 10_000, random: fixed(0.5) }));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it("grows reconnect delays by 2 s per failure up to 30 s, and is 0 without failures", () => {
    const delays = [0, 1, 2, 3, 15, 16, 40].map((n) => reconnectDelayMs(n, { capMs: 30_000, random: fixed(0.5) }));
    expect(delays).toEqual([0, 2000, 4000, 6000, 30_000, 30_000, 30_000]);
    expect(reconnectDelayMs(20, { capMs: 30_000, random: fixed(0) })).toBe(24_000);
    expect(reconnectDelayMs(20, { capMs: 30_000, random: fixed(0.9999) })).toBeGreaterThan(35_990);
    expect(reconnectDelayMs(20, { capMs: 30_000, random: fixed(0.9999) })).toBeLessThanOrEqual(36_000);
  });
});
