/**
 * Works the queue: claims due jobs and delivers each one — its attachments downloaded first, then the 🦞 copy (with
 * the files) to the human once, then the hand-over to its target once — keeping order per route and sender (a message
 * waits while an earlier one from the same sender to the same route is still pending), and turning failures into
 * retries or dead letters (the queue's `onDeadLetter` alerts the human, see human-alerts.ts).
 */

import PQueue from "p-queue";
import { describeError, isClawTellError, isRetryable, ClawTellError, type Clock, type Logger } from "../infra/index.js";
import type { ResolvedAccount } from "../config/index.js";
import { localFiles, type AttachmentFetcher, type FetchedAttachment } from "./attachments.js";
import type { ChatForwarder, DeliveryRequest, ResolvedRoute, Sink } from "./contracts.js";
import { agentOfRoute, routeOf } from "./job-route.js";
import type { Job, QueueStore } from "./queue/index.js";
import { deliveryBanner } from "./templates.js";

export interface DeliverySinks {
  readonly agent?: Sink;
  readonly webhook?: Sink;
  readonly command?: Sink;
}

export interface DeliveryLoopOptions {
  readonly queue: QueueStore;
  /** The current account settings (limits, secrets, and the route of jobs that carry none). */
  readonly account: () => ResolvedAccount;
  readonly sinks: DeliverySinks;
  readonly forwarder?: ChatForwarder;
  /** Downloads a message's attachments before its copy and hand-over; without it, sinks get no files. */
  readonly fetchAttachments?: AttachmentFetcher;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Deliveries in flight at once. @defaultValue 16 */
  readonly concurrency?: number;
  /** How long a claimed job is ours before it counts as abandoned. @defaultValue 600000 */
  readonly leaseMs?: number;
  /** Called after a job settles (tests, status). */
  readonly onSettled?: (job: Job, outcome: "delivered" | "retry" | "dead") => void;
}

export interface DeliveryLoopHandle {
  /** Something new was enqueued: look at the queue now. */
  wake(): void;
  stop(): Promise<void>;
}

/** Order key: messages of one sender to one route are delivered one after another. */
export const orderKeyOf = (job: Job): string => `${job.accountId}\u0000${job.routeKey}\u0000${job.message.from}`;

