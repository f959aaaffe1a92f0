/**
 * One writer per queue file. Two daemons on one state folder (a standalone daemon beside a gateway, two gateways, an
 * account restarted before its old run closed) would each write their own view of the queue, and a snapshot of one
 * can make the other's later journal lines foreign — messages already acked to the server would be forgotten.
 * The lock itself is infra's file lock (`<queue file>.lock` holding the owner's pid).
 */

import { acquireFileLock, fileLockHolder, type FileLock, type Logger } from "../../infra/index.js";

export type QueueLock = FileLock;

/** The live process holding the lock of the queue file at `path` (this process included), if any. */
export const queueLockHolder = (path: string): Promise<number | undefined> => fileLockHolder(path);

/** Takes the lock of the queue file at `path`, or throws `CT_CONFLICT` when a live process holds it. */
export function acquireQueueLock(path: string, logger: Logger, waitInProcessMs = 10_000): Promise<QueueLock> {
  return acquireFileLock(path, {
    logger,
    field: "stateDir",
    waitInProcessMs,
    heldHere: `${path} is already open in this process (the account is running twice)`,
    heldBy: (pid) =>
      `${path} is in use by process ${pid} (another daemon or OpenClaw gateway on the same state folder); stop it, or give this one its own stateDir`,
  });
}
