/**
 * Sealing of text fields at rest with AES-256-GCM (node:crypto). A sealed field is text, so every column and journal
 * line that held the plain field holds it unchanged in type:
 *
 *     ctseal1:<key id>:<base64url of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)>
 *
 * The nonce is random for every seal. The additional data is the key id and a context naming the row and the field
 * (`message:<id>:body`), so a sealed value moved into another row or field, or relabelled with another key id, fails
 * to open. A value without the prefix is plain: content written before encryption (or with `--no-encryption`) reads
 * as it was.
 *
 * Plain text that itself begins with `ctseal1:` (or with the escape prefix below) would read as sealed, and fail to
 * open or, as a subject `ctseal1:<id>:`, as the marker of a pair. Such a value is stored escaped: `ctplain1:` in front
 * of it, taken off again when it is read (`open`, `openPair`, `plainValue`). Every other plain value is stored as it
 * is, so plain content stored before still reads the same, and sealed values never begin with `ctplain1:`. (Of plain
 * values stored before this escape existed, only one that began with `ctplain1:ctseal1:` or `ctplain1:ctplain1:`
 * would lose its first nine characters on reading.)
 *
 * A row's two fields (a message's subject and body) are sealed together, in one AES-GCM operation (`sealPair`): the
 * cipher's set-up, not the bytes, is what a short message's seal costs. The body field holds the sealed pair, and the
 * subject field only the prefix, `ctseal1:<key id>:` with nothing after it, saying "sealed with the body". The sealed
 * text is `<subject length in UTF-16 code units>:<subject><body>`; its additional data says "pair" and names the row
 * (`message:<id>`), so a pair does not open as a single field nor a single field as a pair, and a marker whose body
 * is not a pair under the same key id is refused. Only the sum of the two lengths shows, where the lengths of both
 * showed when each field was sealed alone. Rows written as two single fields, or plain, still open (`openPair`).
 *
 * Many rows written together may share one seal instead (`sealChunk`): a chunk is a single sealed field holding the
 * JSON `[[context, subject, body], …]` of its rows, bound to the chunk's own id (`message chunk <id>`), and stored
 * apart from the rows. Each row then holds a reference in the pair's place: the marker as its subject, and
 * `ctseal1:<key id>:@<chunk id>.<index>` as its body (`@` never occurs in base64url). A reference opens only with its
 * chunk at hand (`openPair`'s `chunks`), only under the key id the row names, and only if the chunk's entry at that
 * index names the row's own context: a reference moved into another row does not open. One seal per chunk instead of
 * one per row is what makes sealing cheap where many short messages are written at once.
 */

import { createDecipheriv } from "node:crypto";
import { ClawTellError } from "../../infra/index.js";
import { NONCE_BYTES, SEAL_PREFIX, TAG_BYTES, fieldData, keyObjectOf, pairData, sealPairText, sealText } from "./gcm.js";
import type { Keyring } from "./keyring.js";

export { SEAL_PREFIX };
/** The escape of a plain value that begins with a prefix of ours (see above). */
export const PLAIN_PREFIX = "ctplain1:";

/** A row's two sealed fields, or their texts. */
export interface SealedPair {
  readonly subject: string;
  readonly body: string;
}

/** A row's content to be sealed in a chunk: the row's context (`message:<id>`), subject and body. */
export interface ChunkEntry {
  readonly context: string;
  readonly subject: string;
  readonly body: string;
}

/** The sealed text of a chunk by its id, where the rows being opened point into chunks; undefined when it is gone. */
export type ChunkSource = (chunkId: string) => string | undefined;

/** The mark, after a key id's prefix, of a reference into a chunk (see above). */
const CHUNK_MARK = "@";
/** Opened chunks kept, most recently opened last: rows read together mostly share a few chunks. */
const OPENED_CHUNKS = 16;

