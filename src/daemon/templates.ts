/**
 * What humans and agents read: the 🦞 delivery banner, the 📤 reply notice, reply failure and approval notices, the
 * warning an agent sees when it must not answer on its own, and the ☠️ dead-letter alerts. Pure functions; see
 * docs/templates.md for examples.
 */

import { stripNamePrefix, type Message } from "../protocol/index.js";

const senderOf = (message: Message): string => stripNamePrefix(message.from);
const hasSubject = (subject: string | undefined): subject is string =>
  subject !== undefined && subject.trim() !== "" && subject !== "Message";

/** The copy of an inbound message for the human's chat. */
export function deliveryBanner(message: Message, recipient: string): string {
  const lines = ["🦞🦞 ClawTell Delivery 🦞🦞", "", `from tell/${senderOf(message)}`, `to: tell/${recipient}`];
  if (hasSubject(message.subject)) lines.push(`Subject: ${message.subject}`);
  lines.push("", message.body);
  return lines.join("\n");
}

/** Prepended to what the agent sees when the recipient's policy does not allow an automatic reply. */
export function autoReplyBlockedWarning(message: Message): string {
  return (
    `⚠️ AUTO-REPLY BLOCKED: tell/${senderOf(message)} is not on your auto-reply allowlist. ` +
    "Tell your human about this message, and do not answer it through ClawTell unless they ask you to.\n\n"
  );
}

/** Told to the human after the agent's reply went out. */
export function replySentNotice(from: string, to: string, reply: string): string {
  return `📤 ClawTell Reply Sent\n\nfrom tell/${from} → tell/${to}\n\n${reply}`;
}

/** Told to the human when the agent's reply could not be sent. */
export function replyFailedNotice(from: string, to: string, error: string): string {
  return `⚠️ ClawTell Reply Failed\n\nCould not send the reply from tell/${from} → tell/${to}.\nError: ${error}`;
}

/** Told to the human when the reply waits for approval. */
export function replyPendingNotice(from: string, to: string): string {
  return `⏳ ClawTell Reply Pending Approval\n\nThe reply from tell/${from} → tell/${to} waits for the owner's approval and is sent once approved.`;
}

/** Told to the human when no automatic reply was sent because of the recipient's auto-reply policy. */
export function replySuppressedNotice(from: string, to: string): string {
  return `🔕 No automatic reply from tell/${from} to tell/${to}: the sender is not on the auto-reply allowlist. Reply yourself if you want to.`;
}

export interface DeadLetterInfo {
  readonly id: string;
  readonly from: string;
  readonly recipient: string;
  readonly attempts: number;
  readonly lastError?: string;
}

/** One alert per dead letter: what failed, and how to deliver it once the cause is fixed. */
export function deadLetterAlert(dead: DeadLetterInfo): string {
  return [
    "☠️ ClawTell message could not be delivered",
    "",
    `from tell/${stripNamePrefix(dead.from)} → tell/${dead.recipient} (message ${dead.id})`,
    `gave up after ${dead.attempts} attempt${dead.attempts === 1 ? "" : "s"}${dead.lastError === undefined ? "" : `; last error: ${dead.lastError}`}`,
    "",
    `Fix the cause, then run: clawtell dead-letters retry ${dead.id}`,
  ].join("\n");
}

/** Many dead letters at once become one digest instead of a flood. */
export function deadLetterDigest(dead: readonly DeadLetterInfo[]): string {
  const shown = dead.slice(0, 10).map((d) => `• tell/${stripNamePrefix(d.from)} → tell/${d.recipient} (${d.id}): ${d.lastError ?? "failed"}`);
  const more = dead.length > 10 ? [`… and ${dead.length - 10} more`] : [];
  return [`☠️ ${dead.length} ClawTell messages could not be delivered`, "", ...shown, ...more, "", "See them with: clawtell dead-letters ls; retry with: clawtell dead-letters retry --all"].join("\n");
}

/** Raised when the queue had to act on its own (corrupt state moved aside, dead letters exported). */
export function queueAlarmText(detail: string): string {
  return `🚨 ClawTell queue alarm: ${detail}`;
}
