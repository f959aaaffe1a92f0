/**
 * One owner per file: a lock file beside it (`<path>.lock`) holding the owner's pid, created exclusively. A lock whose
 * process is gone is taken over; one held by a live process is refused with `CT_CONFLICT`. Within one process a second
 * opener waits for the first to release (a restart in place) before giving up.
 */

import { open, rm } from "node:fs/promises";
import { ClawTellError } from "./errors.js";
import { isErrnoException, readFileIfExists, STATE_FILE_MODE } from "./atomic-file.js";
import { systemClock, timerOn, type Clock } from "./clock.js";
import type { Logger } from "./logger.js";

export interface FileLock {
  release(): Promise<void>;
}

export interface FileLockOptions {
  readonly logger: Logger;
  /** The sentence of the `CT_CONFLICT` error when a live process `pid` holds the lock. */
  readonly heldBy: (pid: number) => string;
  /** The sentence when this process already holds it, after waiting `waitInProcessMs`. */
  readonly heldHere: string;
  /** The setting the error names (`field`). */
  readonly field: string;
  readonly waitInProcessMs?: number;
  /**
   * What that wait runs on. The openers of a server's folder and a daemon's queue leave it at the system clock: they
   * wait for an earlier owner to close, which happens in real time whatever a test's clock says.
   * @defaultValue systemClock (the wait does not keep the process alive)
   */
  readonly clock?: Clock;
}

/** Paths locked by this process, with a promise that settles when each is released. */
const heldHere = new Map<string, Promise<void>>();

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return isErrnoException(err) && err.code === "EPERM";
  }
};

/** The pid written in a lock file, if it holds one. */
const pidIn = async (lockPath: string): Promise<number | undefined> => {
  const pid = Number((await readFileIfExists(lockPath))?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};

/** The live process holding the lock of `path` (this process included), if any. */
export async function fileLockHolder(path: string): Promise<number | undefined> {
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
    if (isErrnoException(err) && err.code === "EEXIST") return false;
    throw err;
  }
}

/** Takes the lock of `path`, or throws `CT_CONFLICT` when a live process holds it. */
export async function acquireFileLock(path: string, options: FileLockOptions): Promise<FileLock> {
  const lockPath = `${path}.lock`;
  const earlier = heldHere.get(path);
  if (earlier !== undefined) {
    const waitMs = options.waitInProcessMs ?? 10_000;
    let cancelWait = (): void => undefined;
    let released: boolean;
    try {
      const timedOut = new Promise<boolean>((r) => (cancelWait = timerOn(options.clock ?? systemClock, waitMs, () => r(false))));
      released = await Promise.race([earlier.then(() => true), timedOut]);
    } finally {
      cancelWait();
    }
    if (!released || heldHere.has(path)) throw new ClawTellError("CT_CONFLICT", options.heldHere, { field: options.field });
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
      throw new ClawTellError("CT_CONFLICT", options.heldBy(pid), { field: options.field });
    }
    options.logger.warn({ lock: lockPath, stalePid: pid }, "taking over the lock of a process that is gone");
    await rm(lockPath, { force: true });
  }
  if (!acquired) throw new ClawTellError("CT_CONFLICT", `${lockPath}: could not take the lock`, { field: options.field });
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
