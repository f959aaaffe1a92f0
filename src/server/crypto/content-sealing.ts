/**
 * The embedded message store's sealing (store/content-sealing.ts), made of the server's sealer: journal lines sealed
 * whole as single fields (`messages.journal <generation>`), rows as pairs (`message:<id>`, seal.ts), and rows sealed
 * ahead in a worker thread (gcm.ts) so that the event loop seals only the few a hand-over meets before they are back.
 * The thread starts with the first group and does not keep the process alive; when it fails or exits, the next group
 * starts a new one (and the hand-over meanwhile seals in place).
 */

import type { ContentSealing } from "../store/index.js";
import { besideModule, startWorkerJobs, type WorkerJobs } from "../worker-jobs.js";
import { SEAL_WORKER_ROLE, type SealRowsJob } from "./gcm.js";
import type { Keyring } from "./keyring.js";
import { sealedKeyId, type Sealer } from "./seal.js";
import { messageContext } from "./sealed-storage.js";

export interface ServerContentSealing extends ContentSealing {
  /** Ends the sealing thread (after the store has closed: its last hand-over seals in place). */
  stop(): Promise<void>;
}

export interface ContentSealingOptions {
  /** Seal new content; false: lines and rows are stored plain (rows escaped), and sealed content still opens. */
  readonly sealNew: boolean;
  /** Seal rows ahead in a worker thread. @defaultValue true when sealing new content */
  readonly sealAhead?: boolean;
}

export function createContentSealing(sealer: Sealer, keyring: Keyring, opts: ContentSealingOptions): ServerContentSealing {
  let jobs: WorkerJobs<SealRowsJob, { bodies: string[] }> | undefined;
  /** The keys the thread holds: each key's bytes go to it once (a Buffer's whole backing store would be copied each time). */
  let keysSent = new Set<string>();
  const thread = (): WorkerJobs<SealRowsJob, { bodies: string[] }> => {
    if (jobs === undefined) {
      keysSent = new Set();
      jobs = startWorkerJobs(besideModule(import.meta.url, "./gcm"), {
        workerData: SEAL_WORKER_ROLE,
        work: "sealing messages",
        onGone: () => {
          jobs = undefined;
        },
      });
    }
    return jobs;
  };
  const sealAhead = opts.sealNew && (opts.sealAhead ?? true);
  return {
    sealsNew: opts.sealNew,
    sealLine: (text, context) => sealer.seal(text, context),
    openLine: (stored, context) => sealer.open(stored, context),
    lineKeyId: sealedKeyId,
    sealRow: (row, keyId) => sealer.sealPair(row.subject, row.body, messageContext(row.id), keyId),
    openRow: (row) => sealer.openPair(row.subject, row.body, messageContext(row.id)),
    ...(sealAhead
      ? {
          async sealRowsAhead(rows) {
            const { id: keyId, key } = keyring.current();
            const worker = thread();
            const first = !keysSent.has(keyId);
            keysSent.add(keyId);
            const { bodies } = await worker.run({
              keyId,
              ...(first ? { key: new Uint8Array(key) } : {}),
              contexts: rows.map((row) => messageContext(row.id)),
              subjects: rows.map((row) => row.subject),
              bodies: rows.map((row) => row.body),
            });
            const subject = sealer.pairMarker(keyId);
            return bodies.map((body) => ({ subject, body }));
          },
        }
      : {}),
    async stop() {
      await jobs?.terminate();
      jobs = undefined;
    },
  };
}
