import { describe, expect, it } from "vitest";
import { newMessageId } from "../../../src/server/message-ids.js";

describe("message ids", () => {
  it("are unique UUIDv7 strings, also across many refills of the random pool", () => {
    const ids = Array.from({ length: 10_000 }, () => newMessageId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("sort by creation time, so inserts land at the end of the id index", async () => {
    const first = newMessageId();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = newMessageId();
    expect(first < second).toBe(true);
    // The first 48 bits are the creation time in ms.
    const msOf = (id: string): number => parseInt(id.replaceAll("-", "").slice(0, 12), 16);
    expect(Math.abs(msOf(second) - Date.now())).toBeLessThan(1000);
  });
});
