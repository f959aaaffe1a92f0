/**
 * The body of a large send read as it arrives: the base64 `data` of each attachment is decoded a piece at a time
 * straight into the file store, and only the rest of the body — the message text and the attachments' other fields,
 * small — is kept, to be parsed and validated like every other body. The server's memory therefore does not grow with
 * the files: ten files of 25 MiB cost what one small file costs.
 *
 * The scan follows the JSON structure only as far as it must to find `attachments[i].data` at the top level; every
 * other byte is kept as it came (bounded by `maxTextBytes`), and whether it is well-formed JSON is judged by the
 * ordinary parser afterwards. In the kept text each file's `data` becomes a short stand-in: the base64 SHA-256 of
 * the file's base64 text, itself valid base64, so the body still validates and two sends with different files
 * never look the same to the Idempotency-Key check.
 *
 * The limits apply while the bytes arrive: the body's total size, at most {@link MAX_ATTACHMENTS} files, at most
 * {@link MAX_ATTACHMENT_BYTES} decoded per file (413), strict base64 (400), no executable by its first bytes (400),
 * each naming its field (`attachments.3.data`). When the body fails for any reason (a limit, malformed JSON, the
 * client going away), the files already saved for it are removed before the error is thrown.
 */

import { createHash, type Hash } from "node:crypto";
import { ClawTellError } from "../infra/index.js";
import { MAX_ATTACHMENTS } from "../protocol/index.js";
import { screened } from "./attachment-intake.js";
import type { FileStore } from "./files.js";
import { MAX_JSON_DEPTH } from "./json-parse-worker.js";

/** One attachment whose `data` was saved while the body arrived. */
export interface StreamedFile {
  readonly fileId: string;
  /** Decoded bytes. */
  readonly size: number;
  /** What `data` reads in the kept body: the base64 SHA-256 of the file's base64 text. */
  readonly stand: string;
}

export interface StreamedSendBody {
  /** The body without the files' data (UTF-8 JSON text, not yet parsed). */
  readonly text: Buffer;
  /** The files saved, by attachment index. */
  readonly files: ReadonlyMap<number, StreamedFile>;
  /** Bytes of the body as it came. */
  readonly receivedBytes: number;
}

