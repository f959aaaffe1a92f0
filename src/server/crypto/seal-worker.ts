/**
 * The AES-GCM seal of one text in the stored format of seal.ts, in two roles:
 * - the pure functions below, which seal.ts runs on the event loop (single fields, approvals, re-sealing);
 * - the worker thread that runs them for batches of message pairs (seal-batches.ts): a seal costs a few microseconds
 *   of cipher set-up however short the text, and the event loop is what limits a busy server.
 * Self-contained (imports only Node's own modules), so it runs as a worker from the sources, from tsc's output and as
 * its own bundle beside cli.js; it answers jobs only when started with {@link SEAL_WORKER_ROLE} as its data. The key
 * comes over with the first job sealed under it and is kept only in this thread's memory; an answer never carries it.
 */

import { createCipheriv, createSecretKey, randomFillSync, type KeyObject } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

export const SEAL_PREFIX = "ctseal1:";
/** What seal-batches.ts gives the worker as `workerData`; without it the module only exports its functions. */
export const SEAL_WORKER_ROLE = "clawtell-seal";
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** The additional data of a field sealed alone. */
export const additionalData = (keyId: string, context: string): Buffer => Buffer.from(`clawtell seal v1\n${keyId}\n${context}`);
/** The additional data of a row's pair. */
export const pairData = (keyId: string, context: string): Buffer => Buffer.from(`clawtell seal v1 pair\n${keyId}\n${context}`);
/** The plain text of a pair: the subject's length in UTF-16 code units, a colon, the subject, the body. */
export const pairText = (subject: string, body: string): string => `${subject.length}:${subject}${body}`;

/** `plain` sealed under `key` (named `keyId`) with a fresh `nonce` (12 bytes, copied at once) and additional data `aad`. */
export function sealText(plain: string, aad: Buffer, keyId: string, key: KeyObject, nonce: Buffer): string {
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([nonce, cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${SEAL_PREFIX}${keyId}:${sealed.toString("base64url")}`;
}

/** A batch of pairs to seal under the key `keyId`: `items` holds context, subject and body of each pair in turn. */
export interface SealJob {
  readonly id: number;
  readonly keyId: string;
  /** The key's 32 bytes, sent with the first job under a key id this thread has not been told. */
  readonly key?: Uint8Array;
  readonly items: readonly string[];
}

/** The sealed bodies in the order of the job's pairs, or why the batch failed (never the key or a text). */
export type SealAnswer = { readonly id: number; readonly ok: true; readonly bodies: readonly string[] } | { readonly id: number; readonly ok: false; readonly problem: string };

/** Seals one batch; throws when the key is unknown or a seal fails. */
function sealBatch(job: SealJob, keys: Map<string, KeyObject>): string[] {
  if (job.key !== undefined) keys.set(job.keyId, createSecretKey(job.key));
  const key = keys.get(job.keyId);
  if (key === undefined) throw new Error("the key of the batch was never sent");
  const pairs = job.items.length / 3;
  // One draw from the system's CSPRNG for the whole batch; each nonce is a view that createCipheriv copies.
  const nonces = randomFillSync(Buffer.allocUnsafe(NONCE_BYTES * pairs));
  const bodies: string[] = new Array<string>(pairs);
  for (let i = 0; i < pairs; i++) {
    const context = job.items[3 * i] ?? "";
    const plain = pairText(job.items[3 * i + 1] ?? "", job.items[3 * i + 2] ?? "");
    bodies[i] = sealText(plain, pairData(job.keyId, context), job.keyId, key, nonces.subarray(NONCE_BYTES * i, NONCE_BYTES * (i + 1)));
  }
  return bodies;
}

const port = parentPort;
if (port !== null && workerData === SEAL_WORKER_ROLE) {
  const keys = new Map<string, KeyObject>();
  port.on("message", (job: SealJob) => {
    let answer: SealAnswer;
    try {
      answer = { id: job.id, ok: true, bodies: sealBatch(job, keys) };
    } catch (err) {
      // The name of what failed only (a crypto error's message names no key material).
      answer = { id: job.id, ok: false, problem: err instanceof Error ? err.message : "sealing failed" };
    }
    port.postMessage(answer);
  });
}
