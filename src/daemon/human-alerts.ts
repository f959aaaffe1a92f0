/**
 * What the queue tells the human on its own: one ☠️ alert per dead letter, however it died (a failed attempt, or an
 * attempt cut short too often) — letters that die within one short window to the same chat become one digest instead
 * of a flood — and 🚨 alarms when the queue file was unreadable, the dead letters overflowed, or the queue is full.
 * Each goes to the chat of the route's agent (or the configured `forwardTo`); a failed send is logged, never retried
 * in a loop.
 */

import type { ResolvedAccount } from "../config/index.js";
import { systemClock, type Clock, type Logger } from "../infra/index.js";
import type { ChatForwarder, HumanNotice } from "./contracts.js";
import { agentOfRoute, routeOf } from "./job-route.js";
import type { Job, QueueAlarm } from "./queue/index.js";
import { deadLetterDigest, deadLetterOverflowAlarm, DEFAULT_OPERATOR_COMMAND, queueFullAlarm, stateCorruptAlarm, type DeadLetterInfo } from "./templates.js";

/** Dead letters to one chat within this window are sent as one digest. */
export const DEAD_LETTER_DIGEST_WINDOW_MS = 1_000;

export interface HumanAlertsOptions {
  readonly account: () => ResolvedAccount;
  readonly forwarder?: ChatForwarder;
  readonly logger: Logger;
  /** The CLI named in the alerts (`clawtell`, or `openclaw clawtell` inside OpenClaw). */
  readonly operatorCommand?: string;
  readonly clock?: Clock;
  /** @defaultValue DEAD_LETTER_DIGEST_WINDOW_MS */
  readonly digestWindowMs?: number;
}

export interface HumanAlerts {
  deadLetter(job: Job): void;
  queueAlarm(alarm: QueueAlarm): void;
  /** Says once that the queue is full, and again only after it has drained below the limit in between. */
  queueFull(pending: number, full: boolean): void;
  /** Sends what is still waiting for its digest window (the daemon is stopping). */
  flush(): void;
}

export function createHumanAlerts(options: HumanAlertsOptions): HumanAlerts {
  const { logger } = options;
  const command = options.operatorCommand ?? DEFAULT_OPERATOR_COMMAND;
  const clock = options.clock ?? systemClock;
  let fullAlarmSent = false;
  /** Dead letters waiting for their window to close, by destination chat. */
  type Waiting = { notice: Omit<HumanNotice, "accountId" | "text">; letters: DeadLetterInfo[] };
  const waiting = new Map<string, Waiting>();
  let windowTimer: AbortController | undefined;

  const send = (notice: Omit<HumanNotice, "accountId">): void => {
    const account = options.account();
    const forwardTo = notice.forwardTo ?? account.forwardTo;
    void options.forwarder
      ?.send({ ...notice, accountId: account.accountId, ...(forwardTo === undefined ? {} : { forwardTo }) })
      .catch((err: unknown) => logger.error({ err, kind: notice.kind }, "alert could not be sent to the human"));
  };

  function sendDeadLetters(): void {
    windowTimer?.abort();
    windowTimer = undefined;
    for (const { notice, letters } of waiting.values()) send({ ...notice, text: deadLetterDigest(letters, command) });
    waiting.clear();
  }

  return {
    deadLetter(job) {
      logger.error({ messageId: job.id, attempts: job.attempts, lastError: job.lastError }, "message dead-lettered");
      const route = routeOf(job, options.account());
      const agentId = agentOfRoute(route);
      const notice = {
        kind: "dead_letter" as const,
        ...(agentId === undefined ? {} : { agentId }),
        ...(route.forwardTo === undefined ? {} : { forwardTo: route.forwardTo }),
      };
      const destination = JSON.stringify([notice.agentId, notice.forwardTo]);
      const group: Waiting = waiting.get(destination) ?? { notice, letters: [] };
      group.letters.push({ id: job.id, from: job.message.from, recipient: job.recipient, attempts: job.attempts, ...(job.lastError === undefined ? {} : { lastError: job.lastError.message }) });
      waiting.set(destination, group);
      if (windowTimer !== undefined) return;
      const timer = new AbortController();
      windowTimer = timer;
      clock.sleep(options.digestWindowMs ?? DEAD_LETTER_DIGEST_WINDOW_MS, timer.signal).then(sendDeadLetters, () => undefined);
    },
    queueAlarm(alarm) {
      const maxCount = options.account().queue.deadLetterMaxCount;
      const text =
        alarm.kind === "state_corrupt"
          ? stateCorruptAlarm({ movedTo: alarm.report.movedTo, reason: alarm.report.reason })
          : deadLetterOverflowAlarm({ exported: alarm.exported, exportedTo: alarm.exportedTo, maxCount });
      send({ kind: "alarm", text });
    },
    queueFull(pending, full) {
      if (!full) {
        fullAlarmSent = false;
        return;
      }
      if (fullAlarmSent) return;
      fullAlarmSent = true;
      logger.warn({ pending }, "local queue full; new messages stay on the server");
      send({ kind: "alarm", text: queueFullAlarm({ pending, maxPending: options.account().queue.maxPending }) });
    },
    flush: sendDeadLetters,
  };
}