export interface SendBodyLimits {
  /** The whole body, as it came. */
  readonly maxBytes: number;
  /** The body without the files' data. */
  readonly maxTextBytes: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NOT_BASE64 = "must be the file content in base64";
const BASE64_BODY = /^[A-Za-z0-9+/]*$/;
const PADDING = /^=*$/;
/** The characters the scan outside strings looks at; everything between them is kept as it came. */
const STRUCTURAL = /["[\]{},:]/g;
/** Bytes of a string searched in one step: a large chunk is passed on in pieces of this size at most. */
const STRING_WINDOW_BYTES = 256 * 1024;
/** Keys longer than this are kept but never read: no key the scan looks for is that long. */
const MAX_KEY_BYTES = 256;

const refused = (field: string, message: string): ClawTellError => new ClawTellError("CT_BAD_REQUEST", `${field}: ${message}`, { field });
const tooLarge = (limit: number, what: string): ClawTellError =>
  new ClawTellError("CT_PAYLOAD_TOO_LARGE", `body: ${what} larger than this call accepts (${limit} bytes)`, { field: "body" });

interface Frame {
  readonly kind: "object" | "array";
  /** Objects: the key whose value comes next (undefined while a key is awaited or when it could not be read). */
  key: string | undefined;
  /** Objects: whether the next string is a key. */
  expectKey: boolean;
  /** Arrays: the index of the current element. */
  index: number;
}

/**
 * Decodes the raw bytes of a JSON string holding base64 (escapes as written; only `\/` may appear) into bytes, a
 * piece at a time, hashing the base64 text; anything but strict padded base64 fails with CT_BAD_REQUEST on `field`.
 */
async function* base64Decoded(pieces: AsyncIterable<Buffer>, field: string, hash: Hash): AsyncGenerator<Uint8Array> {
  let carry = "";
  let chars = 0;
  let padding = 0;
  let heldSlash = false;
  for await (const piece of pieces) {
    let text = piece.toString("latin1");
    if (heldSlash) text = `\\${text}`;
    heldSlash = false;
    if (text.includes("\\")) {
      text = text.replaceAll("\\/", "/");
      const slash = text.indexOf("\\");
      if (slash === text.length - 1) {
        heldSlash = true;
        text = text.slice(0, -1);
      } else if (slash >= 0) {
        throw refused(field, NOT_BASE64);
      }
    }
    if (text === "") continue;
    if (padding > 0) {
      if (!PADDING.test(text)) throw refused(field, NOT_BASE64);
      padding += text.length;
    } else {
      const eq = text.indexOf("=");
      if (!BASE64_BODY.test(eq < 0 ? text : text.slice(0, eq))) throw refused(field, NOT_BASE64);
      if (eq >= 0) {
        if (!PADDING.test(text.slice(eq))) throw refused(field, NOT_BASE64);
        padding = text.length - eq;
      }
    }
    if (padding > 2) throw refused(field, NOT_BASE64);
    chars += text.length;
    hash.update(text, "latin1");
    carry += text;
    const whole = carry.length - (carry.length % 4);
    if (whole === 0) continue;
    const step = carry.slice(0, whole);
    carry = carry.slice(whole);
    yield Buffer.from(step, "base64");
  }
  if (heldSlash || chars % 4 !== 0) throw refused(field, NOT_BASE64);
}

/**
 * Reads a send's body from `source`, saving each attachment's base64 `data` into `files` as it arrives; answers the
 * rest of the body and the files saved. See the module comment for the limits and what a failure leaves behind.
 */
export async function readSendBodyStreaming(source: AsyncIterable<Uint8Array>, files: FileStore, limits: SendBodyLimits): Promise<StreamedSendBody> {
  const iterator = source[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let received = 0;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const stack: Frame[] = [];
  const saved = new Map<number, StreamedFile>();
  let attachmentsSeen = false;

  /** The next chunk of the body into `buf`; false at its end. */
  const more = async (): Promise<boolean> => {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await iterator.next();
    } catch (err) {
      throw new ClawTellError("CT_BAD_REQUEST", "body: the upload broke off before its end", { field: "body", cause: err });
    }
    if (next.done === true) return false;
    const chunk = next.value;
    received += chunk.length;
    if (received > limits.maxBytes) throw tooLarge(limits.maxBytes, "");
    buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    pos = 0;
    return true;
  };

  /** Keeps bytes of the body (copied: the chunk they come from is not held). */
  const keep = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    keptBytes += bytes.length;
    if (keptBytes > limits.maxTextBytes) throw tooLarge(limits.maxTextBytes, "without its files' data,");
    kept.push(Buffer.from(bytes));
  };

  /**
   * The raw bytes of the string whose opening quote is at `pos` (escapes as written), in pieces that are views of
   * the body's chunks; `pos` ends past its closing quote. A body that ends inside the string is malformed.
   */
  async function* stringPieces(): AsyncGenerator<Buffer> {
    pos++;
    let escaped = false;
    for (;;) {
      if (pos >= buf.length && !(await more())) throw refused("body", "malformed JSON");
      // At most a window of the chunk is searched before its piece is passed on (and counted against the limits).
      const window = buf.subarray(0, Math.min(buf.length, pos + STRING_WINDOW_BYTES));
      let end = escaped ? pos + 1 : pos;
      escaped = false;
      let quote = window.indexOf(QUOTE, end);
      for (;;) {
        const slash = window.indexOf(BACKSLASH, end);
        if (slash < 0 || (quote >= 0 && quote < slash)) break;
        if (slash + 1 >= window.length) {
          escaped = true;
          quote = -1;
          break;
        }
        end = slash + 2;
        if (quote >= 0 && quote < end) quote = window.indexOf(QUOTE, end);
      }
      if (quote < 0) {
        const piece = buf.subarray(pos, window.length);
        pos = window.length;
        yield piece;
        continue;
      }
      const piece = buf.subarray(pos, quote);
      pos = quote + 1;
      if (piece.length > 0) yield piece;
      return;
    }
  }

  /** Keeps a string as it came; answers its decoded text when it is short enough to be a key we look for. */
  const keepString = async (): Promise<string | undefined> => {
    keep(Buffer.from('"'));
    const raw: Buffer[] = [];
    let rawBytes = 0;
    for await (const piece of stringPieces()) {
      keep(piece);
      rawBytes += piece.length;
      if (rawBytes <= MAX_KEY_BYTES) raw.push(Buffer.from(piece));
    }
    keep(Buffer.from('"'));
    if (rawBytes > MAX_KEY_BYTES) return undefined;
    try {
      return JSON.parse(`"${Buffer.concat(raw).toString("utf8")}"`) as string;
    } catch {
      return undefined;
    }
  };

  /** Streams the `data` string at `pos` into the file store as attachment `index`; keeps its stand-in. */
  const saveData = async (index: number): Promise<void> => {
    const field = `attachments.${index}.data`;
    if (index >= MAX_ATTACHMENTS) throw refused("attachments", `at most ${MAX_ATTACHMENTS} files per message`);
    if (saved.has(index)) throw refused(field, "is given more than once");
    const hash = createHash("sha256");
    const counted = { size: 0 };
    let ended = false;
    const pieces = async function* (): AsyncGenerator<Buffer> {
      yield* stringPieces();
      ended = true;
    };
    const fileId = await files.save(screened(base64Decoded(pieces(), field, hash), field, counted));
    if (!ended) {
      await files.remove([fileId]);
      throw new ClawTellError("CT_INTERNAL", `${field}: the file store stopped reading before the end`);
    }
    const stand = hash.digest("base64");
    saved.set(index, { fileId, size: counted.size, stand });
    keep(Buffer.from(`"${stand}"`));
  };

  /** The attachment index when the string at `pos` is `attachments[i].data` of the top-level object. */
  const dataIndex = (): number | undefined => {
    if (stack.length !== 3) return undefined;
    const [top, list, item] = stack as [Frame, Frame, Frame];
    const isData = top.kind === "object" && top.key === "attachments" && list.kind === "array" && item.kind === "object";
    return isData && !item.expectKey && item.key === "data" ? list.index : undefined;
  };

  try {
    for (;;) {
      if (pos >= buf.length && !(await more())) break;
      // Bytes outside strings: kept in runs, the structure followed. A run never goes past what may still be kept,
      // so a chunk of many megabytes is not stepped through before the limit refuses it; the expression engine
      // jumps from one structural character to the next (the bytes read as latin1: one character each).
      const run = pos;
      const end = Math.min(buf.length, pos + limits.maxTextBytes - keptBytes + 1);
      const view = buf.toString("latin1", pos, end);
      const structural = new RegExp(STRUCTURAL);
      let sawQuote = false;
      pos = end;
      while (structural.test(view)) {
        const at = structural.lastIndex - 1;
        const byte = view.charCodeAt(at);
        if (byte === QUOTE) {
          sawQuote = true;
          pos = run + at;
          break;
        }
        const frame = stack.at(-1);
        switch (byte) {
          case 0x7b: // {
          case 0x5b: // [
            stack.push({ kind: byte === 0x7b ? "object" : "array", key: undefined, expectKey: byte === 0x7b, index: 0 });
            if (stack.length > MAX_JSON_DEPTH) throw refused("body", `nested deeper than ${MAX_JSON_DEPTH} levels`);
            break;
          case 0x7d: // }
          case 0x5d: // ]
            if (frame === undefined || frame.kind !== (byte === 0x7d ? "object" : "array")) throw refused("body", "malformed JSON");
            stack.pop();
            break;
          case 0x2c: // ,
            if (frame?.kind === "array") frame.index++;
            else if (frame !== undefined) {
              frame.expectKey = true;
              frame.key = undefined;
            }
            break;
          default: // :
            if (frame?.kind === "object") frame.expectKey = false;
        }
      }
      keep(buf.subarray(run, pos));
      if (!sawQuote) continue;
      const frame = stack.at(-1);
      if (frame?.kind === "object" && frame.expectKey) {
        frame.key = await keepString();
        if (stack.length === 1 && frame.key === "attachments") {
          if (attachmentsSeen) throw refused("attachments", "is given more than once");
          attachmentsSeen = true;
        }
        continue;
      }
      const index = dataIndex();
      if (index === undefined) await keepString();
      else await saveData(index);
    }
  } catch (err) {
    // Lets go of the body without destroying it: the caller drains it so the client can read the answer.
    await iterator.return?.();
    await files.remove([...saved.values()].map((file) => file.fileId));
    throw err;
  }
  return { text: Buffer.concat(kept, keptBytes), files: saved, receivedBytes: received };
}