export interface Sealer {
  /** The text sealed under the current key, bound to `context`. */
  seal(text: string, context: string): string;
  /** The text of a sealed value (plain values answer themselves); CT_STATE_CORRUPT when it does not open. */
  open(value: string, context: string): string;
  /**
   * A row's subject and body sealed together under the current key (or the key `keyId`, also when new content is stored
   * plain), bound to `context` (the row, `message:<id>`).
   */
  sealPair(subject: string, body: string, context: string, keyId?: string): SealedPair;
  /** The marker a sealed pair's subject field holds under `keyId` (`ctseal1:<key id>:`). */
  pairMarker(keyId: string): string;
  /**
   * The texts of a row's fields as stored: a sealed pair, two fields sealed alone (under `<context>:subject` and
   * `<context>:body`) or plain ones; CT_STATE_CORRUPT when they do not open.
   */
  openPair(subject: string, body: string, context: string, chunks?: ChunkSource): SealedPair;
  /**
   * The rows' content sealed together under the current key as the chunk `chunkId`: the chunk's sealed text, and each
   * row's stored fields, which refer to it (in order).
   */
  sealChunk(entries: readonly ChunkEntry[], chunkId: string): { sealed: string; rows: SealedPair[] };
  /** The id of the current key. */
  currentKeyId(): string;
}

/** The key id a sealed value names; undefined for plain text. */
export function sealedKeyId(value: string): string | undefined {
  if (!value.startsWith(SEAL_PREFIX)) return undefined;
  const end = value.indexOf(":", SEAL_PREFIX.length);
  return end < 0 ? "" : value.slice(SEAL_PREFIX.length, end);
}


/** A plain value as it is stored: escaped when it begins with a prefix of ours, else unchanged. */
export function storedPlain(value: string): string {
  return value.startsWith(SEAL_PREFIX) || value.startsWith(PLAIN_PREFIX) ? `${PLAIN_PREFIX}${value}` : value;
}

/**
 * The text of a stored value that is not sealed (`sealedKeyId` says undefined): its escape taken off. Only a value
 * that begins with a prefix of ours is ever escaped, so `ctplain1:` followed by anything else is a plain value stored
 * before the escape existed, and reads as it is.
 */
export function plainValue(value: string): string {
  if (!value.startsWith(PLAIN_PREFIX)) return value;
  const rest = value.slice(PLAIN_PREFIX.length);
  return rest.startsWith(SEAL_PREFIX) || rest.startsWith(PLAIN_PREFIX) ? rest : value;
}

/** The chunk a row's body field refers to, and the row's place in it; undefined when it holds no reference. */
export function chunkReference(body: string): { chunkId: string; index: number } | undefined {
  const keyId = sealedKeyId(body);
  if (keyId === undefined) return undefined;
  const start = SEAL_PREFIX.length + keyId.length + 1;
  if (body[start] !== CHUNK_MARK) return undefined;
  const dot = body.lastIndexOf(".");
  const index = Number(body.slice(dot + 1));
  // A malformed reference is none: the body then fails to open as a pair.
  if (dot <= start + 1 || !Number.isSafeInteger(index) || index < 0) return undefined;
  return { chunkId: body.slice(start + 1, dot), index };
}

/** The additional data of a chunk: its own id. */
const chunkContext = (chunkId: string): string => `message chunk ${chunkId}`;

/** Whether a subject field is the marker of a sealed pair (`ctseal1:<key id>:` and nothing after it). */
const isPairMarker = (value: string, keyId: string): boolean => value.length === SEAL_PREFIX.length + keyId.length + 1;

export interface SealerOptions {
  /**
   * False: new content is stored plain (`--no-encryption`) and only content sealed before is opened, with the keys the
   * ring holds. @defaultValue true
   */
  readonly sealNew?: boolean;
}

