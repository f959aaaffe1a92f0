/**
 * Answers OpenClaw delivers on its own. Normally the agent sink collects a turn's final reply and sends it itself. But
 * a turn that OpenClaw finishes after a gateway restart (its restart recovery), or a message it queues behind a turn
 * already running in the session, is answered later through the channel's outbound adapter — addressed to `tell/<sender>`
 * and naming no message. This book lets the outbound adapter send such an answer the way the sink would have: as the
 * name the message was sent to, with that name's key, `replyTo` the message, under the recipient's auto-reply policy.
 *
 * A conversation (account + sender) is "owed" while OpenClaw holds one of its messages; the owed entry ends when the
 * sink next gets a turn's answer back itself, or after `owedForMs`.
 */

import type { Clock } from "../infra/index.js";

/** What the outbound adapter gets back for one answer. */
export interface HostAnswerResult {
  readonly messageId: string;
  readonly status: "sent" | "pending_approval" | "suppressed";
}

/** Sends one answer to the message it was registered for. */
export type HostAnswerSender = (text: string, signal?: AbortSignal) => Promise<HostAnswerResult>;

export interface HostAnswerBook {
  /** How to answer `messageId` (a message this process handed to OpenClaw). */
  remember(messageId: string, send: HostAnswerSender): void;
  /** OpenClaw holds `messageId` and may answer it on its own. */
  owe(accountId: string, sender: string, messageId: string): void;
  /** The sink got the conversation's answer back itself: OpenClaw owes nothing more. */
  settle(accountId: string, sender: string): void;
  /**
   * How to send an outbound text to `sender`: as a reply to `replyToId` when it is a message we handed over, else as
   * the answer OpenClaw owes the conversation; `undefined` for an ordinary send.
   */
  find(accountId: string, sender: string, replyToId?: string): HostAnswerSender | undefined;
}

export interface HostAnswerBookOptions {
  readonly clock: Clock;
  /** Messages remembered; the oldest go first. @defaultValue 10000 */
  readonly capacity?: number;
  /** How long an owed answer is waited for. @defaultValue 900000 (15 min) */
  readonly owedForMs?: number;
}

const conversationKey = (accountId: string, sender: string): string => `${accountId}\u0000${sender.toLowerCase()}`;

export function createHostAnswerBook(options: HostAnswerBookOptions): HostAnswerBook {
  const capacity = options.capacity ?? 10_000;
  const owedForMs = options.owedForMs ?? 900_000;
  const senders = new Map<string, HostAnswerSender>();
  const owed = new Map<string, { messageId: string; until: number }>();

  return {
    remember(messageId, send) {
      senders.delete(messageId);
      senders.set(messageId, send);
      for (const oldest of senders.keys()) {
        if (senders.size <= capacity) break;
        senders.delete(oldest);
      }
    },
    owe(accountId, sender, messageId) {
      owed.set(conversationKey(accountId, sender), { messageId, until: options.clock.now() + owedForMs });
    },
    settle(accountId, sender) {
      owed.delete(conversationKey(accountId, sender));
    },
    find(accountId, sender, replyToId) {
      if (replyToId !== undefined && replyToId !== "") return senders.get(replyToId);
      const key = conversationKey(accountId, sender);
      const entry = owed.get(key);
      if (entry === undefined) return undefined;
      if (entry.until < options.clock.now()) {
        owed.delete(key);
        return undefined;
      }
      return senders.get(entry.messageId);
    },
  };
}
