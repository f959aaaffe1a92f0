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
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { ClawTellError } from "../../infra/index.js";
import { freshNonce, keyObjectOf } from "./cipher-keys.js";
import type { Keyring } from "./keyring.js";

export const SEAL_PREFIX = "ctseal1:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealer {
  /** The text sealed under the current key, bound to `context`. */
  seal(text: string, context: string): string;
  /** The text of a sealed value (plain values answer themselves); CT_STATE_CORRUPT when it does not open. */
  open(value: string, context: string): string;
  /** The id of the current key. */
  currentKeyId(): string;
}

/** The key id a sealed value names; undefined for plain text. */
export function sealedKeyId(value: string): string | undefined {
  if (!value.startsWith(SEAL_PREFIX)) return undefined;
  const end = value.indexOf(":", SEAL_PREFIX.length);
  return end < 0 ? "" : value.slice(SEAL_PREFIX.length, end);
}

const additionalData = (keyId: string, context: string): Buffer => Buffer.from(`clawtell seal v1\n${keyId}\n${context}`);

export interface SealerOptions {
  /**
   * False: new content is stored plain (`--no-encryption`) and only content sealed before is opened, with the keys the
   * ring holds. @defaultValue true
   */
  readonly sealNew?: boolean;
  /** How many values this sealer sealed last it opens from memory. @defaultValue {@link RECENT_SEALS} */
  readonly recent?: number;
}

/**
 * Values sealed last that `open` answers from memory without deciphering: a message is usually handed out moments
 * after it was sent, so its subject and body are opened by the process that just sealed them. A hit needs the same
 * context as the seal (a value moved to another row still fails). Only short texts are kept, so the memory stays
 * small; their plain text is in this process's memory anyway while the send and the hand-out are under way.
 */
export const RECENT_SEALS = 2_048;
const RECENT_MAX_CHARS = 1_024;

export function createSealer(keyring: Keyring, opts: SealerOptions = {}): Sealer {
  const sealNew = opts.sealNew ?? true;
  const capacity = opts.recent ?? RECENT_SEALS;
  // Two generations (sealed value → context and text): when the newer one is half the capacity, it becomes the older
  // and the older is dropped whole. Cheaper than evicting one entry at a time from a Map kept in insertion order.
  let newer = new Map<string, { context: string; text: string }>();
  let older = new Map<string, { context: string; text: string }>();
  const remember = (value: string, context: string, text: string): void => {
    if (capacity === 0 || text.length > RECENT_MAX_CHARS) return;
    if (newer.size >= capacity / 2) {
      older = newer;
      newer = new Map();
    }
    newer.set(value, { context, text });
  };
  return {
    seal(text, context) {
      if (!sealNew) return text;
      const { id, key } = keyring.current();
      const nonce = freshNonce();
      const cipher = createCipheriv("aes-256-gcm", keyObjectOf(key), nonce);
      cipher.setAAD(additionalData(id, context));
      const sealed = Buffer.concat([nonce, cipher.update(text, "utf8"), cipher.final(), cipher.getAuthTag()]);
      const value = `${SEAL_PREFIX}${id}:${sealed.toString("base64url")}`;
      remember(value, context, text);
      return value;
    },
    open(value, context) {
      const keyId = sealedKeyId(value);
      if (keyId === undefined) return value;
      const known = newer.get(value) ?? older.get(value);
      if (known !== undefined && known.context === context) return known.text;
      const key = keyring.find(keyId);
      if (key === undefined) {
        throw new ClawTellError("CT_STATE_CORRUPT", `sealed content names master key "${keyId}", which the keyring does not hold (give it with CLAWTELL_MASTER_KEY or --master-key-file)`, {
          field: "masterKey",
        });
      }
      const raw = Buffer.from(value.slice(SEAL_PREFIX.length + keyId.length + 1), "base64url");
      if (raw.length < NONCE_BYTES + TAG_BYTES) throw broken(context);
      try {
        const decipher = createDecipheriv("aes-256-gcm", keyObjectOf(key), raw.subarray(0, NONCE_BYTES));
        decipher.setAAD(additionalData(keyId, context));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
      } catch (err) {
        throw broken(context, err);
      }
    },
    currentKeyId: () => keyring.current().id,
  };
}

const broken = (context: string, cause?: unknown): ClawTellError =>
  new ClawTellError("CT_STATE_CORRUPT", `sealed content (${context}) does not open: it was altered or moved`, {
    field: "sealed",
    ...(cause === undefined ? {} : { cause }),
  });
