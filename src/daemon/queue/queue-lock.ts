/**
 * One writer per queue file. Two daemons on one state folder (a standalone daemon beside a gateway, two gateways, an
 * account restarted before its old run closed) would each write their own view of the queue, and a snapshot of one
 * can make the other's later journal lines foreign — messages already acked to the server would be forgotten.
 *
 * The lock is `<queue file>.lock` holding the owner's pid, created exclusively. A lock whose process is gone is taken
 * over; one held by a live process is refused with `CT_CONFLICT` naming the pid. Within one process a second opener
 * waits for the first to close (an account restarting) before giving up.
 */

import { open, rm } from "node:fs/promises";
import { ClawTellError, readFileIfExists, STATE_FILE_MODE, type Logger } from "../../infra/index.js";

export interface QueueLock {
  release(): Promise<void>;
}

/** Paths locked by this process, with a promise that settles when each is released. */
const heldHere = new Map<string, Promise<void>>();

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The pid written in a lock file, if it holds one. */
const pidIn = async (lockPath: string): Promise<number | undefined> => {
  const pid = Number((await readFileIfExists(lockPath))?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};

/** The live process holding the lock of the queue file at `path` (this process included), if any. */
export async function queueLockHolder(path: string): Promise<number | undefined> {
  const pid = await pidIn(`${path}.lock`);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

async function tryCreate(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, "wx", STATE_FILE_MODE);
    await handle.writeFile(`${process.pid}\n`);
    await handle.sync();
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Takes the lock of the queue file at `path`, or throws `CT_CONFLICT` when a live process holds it. */
export async function acquireQueueLock(path: string, logger: Logger, waitInProcessMs = 10_000): Promise<QueueLock> {
  const lockPath = `${path}.lock`;
  const earlier = heldHere.get(path);
  if (earlier !== undefined) {
    const released = await Promise.race([earlier.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), waitInProcessMs).unref())]);
    if (!released || heldHere.has(path)) {
      throw new ClawTellError("CT_CONFLICT", `${path} is already open in this process (the account is running twice)`, { field: "stateDir" });
    }
  }
  let acquired = false;
  for (let attempt = 0; attempt < 3 && !acquired; attempt++) {
    if (await tryCreate(lockPath)) {
      acquired = true;
      break;
    }
    const pid = await pidIn(lockPath);
    // Our own pid in a lock nobody here holds is left from an earlier life of this pid (e.g. a container restart).
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
      throw new ClawTellError(
        "CT_CONFLICT",
        `${path} is in use by process ${pid} (another daemon or OpenClaw gateway on the same state folder); stop it, or give this one its own stateDir`,
        { field: "stateDir" },
      );
    }
    logger.warn({ lock: lockPath, stalePid: pid }, "taking over the lock of a process that is gone");
    await rm(lockPath, { force: true });
  }
  if (!acquired) throw new ClawTellError("CT_CONFLICT", `${lockPath}: could not take the lock`, { field: "stateDir" });
  let markReleased = (): void => undefined;
  heldHere.set(path, new Promise<void>((resolve) => (markReleased = resolve)));
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await rm(lockPath, { force: true });
      heldHere.delete(path);
      markReleased();
    },
  };
}
