/**
 * Messages' subjects and bodies sealed off the event loop: the pairs asked for in one turn of the event loop go to a
 * worker thread (seal-worker.ts) in one message and come back sealed, in the stored format of seal.ts (`sealPair`).
 * Node's cipher calls cost a few microseconds a message however short it is, and the event loop, not the machine's
 * other core, is what limits a busy server; a batch costs the event loop one copy of its texts each way instead. The
 * wait is a turn of the event loop and a hop to the thread and back, well within the journal's group commit.
 *
 * The thread is told a key the first time a batch is sealed under it (the keyring's current key, asked at each
 * batch, so a rotation applies from the next batch on); the key stays in the two threads' memory and is never put in
 * an answer, a log line or an error. A batch that fails (the thread reports an error, dies or exits) fails all its
 * messages with CT_INTERNAL, and nothing of it is stored; the next batch starts a new thread. `stop()` ends the
 * thread and fails what is still waiting with CT_UNAVAILABLE. The thread does not keep the process alive.
 *
 * One batch is in the thread at a time; what is asked meanwhile goes as the next batch once it is answered. A batch of
 * fewer than {@link IN_PLACE_BELOW} messages is sealed in place instead: the trip to the thread and back costs the
 * event loop about as much as three seals (some 10 µs against 3.5–4 µs a seal, measured with short messages), so a
 * quiet server gains nothing from the thread and its sends would wait for it. A busy server, the one the event loop
 * limits, gathers more sends per turn (most batches held 8 to 63 at 32 senders), and there the thread saves most of
 * each seal. The order of the stores is kept: a batch is sealed only once the one before it is answered.
 */

import type { ResourceLimits } from "node:worker_threads";
import { ClawTellError } from "../../infra/index.js";
import { besideModule, startWorkerJobs, type WorkerJobs } from "../worker-jobs.js";
import type { Keyring } from "./keyring.js";
import { SEAL_WORKER_ROLE, type SealAnswer, type SealJob } from "./seal-worker.js";
import type { SealedPair, Sealer } from "./seal.js";

/** Batches smaller than this are sealed in place (see above). */
export const IN_PLACE_BELOW = 4;

export interface SealBatches {
  /** The pair sealed under the current key, bound to `context` (`message:<id>`), with the others asked this turn. */
  sealPair(subject: string, body: string, context: string): Promise<SealedPair>;
  /** Threads started and not ended yet (0 or 1, more only for a moment while one that failed ends). */
  threads(): number;
  /** Ends the thread; pairs still waiting fail. */
  stop(): Promise<void>;
}

interface Waiting {
  readonly resolve: (sealed: SealedPair) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly jobs: WorkerJobs<Omit<SealJob, "id">, SealAnswer>;
  /** The key ids this thread holds. */
  readonly told: Set<string>;
}

const failed = (problem: string, cause?: unknown): ClawTellError =>
  new ClawTellError("CT_INTERNAL", `sealing message content failed: ${problem}`, cause === undefined ? {} : { cause });

/**
 * Batches of pairs sealed in a worker thread under `keyring`'s current key; `sealer` (over the same keyring) seals the
 * small ones in place and names the subject marker. `inPlaceBelow` 0 sends every batch to the thread.
 */