export function createSealer(keyring: Keyring, opts: SealerOptions = {}): Sealer {
  const sealNew = opts.sealNew ?? true;
  // The marker of each key id, made once: stored subjects are then mostly one string.
  const markers = new Map<string, string>();
  const markerOf = (keyId: string): string => {
    let marker = markers.get(keyId);
    if (marker === undefined) {
      marker = `${SEAL_PREFIX}${keyId}:`;
      markers.set(keyId, marker);
    }
    return marker;
  };
  const keyOf = (keyId: string): Buffer => {
    const key = keyring.find(keyId);
    if (key === undefined) {
      throw new ClawTellError("CT_STATE_CORRUPT", `sealed content names master key "${keyId}", which the keyring does not hold (give it with CLAWTELL_MASTER_KEY or --master-key-file)`, {
        field: "masterKey",
      });
    }
    return key;
  };
  /** The text of a sealed value under `keyId` with additional data `aad`; `context` names it in the error. */
  const decrypt = (value: string, keyId: string, aad: (keyId: string) => Buffer, context: string): string => {
    const key = keyOf(keyId);
    const raw = Buffer.from(value.slice(SEAL_PREFIX.length + keyId.length + 1), "base64url");
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw broken(context);
    try {
      const decipher = createDecipheriv("aes-256-gcm", keyObjectOf(key), raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch (err) {
      throw broken(context, err);
    }
  };
  const open = (value: string, context: string): string => {
    const keyId = sealedKeyId(value);
    return keyId === undefined ? plainValue(value) : decrypt(value, keyId, (id) => fieldData(id, context), context);
  };
  /** Opened chunks by id, with the sealed text they were opened from (a re-seal replaces it). */
  const opened = new Map<string, { sealed: string; entries: unknown[] }>();
  /** The row `context`'s fields in the chunk a reference under `keyId` names. */
  const openReference = (keyId: string, ref: { chunkId: string; index: number }, context: string, chunks: ChunkSource | undefined): SealedPair => {
    const sealed = chunks?.(ref.chunkId);
    if (sealed === undefined || sealedKeyId(sealed) !== keyId) throw broken(context);
    let chunk = opened.get(ref.chunkId);
    if (chunk?.sealed !== sealed) {
      const entries: unknown = JSON.parse(open(sealed, chunkContext(ref.chunkId)));
      if (!Array.isArray(entries)) throw broken(context);
      chunk = { sealed, entries };
      opened.delete(ref.chunkId);
      opened.set(ref.chunkId, chunk);
      if (opened.size > OPENED_CHUNKS) opened.delete(opened.keys().next().value ?? "");
    }
    const entry = chunk.entries[ref.index];
    if (!Array.isArray(entry) || entry[0] !== context || typeof entry[1] !== "string" || typeof entry[2] !== "string") throw broken(context);
    return { subject: entry[1], body: entry[2] };
  };
  return {
    seal(text, context) {
      if (!sealNew) return storedPlain(text);
      const { id, key } = keyring.current();
      return sealText(text, fieldData(id, context), id, keyObjectOf(key));
    },
    open,
    sealPair(subject, body, context, keyId) {
      if (keyId === undefined && !sealNew) return { subject: storedPlain(subject), body: storedPlain(body) };
      const { id, key } = keyId === undefined ? keyring.current() : { id: keyId, key: keyOf(keyId) };
      return { subject: markerOf(id), body: sealPairText(subject, body, context, id, keyObjectOf(key)) };
    },
    openPair(subject, body, context, chunks) {
      const keyId = sealedKeyId(subject);
      if (keyId === undefined || !isPairMarker(subject, keyId)) {
        return { subject: open(subject, `${context}:subject`), body: open(body, `${context}:body`) };
      }
      // The subject says "sealed with the body": the body must be a pair, or a reference, under the same key.
      if (sealedKeyId(body) !== keyId) throw broken(context);
      const ref = chunkReference(body);
      if (ref !== undefined) return openReference(keyId, ref, context, chunks);
      const plain = decrypt(body, keyId, (id) => pairData(id, context), context);
      const colon = plain.indexOf(":");
      const length = Number(plain.slice(0, colon));
      if (colon < 1 || !Number.isSafeInteger(length) || colon + 1 + length > plain.length) throw broken(context);
      return { subject: plain.slice(colon + 1, colon + 1 + length), body: plain.slice(colon + 1 + length) };
    },
    sealChunk(entries, chunkId) {
      const { id, key } = keyring.current();
      const text = JSON.stringify(entries.map((entry) => [entry.context, entry.subject, entry.body]));
      const sealed = sealText(text, fieldData(id, chunkContext(chunkId)), id, keyObjectOf(key));
      const marker = markerOf(id);
      const reference = `${marker}${CHUNK_MARK}${chunkId}.`;
      return { sealed, rows: entries.map((_, i) => ({ subject: marker, body: `${reference}${i}` })) };
    },
    pairMarker: markerOf,
    currentKeyId: () => keyring.current().id,
  };
}

const broken = (context: string, cause?: unknown): ClawTellError =>
  new ClawTellError("CT_STATE_CORRUPT", `sealed content (${context}) does not open: it was altered or moved`, {
    field: "sealed",
    ...(cause === undefined ? {} : { cause }),
  });
