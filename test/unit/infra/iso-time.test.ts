import { describe, expect, it } from "vitest";
import { isoTime } from "../../../src/infra/index.js";

describe("isoTime", () => {
  it("writes what toISOString writes, within a second, across seconds and back again", () => {
    const start = Date.UTC(2026, 11, 6, 21, 59, 58, 990);
    const moments = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 2010, 1500, 20, 3000].map((d) => start + d);
    for (const ms of moments) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("writes moments before 1970, at the epoch and past the year 9999 as toISOString does", () => {
    for (const ms of [0, -0, -1, -999, -1000, -1001, -62198755200000, 253402300799999, 253402300800000, 8.64e15, -8.64e15]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("truncates a fractional time as Date does, and refuses an invalid one with toISOString's RangeError", () => {
    expect(isoTime(1500.7)).toBe(new Date(1500.7).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
