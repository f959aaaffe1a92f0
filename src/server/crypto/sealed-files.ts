/**
 * Attachment bytes sealed at rest: a decorator over any FileStore (files on disk, or PostgreSQL's `file_contents`),
 * which stays plain. A file is sealed in segments as it streams through, so neither writing nor reading one holds more
 * than a segment in memory:
 *
 *     header:  "CTSEALF1" ‖ key id length (1 byte) ‖ key id ‖ salt (16 random bytes)
 *     segment: final flag (1 byte) ‖ length (4 bytes, big-endian) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
 *
 * Each segment is AES-256-GCM with its own random nonce; its additional data names the key id, the file's salt, the
 * segment's index and whether it is the last one, so segments cannot be reordered, dropped, moved between files, or
 * cut off at the end. A file that does not start with the header is plain (written before encryption) and is read
 * as it is.
 */

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { ClawTellError, isErrnoException } from "../../infra/index.js";
import type { FileStore } from "../files.js";
import { freshNonce, keyObjectOf } from "./gcm.js";
import type { Keyring } from "./keyring.js";

/** Plain bytes per segment. */
export const SEGMENT_BYTES = 64 * 1024;
const MAGIC = Buffer.from("CTSEALF1");
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FRAME_BYTES = 1 + 4 + NONCE_BYTES;

export interface SealedFileStore extends FileStore {
  /** The id of the key a stored file is sealed under; undefined when it is plain or gone. */
  keyIdOf(fileId: string): Promise<string | undefined>;
  /** Seals a stored file again under the current key (a plain one too); false when the file is gone. */
  reseal(fileId: string): Promise<boolean>;
}

const additionalData = (keyId: string, salt: Buffer, index: number, final: boolean): Buffer =>
  Buffer.from(`clawtell file v1\n${keyId}\n${salt.toString("hex")}\n${index}\n${final ? 1 : 0}`);

const broken = (why: string, cause?: unknown): ClawTellError =>
  new ClawTellError("CT_STATE_CORRUPT", `a sealed attachment does not open: ${why}`, { field: "sealed", ...(cause === undefined ? {} : { cause }) });

async function* chunksOf(content: Uint8Array | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (content instanceof Uint8Array) yield content;
  else yield* content;
}

/** Reads a stream in pieces of the sizes asked for: `take(n)` answers exactly n bytes, or fewer at the end. */
function byteReader(source: AsyncIterator<unknown>): { take(n: number): Promise<Buffer> } {
  let buffered: Buffer[] = [];
  let length = 0;
  let done = false;
  return {
    async take(n) {
      while (length < n && !done) {
        const next = await source.next();
        if (next.done === true) done = true;
        else {
          const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
          buffered.push(chunk);
          length += chunk.length;
        }
      }
      const all = buffered.length === 1 ? (buffered[0] as Buffer) : Buffer.concat(buffered, length);
      const taken = all.subarray(0, Math.min(n, all.length));
      const rest = all.subarray(taken.length);
      buffered = rest.length === 0 ? [] : [rest];
      length = rest.length;
      return taken;
    },
  };
}

