/**
 * The dispatch half of the OpenClaw agent sink: hands a routed ClawTell message to its agent (ingress → context →
 * dispatch into the per-peer session `agent:<agentId>:clawtell:<accountId>:direct:<sender>`) and gives the agent's
 * final answer back to the delivery loop, which keeps it and has it replied (agent-reply.ts).
 */

import { autoReplyBlockedWarning, deliveryBanner, type DeliveryOutcome, type DeliveryRequest } from "../daemon/index.js";
import { ClawTellError, describeError, type Clock, type Logger } from "../infra/index.js";
import { stripNamePrefix } from "../protocol/index.js";
import { attachmentsForAgent } from "./agent-attachments.js";
import { autoReplyAllowed, type AgentReply } from "./agent-reply.js";
import type { HostAnswerBook } from "./host-answers.js";
import { CHANNEL_ID, DM_SCOPE, type ChannelRuntimeSlice, type IngressLike } from "./host-runtime.js";

export interface AgentDispatchDeps<TCfg, TIngress extends IngressLike, TCtx> {
  readonly runtime: ChannelRuntimeSlice<TCfg, TIngress, TCtx>;
  /** The OpenClaw config the account was started with. */
  readonly cfg: () => TCfg;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How an answer goes back to the sender: for answers OpenClaw sends on its own (see `hostAnswers`). */
  readonly reply: AgentReply;
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

export interface AgentDispatch {
  /** Runs the agent's turn; resolves with its final answer, if it gave one. */
  dispatch(request: DeliveryRequest): Promise<DeliveryOutcome>;
}

export function createAgentDispatch<TCfg, TIngress extends IngressLike, TCtx>(deps: AgentDispatchDeps<TCfg, TIngress, TCtx>): AgentDispatch {
  const log = deps.logger.child({ component: "plugin.agent-sink" });

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
    async dispatch(request: DeliveryRequest) {
      const { message, route } = request;
      if (route.target.kind !== "agent") throw new ClawTellError("CT_ROUTE_UNKNOWN", "not an agent route", { retryable: false });
      const agentId = route.target.agentId;
      const accountId = route.accountId;
      const sender = stripNamePrefix(message.from);
      const address = `tell/${sender}`;
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
      book?.remember(message.id, (text, signal) => deps.reply.answer(message, route, agentId, text, signal));
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
      // 5. The answer goes back to the delivery loop, which keeps it before it is replied.
      return finals.length > 0 ? { answer: finals.join("\n\n") } : {};
    },
  };
}
