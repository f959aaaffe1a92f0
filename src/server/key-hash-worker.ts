/**
 * The worker thread that runs bcrypt for {@link ./key-hasher.ts}: one comparison per message, answered with its id.
 * Self-contained (imports only bcryptjs), so it runs from the sources, from tsc's output and as its own bundle.
 */

import { parentPort } from "node:worker_threads";
import bcrypt from "bcryptjs";

interface CompareJob {
  readonly id: number;
  readonly key: string;
  readonly hash: string;
}

const port = parentPort;
port?.on("message", (job: CompareJob) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(job.key, job.hash);
  } catch {
    ok = false;
  }
  port.postMessage({ id: job.id, ok });
});