export function sealFileStore(base: FileStore, keyring: Keyring, opts: { segmentBytes?: number; /** False: new files are stored plain (`--no-encryption`). */ sealNew?: boolean } = {}): SealedFileStore {
  const segmentBytes = opts.segmentBytes ?? SEGMENT_BYTES;
  const sealNew = opts.sealNew ?? true;

  async function* sealed(content: Uint8Array | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const { id, key } = keyring.current();
    const salt = randomBytes(SALT_BYTES);
    const keyIdBytes = Buffer.from(id);
    yield Buffer.concat([MAGIC, Buffer.from([keyIdBytes.length]), keyIdBytes, salt]);
    let index = 0;
    const segment = (plain: Buffer, final: boolean): Buffer => {
      const nonce = freshNonce();
      const cipher = createCipheriv("aes-256-gcm", keyObjectOf(key), nonce);
      cipher.setAAD(additionalData(id, salt, index++, final));
      const frame = Buffer.alloc(FRAME_BYTES);
      frame.writeUInt8(final ? 1 : 0, 0);
      frame.writeUInt32BE(plain.length, 1);
      nonce.copy(frame, 5);
      return Buffer.concat([frame, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    };
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of chunksOf(content)) {
      pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      pendingBytes += chunk.byteLength;
      // A full segment is written once more bytes follow it: the last one, full or not, carries the final flag.
      while (pendingBytes > segmentBytes) {
        const all = Buffer.concat(pending, pendingBytes);
        yield segment(all.subarray(0, segmentBytes), false);
        const rest = all.subarray(segmentBytes);
        pending = [rest];
        pendingBytes = rest.length;
      }
    }
    yield segment(Buffer.concat(pending, pendingBytes), true);
  }

  /** The plain bytes of a stored file, segment by segment. */
  async function* opened(fileId: string): AsyncGenerator<Buffer> {
    const reader = byteReader(base.read(fileId)[Symbol.asyncIterator]());
    const head = await reader.take(MAGIC.length);
    if (!head.equals(MAGIC)) {
      // Plain: written before encryption.
      if (head.length > 0) yield head;
      for (let rest = await reader.take(segmentBytes); rest.length > 0; rest = await reader.take(segmentBytes)) yield rest;
      return;
    }
    const idLength = (await reader.take(1))[0] ?? 0;
    const keyId = (await reader.take(idLength)).toString();
    const salt = await reader.take(SALT_BYTES);
    if (salt.length !== SALT_BYTES || keyId.length === 0) throw broken("its header is cut short");
    const key = keyring.find(keyId);
    if (key === undefined) {
      throw new ClawTellError("CT_STATE_CORRUPT", `a sealed attachment names master key "${keyId}", which the keyring does not hold (give it with CLAWTELL_MASTER_KEY or --master-key-file)`, { field: "masterKey" });
    }
    for (let index = 0; ; index++) {
      const frame = await reader.take(FRAME_BYTES);
      if (frame.length === 0) throw broken("it was cut short");
      if (frame.length < FRAME_BYTES) throw broken("a segment is cut short");
      const final = frame.readUInt8(0) === 1;
      const length = frame.readUInt32BE(1);
      if (length > segmentBytes && length > SEGMENT_BYTES) throw broken("a segment is too long");
      const body = await reader.take(length + TAG_BYTES);
      if (body.length < length + TAG_BYTES) throw broken("a segment is cut short");
      let plain: Buffer;
      try {
        const decipher = createDecipheriv("aes-256-gcm", keyObjectOf(key), frame.subarray(5, FRAME_BYTES));
        decipher.setAAD(additionalData(keyId, salt, index, final));
        decipher.setAuthTag(body.subarray(length));
        plain = Buffer.concat([decipher.update(body.subarray(0, length)), decipher.final()]);
      } catch (err) {
        throw broken("it was altered", err);
      }
      if (plain.length > 0) yield plain;
      if (final) {
        if ((await reader.take(1)).length > 0) throw broken("bytes follow its last segment");
        return;
      }
    }
  }

  const gone = (err: unknown): boolean =>
    (isErrnoException(err) && err.code === "ENOENT") || (err instanceof ClawTellError && err.code === "CT_NOT_FOUND");

  return {
    save: (content) => base.save(sealNew ? sealed(content) : content),
    replace: (fileId, content) => base.replace(fileId, sealNew ? sealed(content) : content),
    read: (fileId) => Readable.from(opened(fileId), { objectMode: false }),
    remove: (fileIds) => base.remove(fileIds),
    listWrittenBefore: (cutoff) => base.listWrittenBefore(cutoff),
    async keyIdOf(fileId) {
      const source = base.read(fileId);
      try {
        const reader = byteReader(source[Symbol.asyncIterator]());
        if (!(await reader.take(MAGIC.length)).equals(MAGIC)) return undefined;
        const idLength = (await reader.take(1))[0] ?? 0;
        return (await reader.take(idLength)).toString();
      } catch (err) {
        if (gone(err)) return undefined;
        throw err;
      } finally {
        source.destroy();
      }
    },
    async reseal(fileId) {
      try {
        await base.replace(fileId, sealed(opened(fileId)));
        return true;
      } catch (err) {
        if (gone(err)) return false;
        throw err;
      }
    },
  };
}
