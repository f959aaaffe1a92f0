/**
 * AES-256-GCM as every seal of ours runs it (node:crypto), in two roles:
 * - the pure functions below, which seal.ts and sealed-files.ts use on the event loop;
 * - the worker thread that seals messages' subjects and bodies ahead of the embedded store's hand-over to its archive
 *   (content-sealing.ts), when started with {@link SEAL_WORKER_ROLE} as its data.
 * Self-contained (imports only Node's own modules), so it runs as a worker from the sources, from tsc's output and as
 * its own bundle beside cli.js.
 *
 * What each seal needs is made cheaply: the key as a KeyObject (made once per key: a raw key handed to createCipheriv
 * is imported again at every call, which costs several times the encryption of a short field), and random nonces drawn
 * from a buffer refilled from the system's CSPRNG (one call per 1024 nonces instead of one per seal). A nonce is a view
 * into that buffer, valid until the buffer is refilled (after at most 1023 more): the cipher and the sealed output copy
 * it at once. Nonces are not secret (each is stored beside its ciphertext); what matters is that none repeats (each
 * thread has its own buffer, filled from the CSPRNG).
 */

import { createCipheriv, createSecretKey, randomFillSync, type KeyObject } from "node:crypto";
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";

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

/** What content-sealing.ts gives the worker as `workerData`; without it the module only exports its functions. */
export const SEAL_WORKER_ROLE = "clawtell-seal-rows";
/**
 * How much nicer than the process the sealing thread runs (Linux): it seals with the CPU the event loop leaves, and
 * does not take the core from it when it is woken on a busy machine (a thread of the same priority would); what it
 * has not sealed in time the hand-over seals itself.
 */
export const SEAL_WORKER_NICER = 10;

/** Lowers this thread's priority where the system lets a thread have its own (Linux); elsewhere nothing changes. */
function lowerThisThread(by: number): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + by));
  } catch {
    // Not Linux, or not allowed: the thread keeps the process's priority.
  }
}

/**
 * A group of messages' pairs to seal under one key: the contexts (`message:<id>`), subjects and bodies, in order. The
 * key's bytes come with the first job under it; the thread keeps them for the later ones.
 */
export interface SealRowsJob {
  readonly keyId: string;
  readonly key?: Uint8Array;
  readonly contexts: readonly string[];
  readonly subjects: readonly string[];
  readonly bodies: readonly string[];
}

const port = parentPort;
if (port !== null && workerData === SEAL_WORKER_ROLE) {
  lowerThisThread(SEAL_WORKER_NICER);
  const keys = new Map<string, KeyObject>();
  port.on("message", (job: SealRowsJob & { id: number }) => {
    if (job.key !== undefined) keys.set(job.keyId, createSecretKey(job.key));
    const key = keys.get(job.keyId);
    if (key === undefined) throw new Error(`the sealing thread was given no key ${job.keyId}`);
    const bodies = job.contexts.map((context, i) => sealPairText(job.subjects[i] ?? "", job.bodies[i] ?? "", context, job.keyId, key));
    port.postMessage({ id: job.id, bodies });
  });
}
