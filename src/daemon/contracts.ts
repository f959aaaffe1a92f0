/**
 * The seams of the routing daemon, shared by its parts and by the hosts that plug sinks into it
 * (the OpenClaw plugin, the standalone CLI). Types only. What goes to the human's chat is chat/'s (chat/notices.ts),
 * re-exported here for the daemon's users.
 */

import type { ForwardTarget, ResolvedTarget } from "../config/index.js";
import type { ChatForwarder, HumanNotice, LocalFile } from "../chat/index.js";
import type { Message } from "../protocol/index.js";
import type { AccountDaemonHandle } from "./account-daemon.js";
import type { FetchedAttachment } from "./attachments.js";

/** Where a routed message is delivered: an OpenClaw agent, a webhook or a command (from the routing config). */
export type RouteTarget = ResolvedTarget;

/** The outcome of routing one recipient name of one account (resolved at intake, carried on the job). */
export interface ResolvedRoute {
  /** The ClawTell account (config account id) the message arrived on. */
  readonly accountId: string;
  /** Bare recipient name (`to_name`). */
  readonly recipient: string;
  /** The routing-table key that matched: the recipient name or `_default`. */
  readonly routeKey: string;
  readonly target: RouteTarget;
  /** Whether a 🦞 copy goes to the human's chat. */
  readonly forward: boolean;
  /** An explicit chat for the copies (config `forwardTo`), else the human's active chat is used. */
  readonly forwardTo?: ForwardTarget;
}

/** What a sink is handed for one delivery attempt. */
export interface DeliveryRequest {
  readonly message: Message;
  readonly route: ResolvedRoute;
  /** 1 on the first attempt. */
  readonly attempt: number;
  readonly signal: AbortSignal;
  /** The message's attachments, downloaded (or why not), one per attachment in order; empty without attachments. */
  readonly files: readonly FetchedAttachment[];
}

/** What a target gave back: an agent's answer, which the delivery loop keeps durably before {@link Sink.reply}. */
export interface DeliveryOutcome {
  readonly answer?: string;
}

/**
 * Delivers a message to its target. `deliver` resolves when the target has taken it (with the agent's answer, if it
 * answered); it throws a ClawTellError otherwise (`retryable` decides between retry and dead letter). A sink that
 * answers has `reply`: the loop calls it once the answer is kept, and again with the kept answer on a later attempt
 * when the process died before the reply surely went out. Sinks never write to the queue themselves.
 */
export interface Sink {
  deliver(request: DeliveryRequest): Promise<DeliveryOutcome | void>;
  /** Sends the answer back to the sender; never throws for a reply that failed (the agent must not answer twice). */
  reply?(request: DeliveryRequest, answer: string): Promise<void>;
}

/** Takes a running account in for operator requests until the returned function is called (operator/desk.ts). */
export interface AccountRegistrar {
  register(stateDir: string, accountId: string, daemon: AccountDaemonHandle): Promise<() => Promise<void>>;
}

export type { ChatForwarder, HumanNotice, LocalFile };
