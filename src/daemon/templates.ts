/**
 * What humans and agents read: the 🦞 delivery banner, the 📤 reply notice, reply failure and approval notices, the
 * warning an agent sees when it must not answer on its own, the ☠️ dead-letter alerts and the 🚨 queue alarms.
 * Pure functions producing plain text (no Markdown markers); see docs/templates.md for examples.
 */

import { stripNamePrefix, type Message } from "../protocol/index.js";

/** The subject every message has when the sender gave none. */
export const DEFAULT_SUBJECT = "Message";
/** How many dead letters one digest lists by name. */
export const DIGEST_MAX_LISTED = 10;

const tell = (name: string): string => `tell/${stripNamePrefix(name)}`;
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;
const hasSubject = (subject: string | undefined): subject is string =>
  subject !== undefined && subject.trim() !== "" && subject.trim() !== DEFAULT_SUBJECT;

/**
 * The copy of an inbound message for the human's chat (and the agent's view of it). Attachments are listed by name
 * and type after the body, so a file is never dropped without a word; `notes` (by file id) adds where each one was
 * saved, or why it could not be.
 */
export function deliveryBanner(message: Message, recipient: string, notes?: ReadonlyMap<string, string>): string {
  const lines = ["🦞🦞 ClawTell Delivery 🦞🦞", "", `from ${tell(message.from)}`, `to: ${tell(recipient)}`];
  if (hasSubject(message.subject)) lines.push(`Subject: ${message.subject.trim()}`);
  lines.push("", message.body);
  if (message.attachments.length > 0) {
    lines.push("", ...message.attachments.map((a) => `📎 ${a.filename} (${a.mime_type})${notes?.has(a.fileId) === true ? `: ${notes.get(a.fileId)}` : ""}`));
  }
  return lines.join("\n");
}

/**
 * Prepended to what the agent sees when the server says the message may not be answered automatically
 * (`autoReplyEligible: false`). Clearer than the official wording: it says who decides, what to do, and what not.
 */
export function autoReplyBlockedWarning(message: Message): string {
  return (
    `⚠️ AUTO-REPLY BLOCKED: ${tell(message.from)} is not on your auto-reply allowlist. ` +
    "Tell your human about this message, and do not answer it through ClawTell unless they ask you to.\n\n"
  );
}

/** Told to the human after the agent's reply went out (`from` = the name that replied). */
export function replySentNotice(from: string, to: string, reply: string): string {
  return `📤 ClawTell Reply Sent\n\nfrom ${tell(from)} → ${tell(to)}\n\n${reply}`;
}

/** Told to the human when the agent's reply could not be sent; `retries` > 0 says how often it was tried again. */
export function replyFailedNotice(from: string, to: string, error: string, retries = 0): string {
  const tried = retries > 0 ? `\nTried again ${plural(retries, "time")}.` : "";
  return `⚠️ ClawTell Reply Failed\n\nCould not send the reply from ${tell(from)} → ${tell(to)}.\nError: ${error}${tried}`;
}

/** Told to the human when the reply waits for the recipient owner's approval (HTTP 202 `pending_approval`). */
export function replyPendingNotice(from: string, to: string): string {
  return `⏳ ClawTell Reply Pending Approval\n\nThe reply from ${tell(from)} → ${tell(to)} waits for the owner's approval and is sent once approved.`;
}

/**
 * Told to the human when no automatic reply was sent because of the recipient's auto-reply policy. With `command` (the
 * operator CLI, given the first time for a sender), it adds the command that lets the name answer that sender.
 */
export function replySuppressedNotice(from: string, to: string, command?: string): string {
  const notice = `🔕 No automatic reply from ${tell(from)} to ${tell(to)}: the sender is not on the auto-reply allowlist. Reply yourself if you want to.`;
  if (command === undefined) return notice;
  return `${notice}\n\nTo let ${tell(from)} answer ${tell(to)} on its own from now on, run:\n${command} allow ${stripNamePrefix(from)} ${tell(to)}`;
}

