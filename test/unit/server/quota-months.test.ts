// The calendar months a quota counts in: UTC, `YYYY-MM`, each ending at the first moment of the next.
import { describe, expect, it } from "vitest";
import { monthOf, nextMonthStart } from "../../../src/server/quota.js";

describe("quota months", () => {
  it.each([
    ["2026-01-31T23:59:59.999Z", "2026-01", "2026-02-01T00:00:00.000Z"],
    ["2026-02-01T00:00:00.000Z", "2026-02", "2026-03-01T00:00:00.000Z"],
    ["2028-02-29T12:00:00.000Z", "2028-02", "2028-03-01T00:00:00.000Z"],
    ["2026-12-31T23:00:00.000Z", "2026-12", "2027-01-01T00:00:00.000Z"],
  ])("%s is in %s, which ends at %s", (at, month, end) => {
    const ms = Date.parse(at);
    expect(monthOf(ms)).toBe(month);
    expect(new Date(nextMonthStart(ms)).toISOString()).toBe(end);
  });
});
