/**
 * The reply half of the OpenClaw agent sink: sends an agent's answer back to the sender as the recipient name, with
 * that route's key and `replyTo` the original message, and tells the human what happened. Automatic replies are
 * bounded by the recipient's auto-reply policy and, per sender, by the loop guard (loop-guard.ts).
 */

import { withRetry, type ClawTellClient } from "../client/index.js";
import { routeSecretsOf, type ResolvedAccount } from "../config/index.js";
import {
  loopGuardNotice,
  replyFailedNotice,
  replyPendingNotice,
  replySentNotice,
  replySuppressedNotice,
  type ChatForwarder,
  type DeliveryRequest,
  type HumanNotice,
} from "../daemon/index.js";
import { ClawTellError, describeError, type Clock, type Logger } from "../infra/index.js";
import { stripNamePrefix, type Message } from "../protocol/index.js";
import type { HostAnswerResult } from "./host-answers.js";
import { createFirstNotices } from "./first-notices.js";
import { OPENCLAW_OPERATOR_COMMAND } from "./host-runtime.js";
import { createLoopGuard } from "./loop-guard.js";

export interface AgentReplyDeps {
  /** The account's current settings (reply keys come from its routes, the loop guard's limits). */
  readonly account: () => ResolvedAccount;
  /** A client of the account; replies use `withKey(<route key>)`. */
  readonly client: ClawTellClient;
  readonly forwarder: ChatForwarder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Attempts for sending one reply (network errors, 5xx, 429). @defaultValue 3 */
  readonly replyAttempts?: number;
}

export interface AgentReply {
  /**
   * Sends `text` as the answer to `message` and tells the human; throws when the server refuses or cannot be reached.
   * Used for answers OpenClaw sends on its own (host-answers.ts).
   */
  answer(message: Message, route: DeliveryRequest["route"], agentId: string, text: string, signal?: AbortSignal): Promise<HostAnswerResult>;
  /** The reply to a turn the sink ran itself: a failure is told to the human, never thrown. */
  sendReply(request: DeliveryRequest, text: string): Promise<void>;
}

/** Whether the recipient's policy lets the agent answer on its own: only an explicit `true` from the server does. */
export const autoReplyAllowed = (message: Message): boolean => message.autoReplyEligible === true;

export function createAgentReply(deps: AgentReplyDeps): AgentReply {
  const log = deps.logger.child({ component: "plugin.agent-reply" });
  const loopGuard = createLoopGuard(deps.clock);
  const firstNotices = createFirstNotices();

  const tellHuman = async (notice: Omit<HumanNotice, "kind">): Promise<void> => {
    try {
      await deps.forwarder.send({ kind: "reply", ...notice });
    } catch (err) {
      log.warn({ err }, "reply notice could not be sent to the human");
    }
  };

  const noticeFor = (route: DeliveryRequest["route"], agentId: string) => ({
    accountId: route.accountId,
    agentId,
    ...(route.forwardTo === undefined ? {} : { forwardTo: route.forwardTo }),
  });

  /**
   * Sends the agent's answer as the recipient name, with that name's key and `replyTo` the message, and tells the human
   * what happened. Throws when the server refuses or cannot be reached.
   */
  const answer = async (message: Message, route: DeliveryRequest["route"], agentId: string, text: string, signal?: AbortSignal): Promise<HostAnswerResult> => {
    const sender = stripNamePrefix(message.from);
    const notice = noticeFor(route, agentId);
    if (!autoReplyAllowed(message)) {
      log.info({ messageId: message.id }, "automatic reply suppressed by the recipient's auto-reply policy");
      // The first time per sender, the notice names the command that lets the name answer it.
      const hint = firstNotices.first(route.accountId, route.recipient, sender) ? OPENCLAW_OPERATOR_COMMAND : undefined;
      await tellHuman({ ...notice, text: replySuppressedNotice(route.recipient, sender, hint) });
      return { messageId: `suppressed:${message.id}`, status: "suppressed" };
    }
    const limit = deps.account().loopGuard;
    const verdict = loopGuard.take(route.accountId, route.recipient, sender, limit);
    if (verdict !== "allowed") {
      log.warn({ messageId: message.id, from: route.recipient, to: sender, ...limit }, "automatic reply held back by the loop guard");
      if (verdict === "held-first") await tellHuman({ ...notice, text: loopGuardNotice(route.recipient, sender, limit, text) });
      return { messageId: `held:${message.id}`, status: "suppressed" };
    }
    const replyKey = routeSecretsOf(deps.account(), route.routeKey).replyApiKey;
    const result = await withRetry(
      () => deps.client.withKey(replyKey).send({ to: sender, body: text, fromName: route.recipient, replyTo: message.id }, signal),
      { attempts: deps.replyAttempts ?? 3, clock: deps.clock, ...(signal === undefined ? {} : { signal }) },
    );
    log.info({ messageId: message.id, replyId: result.messageId, status: result.status }, "reply sent");
    if (result.status === "pending_approval") await tellHuman({ ...notice, text: replyPendingNotice(route.recipient, sender) });
    else if (route.forward) await tellHuman({ ...notice, text: replySentNotice(route.recipient, sender, text) });
    return { messageId: result.messageId ?? `pending-approval:${sender}`, status: result.status };
  };

  /** The reply to a turn the sink ran itself; its failure never fails the delivery (the agent must not answer twice). */
  const sendReply = async (request: DeliveryRequest, text: string): Promise<void> => {
    const { message, route } = request;
    if (route.target.kind !== "agent") throw new ClawTellError("CT_ROUTE_UNKNOWN", "not an agent route", { retryable: false });
    const agentId = route.target.agentId;
    try {
      await answer(message, route, agentId, text, request.signal);
    } catch (err) {
      log.error({ err, messageId: message.id }, "reply could not be sent");
      await tellHuman({ ...noticeFor(route, agentId), text: replyFailedNotice(route.recipient, stripNamePrefix(message.from), describeError(err).message) });
    }
  };

  return { answer, sendReply };
}
