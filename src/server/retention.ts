/**
 * Retention: acked messages are deleted 1 h after the ack; unacked ones expire after 14 days. Their attachments go with
 * them, and so do files no message holds (a send that crashed between writing its files and committing).
 */

import type { Clock, Logger } from "../infra/index.js";
import type { FileStore } from "./files.js";
import { startPeriodicJob } from "./periodic-job.js";
import { UNACKED_RETENTION_MS, type ApprovalStore, type MessageStore } from "./store/index.js";

export const ACKED_RETENTION_MS = 60 * 60 * 1000;
export { UNACKED_RETENTION_MS };
/** A file without a message is removed once it is this old (no send takes that long to commit). */
export const ORPHAN_FILE_AGE_MS = 60 * 60 * 1000;

/** Runs one purge; answers what was deleted. Files of messages held for approval are kept (`approvals`). */
export async function purgeExpired(
  messages: Pick<MessageStore, "purge" | "findFile">,
  files: FileStore,
  now: number,
  approvals?: Pick<ApprovalStore, "holdsFile">,
): Promise<{ acked: number; expired: number; files: number }> {
  const { acked, expired, fileIds } = await messages.purge(now - ACKED_RETENTION_MS, now - UNACKED_RETENTION_MS);
  const purged = new Set(fileIds);
  const orphans: string[] = [];
  for (const id of await files.listWrittenBefore(now - ORPHAN_FILE_AGE_MS)) {
    if (purged.has(id) || (await messages.findFile(id)) !== undefined) continue;
    if (approvals === undefined || !(await approvals.holdsFile(id))) orphans.push(id);
  }
  await files.remove([...fileIds, ...orphans]);
  return { acked, expired, files: fileIds.length + orphans.length };
}

export function startRetention(deps: {
  messages: MessageStore;
  approvals?: Pick<ApprovalStore, "holdsFile">;
  files: FileStore;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}): { stop(): Promise<void> } {
  return startPeriodicJob({
    clock: deps.clock,
    intervalMs: deps.intervalMs,
    run: async () => {
      try {
        const removed = await purgeExpired(deps.messages, deps.files, deps.clock.now(), deps.approvals);
        if (removed.acked + removed.expired + removed.files > 0) deps.logger.info(removed, "retention purge");
      } catch (err) {
        deps.logger.error({ err }, "retention purge failed");
      }
    },
  });
}
