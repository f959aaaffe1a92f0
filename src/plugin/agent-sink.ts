/**
 * The OpenClaw agent sink: hands a routed ClawTell message to its agent (ingress → context → dispatch into the per-peer
 * session `agent:<agentId>:clawtell:<accountId>:direct:<sender>`) and sends the agent's final reply back to the sender
 * as the recipient name, with that name's key and `replyTo` the original message. The human hears about the reply.
 * Automatic replies to one sender are bounded by the loop guard (loop-guard.ts).
 */

import type { ClawTellClient } from "../client/index.js";
import { resolveRoute, type ResolvedAccount } from "../config/index.js";
import {
  autoReplyBlockedWarning,
  deliveryBanner,
  loopGuardNotice,
  replyFailedNotice,
  replyPendingNotice,
  replySentNotice,
  replySuppressedNotice,
  type ChatForwarder,
  type DeliveryRequest,
  type HumanNotice,
  type Sink,
} from "../daemon/index.js";
import { ClawTellError, describeError, type Clock, type Logger } from "../infra/index.js";
import { withRetry } from "../client/index.js";
import { stripNamePrefix, type Message } from "../protocol/index.js";
import { attachmentsForAgent } from "./agent-attachments.js";
import type { HostAnswerBook, HostAnswerResult } from "./host-answers.js";
import { createFirstNotices } from "./first-notices.js";
import { createLoopGuard } from "./loop-guard.js";
import { CHANNEL_ID, DM_SCOPE, OPENCLAW_OPERATOR_COMMAND, type ChannelRuntimeSlice, type IngressLike } from "./host-runtime.js";

export interface AgentSinkDeps<TCfg, TIngress extends IngressLike, TCtx> {
  readonly runtime: ChannelRuntimeSlice<TCfg, TIngress, TCtx>;
  /** The OpenClaw config the account was started with. */
  readonly cfg: () => TCfg;
  /** The account's current settings (reply keys come from its routes). */
  readonly account: () => ResolvedAccount;
  /** A client of the account; replies use `withKey(<route key>)`. */
  readonly client: ClawTellClient;
  readonly forwarder: ChatForwarder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Attempts for sending one reply (network errors, 5xx, 429). @defaultValue 3 */
  readonly replyAttempts?: number;
  /** The agents OpenClaw has; a route to another id fails (and is retried: the agent may be on its way). */
  readonly agentIds?: (cfg: TCfg) => readonly string[];
  /** Where answers OpenClaw delivers on its own find their way back to the sender (see host-answers.ts). */
  readonly hostAnswers?: HostAnswerBook;
  /**
   * The state of a session's run (`running`, `interrupted`, `done`, …) from OpenClaw's session store. A message waits
   * while OpenClaw has a turn of its own going in the session (one it resumes after a restart): handed over then, it
   * would be queued behind that turn and answered without us.
   */
  readonly sessionStatus?: (agentId: string, sessionKey: string) => string | undefined;
  /** Longest wait for such a turn to end; then the message is handed over anyway. @defaultValue 120000 */
  readonly busySessionWaitMs?: number;
}

/** Session states in which OpenClaw has (or is about to resume) a turn of its own. */
const BUSY_SESSION_STATES = new Set(["running", "interrupted"]);
const BUSY_SESSION_POLL_MS = 250;

/** Whether the recipient's policy lets the agent answer on its own: only an explicit `true` from the server does. */
export const autoReplyAllowed = (message: Message): boolean => message.autoReplyEligible === true;

