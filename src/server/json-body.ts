/**
 * Request bodies in JSON, read so that no body can hold the event loop: the nesting depth and the number of values
 * are counted in one pass over the text before `JSON.parse` runs (string contents are skipped with `indexOf`, so a
 * long string costs next to nothing), and a body past either bound is a 400 without being parsed. After parsing,
 * every string is made well-formed: a lone UTF-16 surrogate (`"\ud800"`) becomes U+FFFD, so the text a client reads
 * is the same on every delivery, before and after the archive has it.
 */

import { ClawTellError } from "../infra/index.js";

/** Deepest nesting of arrays and objects a body may have (the deepest request of the API needs 3). */
export const MAX_JSON_DEPTH = 32;
/** Most arrays, objects and separators (`,` `:`) a body may have (an ack of 1 000 ids needs about 1 000). */
export const MAX_JSON_TOKENS = 20_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;

const tooComplex = (what: string): ClawTellError => new ClawTellError("CT_BAD_REQUEST", `body: ${what}`, { field: "body" });

/** The index just past the string whose opening quote is at `start`, or -1 when it never closes. */
function skipString(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return -1;
    let slashes = 0;
    for (let i = quote - 1; i > start && text.charCodeAt(i) === BACKSLASH; i--) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/** Throws CT_BAD_REQUEST when the text nests deeper than {@link MAX_JSON_DEPTH} or has more than {@link MAX_JSON_TOKENS} tokens. */
export function assertJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH, maxTokens = MAX_JSON_TOKENS): void {
  let depth = 0;
  let tokens = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (end < 0) return; // unterminated: JSON.parse refuses it at once
      i = end - 1;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      tokens++;
      if (depth > maxDepth) throw tooComplex(`nested deeper than ${maxDepth} levels`);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    } else if (c === COMMA || c === COLON) {
      tokens++;
    } else continue;
    if (tokens > maxTokens) throw tooComplex(`more than ${maxTokens} values`);
  }
}

/** Replaces lone surrogates in every string of a parsed JSON value (in place for arrays and objects). */
export function wellFormed(value: unknown): unknown {
  if (typeof value === "string") return value.isWellFormed() ? value : value.toWellFormed();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = wellFormed(value[i]);
    return value;
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const inner = record[key];
      const fixedInner = wellFormed(inner);
      const fixed = key.isWellFormed() ? key : key.toWellFormed();
      if (fixed === key && fixedInner === inner) continue;
      if (fixed !== key) delete record[key];
      // defineProperty, not assignment: a `__proto__` key stays a plain property, as JSON.parse made it.
      Object.defineProperty(record, fixed, { value: fixedInner, enumerable: true, writable: true, configurable: true });
    }
  }
  return value;
}

/** A request body: `undefined` when empty, else its bounded, parsed and well-formed value; CT_BAD_REQUEST otherwise. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  assertJsonBounded(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (err) {
    throw new ClawTellError("CT_BAD_REQUEST", "body: malformed JSON", { field: "body", cause: err });
  }
  return wellFormed(parsed);
}
