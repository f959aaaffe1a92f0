/**
 * One ClawTell account, end to end: receive (stream or long poll) → route → store durably → ack → deliver.
 * The server is acked only after the local write has completed; while the local queue is full nothing more is pulled
 * (the server keeps the messages); when the disk refuses writes nothing is acked.
 */

import { join } from "node:path";
import type { Dispatcher } from "undici";
import { createClawTellClient, startReceiver, type ReceiverState } from "../client/index.js";
import type { ResolvedAccount } from "../config/index.js";
import { ensureDir, systemClock, type Clock, type Logger } from "../infra/index.js";
import type { Message } from "../protocol/index.js";
import { ATTACHMENT_KEEP_MS, attachmentsDirOf, fetchAttachments, sweepAttachments } from "./attachments.js";
import type { ChatForwarder } from "./contracts.js";
import { startDeliveryLoop, type DeliverySinks } from "./delivery-loop.js";
import { createHumanAlerts } from "./human-alerts.js";
import { routeAtIntake } from "./job-route.js";
import { openQueueStore, type Job, type QueueStore } from "./queue/index.js";

export interface AccountDaemonOptions {
  readonly account: ResolvedAccount;
  readonly sinks: DeliverySinks;
  readonly forwarder?: ChatForwarder;
  /** Folder of the queue file (`queue-<accountId>.json`) and of downloaded attachments (`attachments/<accountId>/`). */
  readonly stateDir: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly dispatcher?: Dispatcher;
  /** Receiver tuning (tests shorten these). */
  readonly receiver?: { streamTimeoutS?: number; pollTimeoutS?: number; fallbackDurationMs?: number; maxBackoffMs?: number };
  readonly onSettled?: (job: Job, outcome: "delivered" | "retry" | "dead") => void;
  /** The CLI named in dead-letter alerts. @defaultValue "clawtell" */
  readonly operatorCommand?: string;
}

export interface DaemonStatus {
  readonly accountId: string;
  readonly name: string;
  readonly receiver: ReceiverState;
  readonly pending: number;
  readonly deadLetters: number;
  readonly paused: boolean;
  readonly lastAckError?: string;
}

export interface AccountDaemonHandle {
  readonly queue: QueueStore;
  status(): DaemonStatus;
  /** Puts dead letters back into the queue (one id, or all) and delivers them now; resolves with how many. */
  retryDeadLetters(id?: string): Promise<number>;
  /** Applies new settings of the same account (routes, forward, queue limits) without a restart. */
  update(account: ResolvedAccount): void;
  stop(): Promise<void>;
}

export const queueFileOf = (stateDir: string, accountId: string): string => join(stateDir, `queue-${accountId}.json`);

export async function startAccountDaemon(options: AccountDaemonOptions): Promise<AccountDaemonHandle> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ component: "daemon", accountId: options.account.accountId });
  let account = options.account;
  let lastAckError: string | undefined;
  await ensureDir(options.stateDir);

  const alerts = createHumanAlerts({
    account: () => account,
    logger,
    clock,
    ...(options.forwarder === undefined ? {} : { forwarder: options.forwarder }),
    ...(options.operatorCommand === undefined ? {} : { operatorCommand: options.operatorCommand }),
  });
  const queue = await openQueueStore({
    path: queueFileOf(options.stateDir, account.accountId),
    policy: account.queue,
    clock,
    logger,
    onAlarm: alerts.queueAlarm,
    onDeadLetter: alerts.deadLetter,
  });
  const client = createClawTellClient({
    baseUrl: account.baseUrl,
    ...(account.sseUrl === null ? {} : { sseUrl: account.sseUrl }),
    apiKey: account.apiKey,
    clock,
    logger,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });

  const attachmentsDir = attachmentsDirOf(options.stateDir, account.accountId);
  await sweepAttachments(attachmentsDir, clock.now() - ATTACHMENT_KEEP_MS).catch((err: unknown) =>
    logger.warn({ err }, "old attachment downloads could not be removed"),
  );

  const delivery = startDeliveryLoop({
    queue,
    account: () => account,
    sinks: options.sinks,
    ...(options.forwarder === undefined ? {} : { forwarder: options.forwarder }),
    fetchAttachments: (message, signal) => fetchAttachments(client, message, attachmentsDir, signal),
    clock,
    logger,
    ...(options.onSettled === undefined ? {} : { onSettled: options.onSettled }),
  });

  /** 1. route, 2. store durably (throws → not taken, nothing acked), 3. ack what is stored, 4. wake the workers. */
  const takeIn = async (messages: Message[]): Promise<void> => {
    const items = messages.map((message) => routeAtIntake(account, message));
    const { accepted, duplicates } = await queue.enqueueMany(items);
    delivery.wake();
    try {
      await client.ack([...accepted, ...duplicates]);
      lastAckError = undefined;
    } catch (err) {
      // Stored locally, so nothing is lost: the server redelivers and the dedupe recognises it.
      lastAckError = err instanceof Error ? err.message : String(err);
      logger.warn({ err }, "ack failed; the server will redeliver and the duplicate will be dropped");
    }
  };

  const paused = (): boolean => {
    const pending = queue.pendingCount();
    const full = pending >= account.queue.maxPending;
    alerts.queueFull(pending, full);
    return full;
  };
  const resumeAfter = queue.lastTaken();
  const receiver = startReceiver({
    client,
    account: account.accountLevel,
    transport: account.transport,
    onMessages: takeIn,
    // After a crash: what the dead process was sent but had not stored comes back at once and in order.
    ...(resumeAfter === undefined ? {} : { resumeAfter }),
    isPaused: paused,
    clock,
    logger,
    pollTimeoutS: 30,
    ...options.receiver,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });

  return {
    queue,
    status: () => ({
      accountId: account.accountId,
      name: account.name,
      receiver: receiver.state(),
      pending: queue.pendingCount(),
      deadLetters: queue.deadLetters().length,
      paused: paused(),
      ...(lastAckError === undefined ? {} : { lastAckError }),
    }),
    async retryDeadLetters(id) {
      const count = id === undefined ? await queue.retryAllDead() : (await queue.retryDead(id)) ? 1 : 0;
      delivery.wake();
      return count;
    },
    update(next) {
      account = next;
      delivery.wake();
    },
    async stop() {
      await receiver.stop();
      logger.debug("receiver stopped");
      await delivery.stop();
      logger.debug("delivery stopped");
      await queue.close();
      alerts.flush();
      logger.info("account stopped");
    },
  };
}
