/**
 * Applies the decisions on held messages, in every server process: an approved message is delivered as a normal
 * message (stored, then its recipient's parked polls and streams are woken); a rejected or expired one becomes a
 * notice to its sender and its attachments are deleted.
 *
 * A decision made through this process's API is applied at once, before the API answers. A decision recorded by
 * another process (`clawtell admin approve` beside the server, or another server on the same database) is found by
 * a look every `pollMs` (1 s): the CLI never writes the embedded server's message journal, and on PostgreSQL any
 * process may apply it. Applying is idempotent (the delivered message and the notice have ids fixed when the message
 * was held, and are stored only when missing), so a decision applied twice, by two processes or after a crash
 * between delivery and the applied mark, delivers once. Every `sweepMs` the look also expires held messages whose
 * time ran out and purges applied records older than `retainMs`.
 */

import type { Clock, Logger } from "../infra/index.js";
import { auditDecision, noticeFor } from "./approvals.js";
import type { FileStore } from "./files.js";
import type { Mailbox } from "./mailbox.js";
import type { ApprovalRecord, ApprovalStore, DirectoryStore, MessageStore, ReceiptStore } from "./store/index.js";

/** How often a server looks for decisions recorded elsewhere. @defaultValue 1000 */
export const APPROVAL_POLL_MS = 1_000;
/** How often held messages are checked for expiry, and old decisions purged. @defaultValue 60000 */
export const APPROVAL_SWEEP_MS = 60_000;
/** How long an applied decision stays (deciding the same way again answers it; after, the id is unknown). */
export const DECIDED_RETENTION_MS = 24 * 60 * 60 * 1000;
/** A claimed decision that failed to apply is tried again after this long (by any process). */
export const APPLY_RETRY_MS = 30_000;
/** Records handled per step. */
const BATCH = 100;

export interface ApprovalApplierDeps {
  readonly approvals: ApprovalStore;
  readonly directory: DirectoryStore;
  readonly messages: Pick<MessageStore, "find">;
  readonly mailbox: Pick<Mailbox, "deliver">;
  readonly files: Pick<FileStore, "remove">;
  /** Where a rejected message's receipt (for its sender) is recorded. */
  readonly receipts: Pick<ReceiptStore, "record">;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollMs?: number;
  readonly sweepMs?: number;
  readonly retainMs?: number;
}

export interface ApprovalApplier {
  /** Applies one decided record now; resolves once its message or notice is stored. */
  apply(record: ApprovalRecord): Promise<void>;
  /** One look: expiries (when a sweep is due), then every decision not yet applied. */
  runOnce(): Promise<void>;
  /** Starts looking every `pollMs`. */
  start(): void;
  /** Stops looking; resolves once the look under way has finished. */
  stop(): Promise<void>;
}

export function createApprovalApplier(deps: ApprovalApplierDeps): ApprovalApplier {
  const { approvals, directory, messages, mailbox, files, receipts, clock, logger } = deps;
  const pollMs = deps.pollMs ?? APPROVAL_POLL_MS;
  const sweepMs = deps.sweepMs ?? APPROVAL_SWEEP_MS;
  const retainMs = deps.retainMs ?? DECIDED_RETENTION_MS;
  const stopping = new AbortController();
  let lastSweep = Number.NEGATIVE_INFINITY;
  let loop: Promise<void> | undefined;

  // One application at a time in this process: "is it stored yet? then store it" must not interleave with itself.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };

  /** The name's record when it still is the name the held message knew (not deleted, not taken by someone else). */
  const sameName = async (name: string, id: number): Promise<boolean> => (await directory.findNameByName(name))?.id === id;

  const applyOne = async (record: ApprovalRecord): Promise<void> => {
    const { message } = record;
    if (record.appliedAt !== null) return;
    if (record.state === "approved") {
      if (!(await sameName(message.recipient, message.recipientId))) {
        logger.info({ approvalId: record.approvalId }, "approved message dropped: its recipient name no longer exists");
        await files.remove(message.attachments.map((a) => a.fileId));
      } else if ((await messages.find(message.id)) === undefined) {
        await mailbox.deliver(message);
      }
    } else if (record.state === "rejected" || record.state === "expired") {
      if (record.state === "rejected") {
        const at = record.decidedAt ?? clock.now();
        await receipts.record({ messageId: message.id, sender: message.sender, recipient: message.recipient, state: "rejected", at });
      }
      if ((await sameName(message.sender, record.senderId)) && (await messages.find(record.noticeId)) === undefined) {
        await mailbox.deliver(noticeFor(record, clock.now()));
      }
      await files.remove(message.attachments.map((a) => a.fileId));
    } else return;
    await approvals.markApplied(record.approvalId, clock.now());
  };

  const sweep = async (now: number): Promise<void> => {
    lastSweep = now;
    for (;;) {
      const expired = await approvals.expire(now, BATCH);
      for (const record of expired) await auditDecision(directory, clock, record);
      if (expired.length < BATCH) break;
    }
    const purged = await approvals.purge(now - retainMs);
    if (purged > 0) logger.info({ purged }, "purged applied approval decisions");
  };

  const runOnce = (): Promise<void> =>
    exclusive(async () => {
      const now = clock.now();
      if (now - lastSweep >= sweepMs) await sweep(now);
      for (;;) {
        const claimed = await approvals.claimDecided(now, now + APPLY_RETRY_MS, BATCH);
        for (const record of claimed) {
          await applyOne(record).catch((err: unknown) =>
            logger.error({ err, approvalId: record.approvalId }, `could not apply an approval decision; trying again in ${APPLY_RETRY_MS / 1000} s`),
          );
        }
        if (claimed.length < BATCH) return;
      }
    });

  return {
    apply: (record) => exclusive(() => applyOne(record)),
    runOnce,
    start() {
      if (loop !== undefined) return;
      loop = (async () => {
        // An outage of the storage is logged once, not every second, and its end once.
        let failing = false;
        while (!stopping.signal.aborted) {
          try {
            await runOnce();
            if (failing) logger.info("looking for approval decisions works again");
            failing = false;
          } catch (err) {
            if (!failing) logger.error({ err }, "looking for approval decisions failed; looking again every second until it works");
            failing = true;
          }
          try {
            await clock.sleep(pollMs, stopping.signal);
          } catch {
            return;
          }
        }
      })();
    },
    async stop() {
      stopping.abort();
      await loop;
      await tail;
    },
  };
}
