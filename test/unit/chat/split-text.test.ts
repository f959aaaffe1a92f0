import { describe, expect, it } from "vitest";
import { splitText } from "../../../src/chat/index.js";

const graphemes = (text: string): string[] => Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text), (s) => s.segment);

describe("splitText", () => {
  it("keeps a text that fits as one part, and gives no part for an empty text", () => {
    expect(splitText("x".repeat(4096), 4096)).toEqual(["x".repeat(4096)]);
    expect(splitText("", 4096)).toEqual([]);
  });

  it("prefers a paragraph break, then a line break, then a space, dropping the separator", () => {
    const para = `${"a".repeat(3000)}\n\n${"b".repeat(500)}\n${"c".repeat(2000)}`;
    expect(splitText(para, 4096).map((p) => p.length)).toEqual([3000, 2501]);
    const lines = `${"a".repeat(2500)}\n${"b".repeat(1000)} ${"c".repeat(1000)}`;
    expect(splitText(lines, 4096)).toEqual(["a".repeat(2500), `${"b".repeat(1000)} ${"c".repeat(1000)}`]);
    expect(splitText("word ".repeat(900), 2000).map((p) => p.length)).toEqual([1999, 1999, 500]);
  });

  it("ignores a separator in the first half of the window and cuts at the limit instead", () => {
    const text = `${"a".repeat(10)}\n${"b".repeat(5000)}`;
    expect(splitText(text, 4096).map((p) => p.length)).toEqual([4096, 915]);
    expect(splitText(text, 4096).join("")).toBe(text);
  });

  it("never cuts a surrogate pair or a ZWJ emoji sequence in two", () => {
    expect(splitText("🦞".repeat(3000), 4096).map((p) => p.length)).toEqual([4096, 1904]);
    expect(splitText(`x${"🦞".repeat(3000)}`, 4096).map((p) => p.length)).toEqual([4095, 1906]);
    const family = "👨‍👩‍👧"; // 8 UTF-16 units
    const parts = splitText(`xyz${family.repeat(1000)}`, 2000);
    expect(parts.join("")).toBe(`xyz${family.repeat(1000)}`);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(graphemes(part).filter((g) => g !== "x" && g !== "y" && g !== "z").every((g) => g === family)).toBe(true);
    }
  });

  it("refuses a limit that cannot hold a character", () => {
    expect(() => splitText("abc", 1)).toThrow(RangeError);
  });
});
