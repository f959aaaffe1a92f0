/**
 * AES-256-GCM as every seal of ours runs it (node:crypto): the functions seal.ts and sealed-files.ts build on.
 *
 * What each seal needs is made cheaply: the key as a KeyObject (made once per key: a raw key handed to createCipheriv
 * is imported again at every call, which costs several times the encryption of a short field), and random nonces drawn
 * from a buffer refilled from the system's CSPRNG (one call per 1024 nonces instead of one per seal). A nonce is a view
 * into that buffer, valid until the buffer is refilled (after at most 1023 more): the cipher and the sealed output copy
 * it at once. Nonces are not secret (each is stored beside its ciphertext); what matters is that none repeats (each
 * thread has its own buffer, filled from the CSPRNG).
 */

import { createCipheriv, createSecretKey, randomFillSync, type KeyObject } from "node:crypto";

export const SEAL_PREFIX = "ctseal1:";
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

const keyObjects = new WeakMap<Buffer, KeyObject>();

/** The KeyObject of a raw key, made once per key buffer. */
export function keyObjectOf(key: Buffer): KeyObject {
  let object = keyObjects.get(key);
  if (object === undefined) {
    object = createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

const pool = Buffer.alloc(NONCE_BYTES * 1024);
let used = pool.length;

/** 12 fresh random bytes, never handed out before; a view to be copied at once (see above), not kept. */
export function freshNonce(): Buffer {
  if (used + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const nonce = pool.subarray(used, used + NONCE_BYTES);
  used += NONCE_BYTES;
  return nonce;
}

/** The additional data of a single sealed field, and of a sealed pair (seal.ts tells the formats). */
export const fieldData = (keyId: string, context: string): Buffer => Buffer.from(`clawtell seal v1\n${keyId}\n${context}`);
export const pairData = (keyId: string, context: string): Buffer => Buffer.from(`clawtell seal v1 pair\n${keyId}\n${context}`);

/** `plain` sealed under the key `keyId`: `ctseal1:<key id>:<base64url of nonce ‖ ciphertext ‖ tag>`. */
export function sealText(plain: string, aad: Buffer, keyId: string, key: KeyObject): string {
  const nonce = freshNonce();
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([nonce, cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${SEAL_PREFIX}${keyId}:${sealed.toString("base64url")}`;
}

/** The body field of a sealed pair: subject and body sealed together, bound to the row `context`. */
export function sealPairText(subject: string, body: string, context: string, keyId: string, key: KeyObject): string {
  return sealText(`${subject.length}:${subject}${body}`, pairData(keyId, context), keyId, key);
}
