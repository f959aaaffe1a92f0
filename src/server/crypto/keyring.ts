/**
 * The master keys that seal message content at rest (seal.ts, sealed-files.ts). A key is 32 random bytes with a short
 * id; every sealed field and file names the id of the key that sealed it, so old keys keep opening old content after a
 * rotation while new content is sealed under the current key.
 *
 * Where the keys come from:
 * - `CLAWTELL_MASTER_KEY` (32 bytes as 64 hex digits or base64), handed in as `value`: it is the current key (its id is
 *   derived from it). Older keys may follow it, comma-separated: they open what they sealed, and re-sealing moves that
 *   content to the first key. The key file's keys, if the file exists, still open what they sealed too.
 * - else the key file (`<dataDir>/master.key` unless told otherwise), created with one new key, mode 0600, when
 *   missing. It is JSON: `{ "current": "<id>", "keys": [{ "id", "key" (base64), "createdAt" }] }`.
 *
 * `clawtell admin retire-master-key` removes an old key from the file once nothing is sealed under it any more.
 *
 * A running server finds a key that `clawtell admin rotate-master-key` added beside it: the file is looked at again
 * (its size and mtime) at most every `recheckMs` when the current key is asked for, and at once when content names a
 * key id the ring does not hold.
 */

import { createHash, randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { ClawTellError, STATE_FILE_MODE, fsyncDirSync, isErrnoException, systemClock, type Clock } from "../../infra/index.js";

export const MASTER_KEY_FILE = "master.key";
/** How often the current key is looked for again in the key file. */
export const KEY_RECHECK_MS = 1_000;
const KEY_BYTES = 32;
const KEY_ID = /^[a-z0-9-]{1,32}$/;

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface Keyring {
  /** The key new content is sealed under. */
  current(): MasterKey;
  /** The key of this id (the key file is read again once when it is unknown); undefined when there is none. */
  find(id: string): Buffer | undefined;
}

const KeyFileSchema = z.object({
  current: z.string().regex(KEY_ID),
  keys: z.array(z.object({ id: z.string().regex(KEY_ID), key: z.string(), createdAt: z.number() })).min(1),
});
type KeyFile = z.infer<typeof KeyFileSchema>;

/** Reads 32 key bytes written as 64 hex digits or as base64; CT_CONFIG_INVALID otherwise. */
export function parseMasterKey(text: string, field: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (bytes.length !== KEY_BYTES || (!/^[0-9a-fA-F]{64}$/.test(trimmed) && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed))) {
    throw new ClawTellError("CT_CONFIG_INVALID", `${field} must be ${KEY_BYTES} bytes, as 64 hex digits or as base64`, { field });
  }
  return bytes;
}

/** The id of a key given by value: derived from it (a hash), so every process given the same key names it alike. */
export function derivedKeyId(key: Buffer): string {
  return `env-${createHash("sha256").update("clawtell master key id\n").update(key).digest("hex").slice(0, 12)}`;
}

function readKeyFile(path: string): KeyFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (isErrnoException(err) && err.code === "ENOENT") return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ClawTellError("CT_CONFIG_INVALID", `${path} is not a master key file`, { field: "masterKeyFile", cause: err });
  }
  const file = KeyFileSchema.safeParse(parsed);
  if (!file.success || !file.data.keys.some((k) => k.id === file.data.current)) {
    throw new ClawTellError("CT_CONFIG_INVALID", `${path} is not a master key file`, { field: "masterKeyFile" });
  }
  for (const k of file.data.keys) parseMasterKey(k.key, "masterKeyFile");
  return file.data;
}

/** Writes the key file whole: temp file (0600), fsync, rename, fsync the folder. */
function writeKeyFile(path: string, file: KeyFile): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", STATE_FILE_MODE);
  try {
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, STATE_FILE_MODE);
  renameSync(tmp, path);
  fsyncDirSync(dirname(path));
}

const newKey = (now: number): KeyFile["keys"][number] => ({
  id: `k${randomBytes(5).toString("hex")}`,
  key: randomBytes(KEY_BYTES).toString("base64"),
  createdAt: now,
});

/**
 * Adds a new key to the key file and makes it current (the file is created when missing); the old keys stay, for what
 * they sealed. Answers the new key's id and the previous current one's.
 */
export function rotateKeyFile(path: string, now: number): { id: string; previous: string | undefined } {
  const file = readKeyFile(path);
  const key = newKey(now);
  writeKeyFile(path, { current: key.id, keys: [...(file?.keys ?? []), key] });
  return { id: key.id, previous: file?.current };
}

