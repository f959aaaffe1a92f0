/**
 * One worker thread that answers jobs by id: the shape both of the server's off-loop workers share (bcrypt for
 * key-hasher.ts, large JSON bodies for json-body.ts). A job is posted as `{ id, ...job }` and answered with
 * `{ id, ...answer }`. The thread does not keep the process alive; when it fails or exits, every job it holds is
 * refused with CT_INTERNAL and `onGone` runs, so the owner starts a new one for the next job.
 */

import { Worker } from "node:worker_threads";
import { ClawTellError } from "../infra/index.js";

export interface WorkerJobs<TJob extends object, TAnswer extends object> {
  /** Jobs posted and not answered yet. */
  pendingCount(): number;
  /** Posts a job (moving `transfer` to the thread) and answers the thread's answer to it. */
  run(job: TJob, transfer?: readonly ArrayBuffer[]): Promise<TAnswer>;
  terminate(): Promise<void>;
}

export interface WorkerJobsOptions {
  readonly workerData?: unknown;
  /** What the thread does, for the CT_INTERNAL errors (`key hashing`, `reading the request body`). */
  readonly work: string;
  /** Runs once when the thread fails or exits. */
  readonly onGone: () => void;
  /** Runs after each answer is taken off the pending jobs. */
  readonly onAnswer?: () => void;
}

/** The code of a worker module beside the caller (`./name`, no extension): `.ts` from the sources, `.js` in tsc's output and in the bundle. */
export function besideModule(moduleUrl: string, relativePath: string): URL {
  const extension = moduleUrl.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`${relativePath}${extension}`, moduleUrl);
}

export function startWorkerJobs<TJob extends object, TAnswer extends object>(url: URL, options: WorkerJobsOptions): WorkerJobs<TJob, TAnswer> {
  const worker = new Worker(url, options.workerData === undefined ? {} : { workerData: options.workerData });
  worker.unref();
  const pending = new Map<number, { resolve: (answer: TAnswer) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let gone = false;
  const failAll = (err: Error): void => {
    if (!gone) options.onGone();
    gone = true;
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
  };
  worker.on("message", (answer: TAnswer & { id: number }) => {
    const job = pending.get(answer.id);
    pending.delete(answer.id);
    options.onAnswer?.();
    job?.resolve(answer);
  });
  worker.on("error", (err) => failAll(new ClawTellError("CT_INTERNAL", `${options.work} failed`, { cause: err })));
  worker.on("exit", () => failAll(new ClawTellError("CT_INTERNAL", `${options.work} stopped`)));
  return {
    pendingCount: () => pending.size,
    run(job, transfer = []) {
      const id = nextId++;
      return new Promise<TAnswer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, ...job }, [...transfer]);
      });
    },
    async terminate() {
      await worker.terminate();
    },
  };
}
