/**
 * Reading JSON text so that no body can hold the event loop, in two roles:
 * - the pure functions below, which json-body.ts runs on the event loop for bodies up to the global body limit;
 * - the worker thread that runs them for larger bodies (only a send with attachments may be larger, up to about
 *   34 MB): parsing one costs tens of milliseconds and more, which would hold every other request.
 * Self-contained (imports only Node's own modules), so it runs as a worker from the sources, from tsc's output and
 * as its own bundle beside cli.js; it answers jobs only when started with {@link JSON_WORKER_ROLE} as its data.
 *
 * Before `JSON.parse` runs, the nesting depth and the number of values are counted in one pass that jumps from one
 * structural character to the next with a regular expression (whitespace, numbers and literals are skipped by the
 * expression engine; string contents with `indexOf`), and a body past either bound is refused without being parsed.
 * Input that JSON.parse would refuse anyway (a closing bracket with nothing open, two values without a separator) is
 * refused as soon as the pass meets it, so brackets and strings cannot be repeated without bound either. After
 * parsing, every string is made well-formed: a lone UTF-16 surrogate (`"\ud800"`) becomes U+FFFD, so the text a
 * client reads is the same on every delivery, before and after the archive has it.
 */

import { parentPort, workerData } from "node:worker_threads";

/** Deepest nesting of arrays and objects a body may have (the deepest request of the API needs 3). */
export const MAX_JSON_DEPTH = 32;
/** Most arrays, objects and separators (`,` `:`) a body may have (an ack of 1 000 ids needs about 1 000). */
export const MAX_JSON_TOKENS = 20_000;
/** What json-body.ts gives the worker as `workerData`; without it the module only exports its functions. */
export const JSON_WORKER_ROLE = "clawtell-json-body";

export const MALFORMED = "body: malformed JSON";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
/** The characters the counting pass looks at; everything between them is skipped by the expression engine. */
const STRUCTURAL = /["[\]{},:]/g;

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

/**
 * Why the text may not be parsed (`body: …`), or `undefined` when it nests at most `maxDepth` deep and has at most
 * `maxTokens` tokens. Text that passes may still be malformed: JSON.parse judges that.
 */
export function jsonBoundsProblem(text: string, maxDepth = MAX_JSON_DEPTH, maxTokens = MAX_JSON_TOKENS): string | undefined {
  let depth = 0;
  let tokens = 0;
  /** Whether the last thing seen was a whole value (a string or a closed array or object): a separator must follow. */
  let afterValue = false;
  const structural = new RegExp(STRUCTURAL);
  while (structural.test(text)) {
    const at = structural.lastIndex - 1;
    switch (text.charCodeAt(at)) {
      case QUOTE: {
        if (afterValue) return MALFORMED;
        const end = skipString(text, at);
        if (end < 0) return undefined; // unterminated: JSON.parse refuses it at once
        structural.lastIndex = end;
        afterValue = true;
        break;
      }
      case OPEN_ARRAY:
      case OPEN_OBJECT:
        if (afterValue) return MALFORMED;
        depth++;
        tokens++;
        if (depth > maxDepth) return `body: nested deeper than ${maxDepth} levels`;
        break;
      case CLOSE_ARRAY:
      case CLOSE_OBJECT:
        depth--;
        if (depth < 0) return MALFORMED;
        afterValue = true;
        break;
      default: // , or :
        afterValue = false;
        tokens++;
    }
    if (tokens > maxTokens) return `body: more than ${maxTokens} values`;
  }
  return undefined;
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

export type JsonTextResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/**
 * Whether the text cannot break the bounds, whatever it holds: no more characters than tokens allowed, and no more `[`
 * and `{` (in strings or not) than levels allowed. Most bodies are like that; they skip the counting pass (which
 * only ever finds them malformed early, and JSON.parse says so as well).
 */
function withinBoundsSurely(text: string): boolean {
  if (text.length > MAX_JSON_TOKENS) return false;
  let opens = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code === OPEN_ARRAY || code === OPEN_OBJECT) && ++opens > MAX_JSON_DEPTH) return false;
  }
  return true;
}

/** A body's text: `undefined` when empty, else its bounded, parsed and well-formed value, or why not. */
export function parseJsonText(text: string): JsonTextResult {
  if (text.trim() === "") return { ok: true, value: undefined };
  const problem = withinBoundsSurely(text) ? undefined : jsonBoundsProblem(text);
  if (problem !== undefined) return { ok: false, problem };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return { ok: false, problem: MALFORMED };
  }
  return { ok: true, value: wellFormed(parsed) };
}

export interface JsonJob {
  readonly id: number;
  /** The body's bytes, in UTF-8 (transferred, not copied). */
  readonly bytes: Uint8Array;
}

export type JsonAnswer = JsonTextResult & { readonly id: number };

const port = parentPort;
if (port !== null && workerData === JSON_WORKER_ROLE) {
  port.on("message", (job: JsonJob) => {
    let answer: JsonAnswer;
    try {
      const text = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength).toString("utf8");
      answer = { id: job.id, ...parseJsonText(text) };
    } catch {
      answer = { id: job.id, ok: false, problem: MALFORMED };
    }
    try {
      port.postMessage(answer);
    } catch {
      // A value that cannot be copied back: that body fails, the worker goes on.
      port.postMessage({ id: job.id, ok: false, problem: MALFORMED } satisfies JsonAnswer);
    }
  });
}