export function createAgentSink<TCfg, TIngress extends IngressLike, TCtx>(deps: AgentSinkDeps<TCfg, TIngress, TCtx>): Sink {
  const log = deps.logger.child({ component: "plugin.agent-sink" });
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
    const replyKey = resolveRoute(deps.account(), route.recipient).replyApiKey;
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
  const sendReply = async (request: DeliveryRequest, agentId: string, text: string): Promise<void> => {
    const { message, route } = request;
    try {
      await answer(message, route, agentId, text, request.signal);
    } catch (err) {
      log.error({ err, messageId: message.id }, "reply could not be sent");
      await tellHuman({ ...noticeFor(route, agentId), text: replyFailedNotice(route.recipient, stripNamePrefix(message.from), describeError(err).message) });
    }
  };

  /** Waits while OpenClaw runs a turn of its own in the session (bounded; our own turns never overlap). */
  const waitForIdleSession = async (agentId: string, sessionKey: string, messageId: string, signal: AbortSignal): Promise<void> => {
    const status = deps.sessionStatus;
    if (status === undefined) return;
    const deadline = deps.clock.now() + (deps.busySessionWaitMs ?? 120_000);
    for (let polls = 0; BUSY_SESSION_STATES.has(status(agentId, sessionKey) ?? ""); polls++) {
      if (polls === 0) log.info({ messageId, agentId, sessionKey }, "waiting for OpenClaw's running turn in the session to end");
      if (deps.clock.now() >= deadline) {
        log.warn({ messageId, agentId, sessionKey }, "the session still has a running turn; handing the message over anyway");
        return;
      }
      await deps.clock.sleep(BUSY_SESSION_POLL_MS, signal);
    }
  };

  return {
    async deliver(request: DeliveryRequest) {
      const { message, route } = request;
      if (route.target.kind !== "agent") throw new ClawTellError("CT_ROUTE_UNKNOWN", "not an agent route", { retryable: false });
      const agentId = route.target.agentId;
      const accountId = route.accountId;
      const sender = stripNamePrefix(message.from);
      const address = `tell/${sender}`;
      if (request.savedAnswer !== undefined) {
        // The turn ran in an earlier attempt, which stopped before its reply was surely sent: send that answer now
        // (OpenClaw would recognise the message and run nothing). At least once: the reply may arrive twice.
        log.info({ messageId: message.id, agentId }, "sending the answer kept from an earlier attempt");
        await sendReply(request, agentId, request.savedAnswer);
        return;
      }
      const rt = deps.runtime;
      const cfg = deps.cfg();
      const known = deps.agentIds?.(cfg);
      if (known !== undefined && !known.includes(agentId)) {
        throw new ClawTellError("CT_ROUTE_UNKNOWN", `no agent "${agentId}" in OpenClaw (agents: ${known.join(", ")}); fix the route of tell/${route.recipient}`, { retryable: true });
      }

      // 1. The per-peer session of the routed agent.
      const sessionKey = rt.routing.buildAgentSessionKey({ agentId, channel: CHANNEL_ID, accountId, peer: { kind: "direct", id: sender }, dmScope: DM_SCOPE });
      // 2. Ingress: the server already enforced the recipient's allowlists, so OpenClaw's DM gate is open.
      const ingress = await rt.inbound.ingress.resolveStable({
        channelId: CHANNEL_ID,
        accountId,
        cfg,
        identity: { key: "sender", entryIdPrefix: "clawtell-entry" },
        subject: { stableId: sender },
        conversation: { kind: "direct", id: sender },
        contextBinding: { agentId, sessionKey, messageId: message.id, inboundEventKind: "user_request" },
        dmPolicy: "open",
        allowFrom: ["*"],
      });
      if (ingress.ingress.admission !== "dispatch") {
        throw new ClawTellError("CT_SINK_FAILED", `OpenClaw did not admit the message (${ingress.ingress.admission}/${ingress.ingress.decision})`, { retryable: false });
      }
      // 3. What the agent reads: the banner, behind a warning when it must not answer on its own, and the message's
      // files as OpenClaw media (or, where the host refuses one, where our download lies).
      const { media, notes } = await attachmentsForAgent(request.files, rt.media, log);
      const banner = deliveryBanner(message, route.recipient, notes);
      const forAgent = autoReplyAllowed(message) ? banner : autoReplyBlockedWarning(message) + banner;
      const createdAtMs = Date.parse(message.createdAt);
      const ctxPayload = rt.inbound.buildContext({
        channel: CHANNEL_ID,
        accountId,
        provider: CHANNEL_ID,
        surface: CHANNEL_ID,
        messageId: message.id,
        timestamp: Number.isFinite(createdAtMs) ? createdAtMs : deps.clock.now(),
        from: address,
        sender: { id: sender, name: address },
        conversation: { kind: "direct", id: sender, label: address },
        route: { agentId, dmScope: DM_SCOPE, accountId, routeSessionKey: sessionKey, dispatchSessionKey: sessionKey },
        reply: { to: address, originatingTo: address, ...(message.replyToMessageId == null ? {} : { replyToId: message.replyToMessageId }) },
        message: { body: forAgent, bodyForAgent: forAgent, rawBody: message.body },
        channelIngress: ingress,
        ...(media.length > 0 ? { media } : {}),
      });
      // 4. The turn; final payloads are collected and sent once it has ended. Should OpenClaw answer on its own instead
      // (it queued the message behind a turn already running, or finishes the turn after a restart), the answer comes
      // through the outbound adapter naming this message, and goes out the same way.
      const book = deps.hostAnswers;
      book?.remember(message.id, (text, signal) => answer(message, route, agentId, text, signal));
      // Handed over before (the process died meanwhile): OpenClaw may be finishing that turn and answer on its own.
      if (request.attempt > 1) book?.owe(accountId, sender, message.id);
      await waitForIdleSession(agentId, sessionKey, message.id, request.signal);
      log.info({ messageId: message.id, agentId, sessionKey, attempt: request.attempt }, "dispatching to agent");
      const finals: string[] = [];
      let result;
      try {
        result = await rt.inbound.dispatch({
          cfg,
          channel: CHANNEL_ID,
          accountId,
          route: { agentId, dmScope: DM_SCOPE, sessionKey },
          ctxPayload,
          delivery: {
            deliver: async (payload, info) => {
              const text = payload.text?.trim();
              if (info.kind === "final" && text !== undefined && text !== "") finals.push(text);
            },
            onError: (err, info) => log.warn({ err, kind: info.kind, messageId: message.id }, "reply delivery error"),
          },
          replyOptions: { sourceReplyDeliveryMode: "automatic" },
        });
      } catch (err) {
        throw new ClawTellError("CT_SINK_FAILED", `agent "${agentId}" turn failed: ${describeError(err).message}`, { cause: err });
      }
      if (!result.dispatched) {
        throw new ClawTellError("CT_SINK_FAILED", `OpenClaw did not run agent "${agentId}" (${result.admission.kind}${result.admission.reason === undefined ? "" : `: ${result.admission.reason}`})`, { retryable: false });
      }
      const deferred = result.dispatchResult?.deferredToActiveRun;
      if (finals.length > 0) book?.settle(accountId, sender);
      else if (deferred !== undefined) book?.owe(accountId, sender, message.id);
      log.info(
        { messageId: message.id, agentId, sessionKey, replies: finals.length, ...(deferred === undefined ? {} : { queuedBehindRunningTurn: deferred }) },
        "delivered to agent",
      );
      // 5. The reply, once the answer is kept (a crash before the send then sends it on the next attempt). Neither
      // failure fails the delivery: the agent must not answer twice.
      if (finals.length > 0) {
        const text = finals.join("\n\n");
        await request.saveAnswer?.(text).catch((err: unknown) => log.warn({ err, messageId: message.id }, "the answer could not be kept; sending it anyway"));
        await sendReply(request, agentId, text);
      }
    },
  };
}
