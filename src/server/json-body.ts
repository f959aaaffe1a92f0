/**
 * Request bodies in JSON, read so that no body can hold the event loop: the nesting depth and the number of values
 * are counted before `JSON.parse` runs, and a body past either bound is a 400 without being parsed; every string is
 * then made well-formed (a lone UTF-16 surrogate becomes U+FFFD). The reading itself is in json-parse-worker.ts.
 *
 * Bodies up to {@link INLINE_JSON_BYTES} (the global body limit) are read on the event loop: that takes a few
 * milliseconds at most. Larger ones — only a send with attachments may be larger, up to about 34 MB — are read in a
 * worker thread, where parsing them takes as long as it takes without holding any other request; the event loop
 * only hands the bytes over (without copying) and gets the value back.
 */

import { setImmediate as setImmediatePromise } from "node:timers/promises";
import { ClawTellError, systemClock, timerOn, type Clock } from "../infra/index.js";
import { BODY_LIMIT_BYTES } from "./context.js";
import { besideModule, startWorkerJobs, type WorkerJobs } from "./worker-jobs.js";
import {
  JSON_WORKER_ROLE,
  MAX_JSON_DEPTH,
  MAX_JSON_TOKENS,
  jsonBoundsProblem,
  parseJsonText,
  wellFormed,
  type JsonAnswer,
  type JsonJob,
  type JsonTextResult,
} from "./json-parse-worker.js";

export { MAX_JSON_DEPTH, MAX_JSON_TOKENS, wellFormed };

/** Bodies up to this many bytes are parsed on the event loop, larger ones in the worker thread. */
export const INLINE_JSON_BYTES = BODY_LIMIT_BYTES;

const refused = (problem: string): ClawTellError => new ClawTellError("CT_BAD_REQUEST", problem, { field: "body" });

const valueOf = (result: JsonTextResult): unknown => {
  if (!result.ok) throw refused(result.problem);
  return result.value;
};

/** Throws CT_BAD_REQUEST when the text nests deeper than {@link MAX_JSON_DEPTH} or has more than {@link MAX_JSON_TOKENS} tokens. */
export function assertJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH, maxTokens = MAX_JSON_TOKENS): void {
  const problem = jsonBoundsProblem(text, maxDepth, maxTokens);
  if (problem !== undefined) throw refused(problem);
}

/** A request body: `undefined` when empty, else its bounded, parsed and well-formed value; CT_BAD_REQUEST otherwise. */
export function parseJsonBody(text: string): unknown {
  return valueOf(parseJsonText(text));
}

export interface JsonBodyParser {
  /** {@link parseJsonBody} of the bytes (UTF-8): on the event loop up to `inlineBytes`, else in the worker thread. */
  parse(bytes: Buffer): Promise<unknown>;
  /**
   * Whether `parse` would read these bytes on the event loop: a caller that can take the value at once may then call
   * {@link parseJsonBody} itself, without the promise.
   */
  readsInline(bytes: Buffer): boolean;
  /** Whether the worker thread is running now. */
  workerRunning(): boolean;
  /** Ends the worker thread, if one was started. */
  close(): Promise<void>;
}

export interface JsonBodyParserOptions {
  /** @defaultValue {@link INLINE_JSON_BYTES} */
  readonly inlineBytes?: number;
  /** @defaultValue {@link JSON_WORKER_IDLE_MS} */
  readonly idleMs?: number;
  /** What the idle wait runs on. @defaultValue systemClock (it does not keep the process alive) */
  readonly clock?: Clock;
}

/** How long the worker thread is kept after its last body. */
export const JSON_WORKER_IDLE_MS = 10_000;

/**
 * A parser whose worker thread starts with the first large body, does not keep the process alive, ends after
 * {@link JSON_WORKER_IDLE_MS} without work (and starts again with the next large body), is started again after a
 * crash (the bodies it held fail with CT_INTERNAL), and ends with `close()`.
 */
export function createJsonBodyParser(options: JsonBodyParserOptions = {}): JsonBodyParser {
  const inlineBytes = options.inlineBytes ?? INLINE_JSON_BYTES;
  const idleMs = options.idleMs ?? JSON_WORKER_IDLE_MS;
  let running: WorkerJobs<Omit<JsonJob, "id">, JsonAnswer> | undefined;
  const clock = options.clock ?? systemClock;
  let cancelIdle = (): void => undefined;

  /** Ends the worker once it has had nothing to do for a while: its heap still holds the last bodies' text. */
  const idleAfterLastAnswer = (): void => {
    const slot = running;
    if (slot === undefined || slot.pendingCount() > 0) return;
    cancelIdle();
    cancelIdle = timerOn(clock, idleMs, () => {
      if (running !== slot || slot.pendingCount() > 0) return;
      running = undefined;
      void slot.terminate();
    });
  };

  const start = (): WorkerJobs<Omit<JsonJob, "id">, JsonAnswer> => {
    const slot: WorkerJobs<Omit<JsonJob, "id">, JsonAnswer> = startWorkerJobs(besideModule(import.meta.url, "./json-parse-worker"), {
      workerData: JSON_WORKER_ROLE,
      work: "reading the request body",
      onGone: () => {
        if (running === slot) running = undefined;
      },
      onAnswer: idleAfterLastAnswer,
    });
    running = slot;
    return slot;
  };

  return {
    async parse(bytes) {
      if (bytes.length <= inlineBytes) return parseJsonBody(bytes.toString("utf8"));
      // Hand the bytes over without copying when they own their memory (fastify's body buffer does), else a copy.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
      const view = own ? bytes : Uint8Array.prototype.slice.call(bytes);
      const slot = running ?? start();
      cancelIdle();
      const answer = await slot.run({ bytes: view }, [view.buffer as ArrayBuffer]);
      if (!answer.ok) throw refused(answer.problem);
      // Copying a large value in from the worker took this turn of the loop; the route validates it in the next.
      await setImmediatePromise();
      return answer.value;
    },
    readsInline: (bytes) => bytes.length <= inlineBytes,
    workerRunning: () => running !== undefined,
    async close() {
      const slot = running;
      running = undefined;
      cancelIdle();
      await slot?.terminate();
    },
  };
}
