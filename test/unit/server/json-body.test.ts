import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJsonBody } from "../../../src/server/json-body.js";

describe("parseJsonBody", () => {
  it("counts brackets only outside strings, across escaped quotes and backslashes", () => {
    const text = JSON.stringify({ a: `${"[".repeat(100)}"\\"{\\\\`, b: ["\\", '"'] });
    expect(parseJsonBody(text)).toEqual(JSON.parse(text));
  });

  it("accepts exactly the bound of nesting and refuses one more", () => {
    const nest = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    expect(() => parseJsonBody(nest(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJsonBody(nest(MAX_JSON_DEPTH + 1))).toThrow(/nested deeper/);
  });

  it("makes keys and values well-formed and keeps a __proto__ key a plain property", () => {
    const parsed = parseJsonBody('{"__proto__":"\\ud800","k\\udc00":["\\ud83d"]}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parsed, "__proto__")?.value).toBe("\ufffd");
    expect(parsed["k\ufffd"]).toEqual(["\ufffd"]);
  });

  it("reads an empty body as no body and refuses malformed JSON", () => {
    expect(parseJsonBody("  ")).toBeUndefined();
    expect(() => parseJsonBody('{"a":')).toThrow(/malformed JSON/);
    expect(() => parseJsonBody('"unterminated')).toThrow(/malformed JSON/);
  });
});