export function startSealBatches(
  keyring: Keyring,
  sealer: Pick<Sealer, "sealPair" | "markerOf">,
  opts: { inPlaceBelow?: number; resourceLimits?: ResourceLimits } = {},
): SealBatches {
  const inPlaceBelow = opts.inPlaceBelow ?? IN_PLACE_BELOW;
  let threads = 0;
  let slot: Slot | undefined;
  /** Batches sent to the thread and not answered yet. */
  let inThread = 0;
  let stopped = false;
  // The pairs asked for since the last batch went: context, subject and body of each in turn, and who waits for it.
  let items: string[] = [];
  let waiting: Waiting[] = [];
  let scheduled: NodeJS.Immediate | undefined;

  const start = (): Slot => {
    const started: Slot = {
      jobs: startWorkerJobs(besideModule(import.meta.url, "./seal-worker"), {
        workerData: SEAL_WORKER_ROLE,
        work: "sealing message content",
        onGone: () => {
          if (slot === started) slot = undefined;
        },
        onExit: () => {
          threads--;
        },
        ...(opts.resourceLimits === undefined ? {} : { resourceLimits: opts.resourceLimits }),
      }),
      told: new Set(),
    };
    slot = started;
    threads++;
    return started;
  };

  const send = async (batch: readonly string[], keyId: string, key: Buffer): Promise<readonly string[]> => {
    const current = slot ?? start();
    const tell = !current.told.has(keyId);
    // A copy of the key goes over (the keyring keeps its own buffer); a thread that dies takes it with it.
    const answer = await current.jobs.run({ keyId, items: batch, ...(tell ? { key: new Uint8Array(key) } : {}) });
    if (!answer.ok) throw failed(answer.problem);
    // Told only once a batch under the key was sealed: a key the thread could not take is sent again.
    if (tell) current.told.add(keyId);
    if (answer.bodies.length * 3 !== batch.length) throw failed("the worker answered a different number of messages");
    return answer.bodies;
  };

  const flush = (): void => {
    scheduled = undefined;
    // One batch in the thread at a time: what is asked meanwhile waits for its answer and goes as the next batch, so a
    // busy server sends fewer, larger batches (each trip wakes the other thread, which costs more than a seal).
    if (inThread > 0 || items.length === 0) return;
    const batch = items;
    const those = waiting;
    items = [];
    waiting = [];
    if (those.length < inPlaceBelow) {
      for (let i = 0; i < those.length; i++) {
        try {
          those[i]?.resolve(sealer.sealPair(batch[3 * i + 1] ?? "", batch[3 * i + 2] ?? "", batch[3 * i] ?? ""));
        } catch (err) {
          those[i]?.reject(err instanceof Error ? err : failed("sealing failed"));
        }
      }
      return;
    }
    let keyId: string;
    let key: Buffer;
    try {
      ({ id: keyId, key } = keyring.current());
    } catch (err) {
      for (const w of those) w.reject(err instanceof Error ? err : failed("no master key"));
      return;
    }
    const marker = sealer.markerOf(keyId);
    inThread++;
    send(batch, keyId, key).then(
      (bodies) => {
        inThread--;
        for (let i = 0; i < those.length; i++) those[i]?.resolve({ subject: marker, body: bodies[i] ?? "" });
        // After these: the next batch, even one sealed in place, never overtakes them.
        flush();
      },
      (err: unknown) => {
        inThread--;
        const error = err instanceof ClawTellError ? err : failed("the worker failed", err);
        for (const w of those) w.reject(error);
        flush();
      },
    );
  };

  return {
    threads: () => threads,
    sealPair(subject, body, context) {
      if (stopped) return Promise.reject(new ClawTellError("CT_UNAVAILABLE", "the server is stopping: message content is not sealed any more"));
      return new Promise<SealedPair>((resolve, reject) => {
        items.push(context, subject, body);
        waiting.push({ resolve, reject });
        // After the poll phase: every send whose request arrived in this turn joins the batch.
        scheduled ??= setImmediate(flush);
      });
    },
    async stop() {
      stopped = true;
      if (scheduled !== undefined) {
        clearImmediate(scheduled);
        scheduled = undefined;
      }
      const those = waiting;
      items = [];
      waiting = [];
      for (const w of those) w.reject(new ClawTellError("CT_UNAVAILABLE", "the server is stopping: message content is not sealed any more"));
      const running = slot;
      slot = undefined;
      // Batches in the thread fail with CT_INTERNAL when it ends (worker-jobs.ts).
      await running?.jobs.terminate();
    },
  };
}