/** The key file's ids, which one is current, and when each was made (never the key bytes); undefined when missing. */
export function describeKeyFile(path: string): { current: string; keys: Array<{ id: string; createdAt: number }> } | undefined {
  const file = readKeyFile(path);
  return file === undefined ? undefined : { current: file.current, keys: file.keys.map((k) => ({ id: k.id, createdAt: k.createdAt })) };
}

/**
 * Removes an old key from the key file (the caller has made sure nothing is sealed under it any more). CT_NOT_FOUND
 * when the file does not hold it; CT_CONFLICT when it is the current key.
 */
export function removeKeyFromFile(path: string, id: string): void {
  const file = readKeyFile(path);
  if (file === undefined || !file.keys.some((k) => k.id === id)) {
    throw new ClawTellError("CT_NOT_FOUND", `${path} holds no master key ${id}`, { field: "keyId" });
  }
  if (file.current === id) {
    throw new ClawTellError("CT_CONFLICT", `master key ${id} is the current key of ${path}: rotate first (clawtell admin rotate-master-key)`, { field: "keyId" });
  }
  writeKeyFile(path, { current: file.current, keys: file.keys.filter((k) => k.id !== id) });
}

export interface KeyringOptions {
  /** The key file (created when missing and no `value` is given, unless `create` is false); none: `value` only. */
  readonly file?: string | undefined;
  /** Keys given by value (`CLAWTELL_MASTER_KEY`), comma-separated: the first is the current key, the others open old content. */
  readonly value?: string | undefined;
  /**
   * Whether a missing key file is created with a new key. Readers that must not make a key (`clawtell admin` on a
   * folder, a server run with `--no-encryption`) pass false: with neither file nor value the ring then holds no key.
   * @defaultValue true
   */
  readonly create?: boolean;
  readonly clock?: Clock;
  /** @defaultValue {@link KEY_RECHECK_MS} */
  readonly recheckMs?: number;
}

export function openKeyring(opts: KeyringOptions): Keyring {
  const clock = opts.clock ?? systemClock;
  const recheckMs = opts.recheckMs ?? KEY_RECHECK_MS;
  const values = (opts.value ?? "").split(",").filter((v) => v.trim() !== "");
  const givenKeys: MasterKey[] = values.map((v) => {
    const key = parseMasterKey(v, "CLAWTELL_MASTER_KEY");
    return { id: derivedKeyId(key), key };
  });
  const given: MasterKey | undefined = givenKeys[0];
  const path = opts.file;
  if (given === undefined && path === undefined) {
    throw new ClawTellError("CT_CONFIG_INVALID", "no master key: give CLAWTELL_MASTER_KEY or a master key file", { field: "masterKeyFile" });
  }
  if (given === undefined && path !== undefined && opts.create !== false && readKeyFile(path) === undefined) {
    try {
      const key = newKey(clock.now());
      writeKeyFile(path, { current: key.id, keys: [key] });
    } catch (err) {
      throw new ClawTellError("CT_CONFIG_INVALID", `the master key file ${path} could not be created`, { field: "masterKeyFile", cause: err });
    }
  }

  let keys = new Map<string, Buffer>();
  let current: MasterKey | undefined = given;
  let seen = "";
  let checkedAt = Number.NEGATIVE_INFINITY;
  const load = (): void => {
    checkedAt = clock.now();
    if (path === undefined) return;
    let stamp: string;
    try {
      const stat = statSync(path);
      stamp = `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    } catch (err) {
      // No key file: the keys given by value are all there is (or none, for a reader that does not create one).
      if (isErrnoException(err) && err.code === "ENOENT") return;
      throw err;
    }
    if (stamp === seen) return;
    const file = readKeyFile(path);
    seen = stamp;
    if (file === undefined) return;
    const loaded = new Map<string, Buffer>();
    for (const k of file.keys) loaded.set(k.id, parseMasterKey(k.key, "masterKeyFile"));
    for (const k of givenKeys) loaded.set(k.id, k.key);
    keys = loaded;
    if (given === undefined) {
      const key = loaded.get(file.current);
      if (key !== undefined) current = { id: file.current, key };
    }
  };
  load();
  for (const k of givenKeys) keys.set(k.id, k.key);

  return {
    current() {
      if (given === undefined && clock.now() - checkedAt >= recheckMs) {
        try {
          load();
        } catch {
          // A key file caught half-written by another tool is read again at the next check; the known key still seals.
        }
      }
      if (current === undefined) {
        throw new ClawTellError("CT_CONFIG_INVALID", `no master key: neither ${path ?? "a key file"} nor CLAWTELL_MASTER_KEY holds one`, { field: "masterKeyFile" });
      }
      return current;
    },
    find(id) {
      const known = keys.get(id);
      if (known !== undefined) return known;
      load();
      return keys.get(id);
    },
  };
}
