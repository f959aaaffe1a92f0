import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../../src/infra/index.js";

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("7", 0)).toBe(7000);
    expect(parseRetryAfter(" 0 ", 0)).toBe(0);
    expect(parseRetryAfter(["3", "9"], 0)).toBe(3000);
    expect(parseRetryAfter("1.25", 0)).toBe(1250);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(parseRetryAfter(new Date(now + 6000).toUTCString(), now)).toBe(6000);
    expect(parseRetryAfter(new Date(now - 6000).toUTCString(), now)).toBe(0);
  });

  it("gives undefined for a missing or unreadable header (never NaN)", () => {
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter("", 0)).toBeUndefined();
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter("-5", 0)).toBeUndefined();
  });
});