/** Told to the human when the loop guard held an automatic reply back (once per window and pair), with the answer. */
export function loopGuardNotice(from: string, to: string, limit: { maxReplies: number; windowSeconds: number }, answer: string): string {
  const window = limit.windowSeconds % 60 === 0 ? plural(limit.windowSeconds / 60, "minute") : plural(limit.windowSeconds, "second");
  return (
    `🔁 ClawTell Loop Guard\n\n${tell(from)} has answered ${tell(to)} automatically ${plural(limit.maxReplies, "time")} within ${window}, ` +
    `so this answer was not sent (nor are more until the pace drops). Send it yourself if it should go:\n\n${answer}`
  );
}

export interface DeadLetterInfo {
  readonly id: string;
  readonly from: string;
  readonly recipient: string;
  readonly attempts: number;
  readonly lastError?: string;
}

/** The CLI that operates the queue: `clawtell` standalone, `openclaw clawtell` inside OpenClaw. */
export const DEFAULT_OPERATOR_COMMAND = "clawtell";

/** One alert per dead letter: what failed, and how to deliver it once the cause is fixed. */
export function deadLetterAlert(dead: DeadLetterInfo, command = DEFAULT_OPERATOR_COMMAND): string {
  return [
    "☠️ ClawTell message could not be delivered",
    "",
    `from ${tell(dead.from)} → ${tell(dead.recipient)} (message ${dead.id})`,
    `gave up after ${plural(dead.attempts, "attempt")}${dead.lastError === undefined ? "" : `; last error: ${dead.lastError}`}`,
    "",
    `Fix the cause, then run: ${command} dead-letters retry ${dead.id}`,
  ].join("\n");
}

/** Many dead letters at once become one digest instead of a flood (the first ten listed, then a count). */
export function deadLetterDigest(dead: readonly DeadLetterInfo[], command = DEFAULT_OPERATOR_COMMAND): string {
  if (dead.length === 1 && dead[0] !== undefined) return deadLetterAlert(dead[0], command);
  const shown = dead.slice(0, DIGEST_MAX_LISTED).map((d) => `• ${tell(d.from)} → ${tell(d.recipient)} (${d.id}): ${d.lastError ?? "failed"}`);
  const more = dead.length > DIGEST_MAX_LISTED ? [`… and ${dead.length - DIGEST_MAX_LISTED} more`] : [];
  return [
    `☠️ ${dead.length} ClawTell messages could not be delivered`,
    "",
    ...shown,
    ...more,
    "",
    `See them with: ${command} dead-letters ls; retry with: ${command} dead-letters retry --all`,
  ].join("\n");
}

/** Raised when the queue had to act on its own; `detail` says what it did. */
export function queueAlarmText(detail: string): string {
  return `🚨 ClawTell queue alarm: ${detail}`;
}

/** The alarm when a full dead-letter shelf pushed its oldest letters out to the overflow file. */
export function deadLetterOverflowAlarm(info: { readonly exported: number; readonly exportedTo: string; readonly maxCount?: number }): string {
  const limit = info.maxCount === undefined ? "" : ` (limit ${info.maxCount}, queue.deadLetterMaxCount)`;
  return queueAlarmText(
    `the dead letters are full${limit}; the oldest ${plural(info.exported, "message")} ${info.exported === 1 ? "was" : "were"} moved to ${info.exportedTo}. ` +
      "Nothing was deleted. Retry or purge dead letters to make room.",
  );
}

/** The alarm when the queue file could not be read and was set aside. */
export function stateCorruptAlarm(info: { readonly movedTo: string; readonly reason: string }): string {
  return queueAlarmText(
    `the queue file was unreadable (${info.reason}) and was moved to ${info.movedTo}; the daemon continues with an empty queue. ` +
      "Messages in that file were not delivered: inspect it before deleting it.",
  );
}

/** The alarm when the local queue is full and new messages are left on the server (backpressure). */
export function queueFullAlarm(info: { readonly pending: number; readonly maxPending: number }): string {
  return queueAlarmText(
    `${plural(info.pending, "message")} wait to be delivered (limit ${info.maxPending}, queue.maxPending); ` +
      "no new messages are taken until some are delivered. They stay safe on the ClawTell server meanwhile.",
  );
}
