import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { createJsonBodyParser, JSON_WORKER_IDLE_MS, MAX_JSON_DEPTH, MAX_JSON_TOKENS, parseJsonBody, type JsonBodyParser } from "../../../src/server/json-body.js";

/** What parseJsonBody makes of the text: its value, or the message it refuses it with. */
function outcome(run: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: run() };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

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

  it("refuses at once what JSON.parse would refuse anyway and the count alone would let through: closing brackets, values without separators", () => {
    // Each of these, repeated, is long without adding to the count of nesting or values.
    for (const text of ["]".repeat(1000), `[${"}".repeat(1000)}`, '""'.repeat(1000), `["a"${'"b"'.repeat(1000)}]`, "{}{}", "[][]", '"a"[1]']) {
      expect(() => parseJsonBody(text), text.slice(0, 20)).toThrow(/^body: malformed JSON$/);
    }
    // Whitespace, numbers and literals between structural characters are skipped, not counted.
    const spaced = `${" ".repeat(100_000)}{"n":${"1".repeat(1000)},"t":true,"a":[null, 1e3]}`;
    expect(parseJsonBody(spaced)).toEqual(JSON.parse(spaced));
    expect(() => parseJsonBody(`[${"0,".repeat(MAX_JSON_TOKENS)}0]`)).toThrow(/more than/);
  });
});

describe("createJsonBodyParser", () => {
  let parser: JsonBodyParser | undefined;
  afterEach(async () => parser?.close());

  it("reads bodies past the inline bound in the worker thread by the same rules as on the event loop", async () => {
    const inWorker = createJsonBodyParser({ inlineBytes: 0 });
    parser = inWorker;
    const texts = [
      '{"__proto__":"\\ud800","k\\udc00":["\\ud83d"],"n":-0,"f":1.5e300}',
      `${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`,
      `[${"0,".repeat(MAX_JSON_TOKENS)}0]`,
      '{"a":',
      '""""',
      "   ",
      JSON.stringify({ to: "bob", body: "ünïcödé ✓ 😀", attachments: [{ data: "AAEC", filename: "a.png", mime_type: "image/png" }] }),
    ];
    for (const text of texts) {
      const expected = outcome(() => parseJsonBody(text));
      const seen = await inWorker.parse(Buffer.from(text)).then(
        (value) => ({ value }),
        (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
      );
      expect(seen, text.slice(0, 40)).toEqual(expected);
      if ("value" in seen && seen.value !== null && typeof seen.value === "object" && text.includes("__proto__")) {
        expect(Object.getPrototypeOf(seen.value)).toBe(Object.prototype);
        expect(Object.getOwnPropertyDescriptor(seen.value, "__proto__")?.value).toBe("\ufffd");
      }
    }
    expect(inWorker.workerRunning()).toBe(true);
  });

  it("hands a large body to the worker without copying it, and the event loop keeps turning while it is read", async () => {
    parser = createJsonBodyParser();
    const bytes = Buffer.from(`${" ".repeat(8 * 1024 * 1024)}{"to":"bob","body":"x"}`);
    let turns = 0;
    let turning = true;
    const turn = (): void => {
      turns++;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const parsing = parser.parse(bytes);
    // Transferred to the worker: this side's view is empty now.
    expect(bytes.length).toBe(0);
    expect(await parsing).toEqual({ to: "bob", body: "x" });
    turning = false;
    expect(turns).toBeGreaterThan(0);
    // Small bodies never start it.
    const small = createJsonBodyParser();
    expect(await small.parse(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(small.workerRunning()).toBe(false);
  });

  it("ends the worker after it has been idle on its clock and starts it again for the next large body", async () => {
    const clock = createManualClock(0);
    const idle = createJsonBodyParser({ inlineBytes: 0, clock });
    parser = idle;
    expect(await idle.parse(Buffer.from("[1]"))).toEqual([1]);
    await clock.advance(JSON_WORKER_IDLE_MS - 1);
    expect(idle.workerRunning()).toBe(true);
    await clock.advance(1);
    expect(idle.workerRunning()).toBe(false);
    expect(await idle.parse(Buffer.from("[2]"))).toEqual([2]);
    expect(idle.workerRunning()).toBe(true);
  });
});