export function startDeliveryLoop(options: DeliveryLoopOptions): DeliveryLoopHandle {
  const { queue, clock, logger } = options;
  const workers = new PQueue({ concurrency: options.concurrency ?? 16 });
  const busy = new Set<string>();
  /** Handed to their target, completion record not yet on disk: the next message of the same key may go. */
  const handedOver = new Set<string>();
  const controller = new AbortController();
  let wakeUp: (() => void) | undefined;


  const sinkFor = (route: ResolvedRoute): Sink => {
    const sink = options.sinks[route.target.kind];
    if (sink !== undefined) return sink;
    const hint = route.target.kind === "agent" ? "agent routes need the OpenClaw plugin; use webhook or command in the standalone daemon" : `no ${route.target.kind} sink`;
    throw new ClawTellError("CT_ROUTE_UNKNOWN", `cannot deliver to tell/${route.recipient}: ${hint}`, { retryable: false });
  };

  const settle = (job: Job, outcome: "delivered" | "retry" | "dead"): void => options.onSettled?.(job, outcome);

  /** Records a failed attempt: a retry later, or a dead letter. */
  const failAttempt = async (job: Job, err: unknown): Promise<void> => {
    const updated = await queue.fail(job.id, describeError(err), isRetryable(err), isClawTellError(err) ? err.retryAfterMs : undefined);
    logger.warn({ err, messageId: job.id, attempts: updated.attempts, state: updated.state }, "delivery failed");
    settle(updated, updated.state === "dead" ? "dead" : "retry");
  };

  /**
   * One attempt of one job: (0) its claim on disk, (1) download its files, (2) forward once, (3) dispatch once,
   * (4) record the outcome. The claim is written first so that an attempt cut short by a crash still counts: the
   * target never sees the same `attempt` twice, and a message that kills the daemon reaches the dead letters.
   */
  const runJob = async (job: Job): Promise<void> => {
    try {
      await queue.claimsWritten();
    } catch (err) {
      await failAttempt(job, err);
      return;
    }
    const route = routeOf(job, options.account());
    const forwardOwed = route.forward && job.forwardedAt === undefined && options.forwarder !== undefined;
    // A webhook's receiver fetches the files itself (it has their ids); the copy, agents and commands get local ones.
    const filesWanted = forwardOwed || (job.dispatchedAt === undefined && route.target.kind !== "webhook");
    let files: readonly FetchedAttachment[] = [];
    try {
      if (filesWanted) files = (await options.fetchAttachments?.(job.message, controller.signal)) ?? [];
    } catch (err) {
      if (controller.signal.aborted) return;
      await failAttempt(job, err);
      return;
    }
    let forwardError: unknown;
    if (forwardOwed && options.forwarder !== undefined) {
      try {
        const agentId = agentOfRoute(route);
        await options.forwarder.send(
          {
            kind: "delivery",
            accountId: job.accountId,
            text: deliveryBanner(job.message, job.recipient),
            ...(agentId === undefined ? {} : { agentId }),
            ...(route.forwardTo === undefined ? {} : { forwardTo: route.forwardTo }),
            ...(files.length === 0 ? {} : { files: localFiles(files) }),
          },
          controller.signal,
        );
        await queue.markForwarded(job.id);
      } catch (err) {
        forwardError = err;
        logger.warn({ err, messageId: job.id }, "🦞 forward failed");
      }
    }
    if (job.dispatchedAt === undefined) {
      try {
        const sink = sinkFor(route);
        const request: DeliveryRequest = { message: job.message, route, attempt: job.attempts + 1, signal: controller.signal, files };
        if (job.answer !== undefined && sink.reply !== undefined) {
          // The turn ran in an earlier attempt, which stopped before its reply was surely sent: send that answer
          // instead of running the turn again. At least once: the reply may arrive twice.
          logger.info({ messageId: job.id }, "sending the answer kept from an earlier attempt");
          await sink.reply(request, job.answer);
        } else {
          const outcome = await sink.deliver(request);
          const answer = outcome?.answer;
          if (answer !== undefined && sink.reply !== undefined) {
            // Kept before the reply goes out, so a crash in between sends this answer on the next attempt. Neither
            // failure fails the delivery: the agent must not answer twice.
            await queue.markAnswered(job.id, answer).catch((err: unknown) => logger.warn({ err, messageId: job.id }, "the answer could not be kept; sending it anyway"));
            await sink.reply(request, answer);
          }
        }
        handedOver.add(job.id);
        busy.delete(orderKeyOf(job));
        wakeUp?.();
        // With nothing else owed, completing the job is the record; otherwise remember the hand-over first.
        if (forwardError !== undefined) await queue.markDispatched(job.id);
      } catch (err) {
        if (controller.signal.aborted) return; // stopping: the lease runs out and the job is delivered again
        await failAttempt(job, err);
        return;
      }
    }
    const budgetLeft = job.attempts + 1 < options.account().queue.maxAttempts;
    if (forwardError !== undefined && isRetryable(forwardError) && budgetLeft) {
      // Delivered to the target, but the human's copy is still owed: retry only the copy.
      const updated = await queue.fail(job.id, describeError(forwardError), true, isClawTellError(forwardError) ? forwardError.retryAfterMs : undefined);
      settle(updated, "retry");
      return;
    }
    if (forwardError !== undefined) logger.error({ err: forwardError, messageId: job.id }, "🦞 copy given up; the message itself was delivered");
    await queue.complete(job.id);
    handedOver.delete(job.id);
    settle(job, "delivered");
  };

  const claimable = (): ((job: Job) => boolean) => {
    // Only the oldest pending job of each order key may run, and only when nothing of that key is running.
    const heads = new Set<string>();
    const seenKeys = new Set<string>();
    for (const job of queue.list()) {
      if (handedOver.has(job.id)) continue;
      const key = orderKeyOf(job);
      if (seenKeys.has(key)) continue;
      seenKeys.add(key);
      heads.add(job.id);
    }
    return (job) => heads.has(job.id) && !busy.has(orderKeyOf(job));
  };

  const loop = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      // Claim in batches: each claim round scans the queue, so wait until half the capacity is free again.
      const capacity = (options.concurrency ?? 16) * 4;
      const inFlight = workers.size + workers.pending;
      const free = capacity - inFlight;
      const jobs = free >= capacity / 2 || inFlight === 0 ? queue.claimDue(free, options.leaseMs ?? 600_000, claimable()) : [];
      for (const job of jobs) {
        const key = orderKeyOf(job);
        busy.add(key);
        void workers
          .add(() => runJob(job))
          .catch((err: unknown) => logger.error({ err, messageId: job.id }, "delivery worker failed"))
          .finally(() => {
            busy.delete(key);
            handedOver.delete(job.id);
            wakeUp?.();
          });
      }
      if (jobs.length > 0) continue;
      const next = queue.nextDueAt();
      const waitMs = next === undefined ? 60_000 : Math.max(5, next - clock.now());
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        const timer = setTimeout(resolve, Math.min(waitMs, 60_000));
        controller.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      wakeUp = undefined;
    }
  };
  const running = loop().catch((err: unknown) => logger.fatal({ err }, "delivery loop crashed"));

  return {
    wake: () => wakeUp?.(),
    async stop() {
      controller.abort();
      await running;
      await workers.onIdle();
    },
  };
}
