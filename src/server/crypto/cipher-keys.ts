/**
 * What each seal needs, made cheaply: the key as a KeyObject (made once per key: a raw key handed to createCipheriv is
 * imported again at every call, which costs several times the encryption of a short field), and random nonces drawn
 * from a buffer refilled from the system's CSPRNG (one call per 1024 nonces instead of one per seal). A nonce is a view
 * into that buffer, valid until the buffer is refilled (after at most 1023 more): the cipher and the sealed output copy
 * it at once. Nonces are not secret (each is stored beside its ciphertext); what matters is that none repeats.
 */

import { createSecretKey, randomFillSync, type KeyObject } from "node:crypto";

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

const NONCE_BYTES = 12;
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
