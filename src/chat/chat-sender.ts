/** What every standalone chat sender offers (texts, file uploads), and each service's limits (in UTF-16 code units). */

import { readFile } from "node:fs/promises";
import type { LocalFile } from "./notices.js";
import type { ChatChannel } from "./chat-target.js";

/** Telegram Bot API `sendMessage` text limit. */
export const TELEGRAM_MAX_CHARS = 4096;
/** Discord message `content` limit. */
export const DISCORD_MAX_CHARS = 2000;
/** Slack's advised `chat.postMessage` text length (longer texts are cut by Slack at 40 000). */
export const SLACK_MAX_CHARS = 4000;

export interface ChatSendOptions {
  /** Telegram forum topic (`message_thread_id`) or Discord thread (a channel of its own). */
  readonly threadId?: string;
  readonly signal?: AbortSignal;
}

/** Ids of the messages created, one per part, in order. */
export interface ChatSendReceipt {
  readonly messageIds: readonly string[];
}

/**
 * Sends a text to one chat, split into parts the service accepts, sent one after another. Throws a ClawTellError
 * when a part could not be sent (parts before it were delivered; a retry of the whole text repeats them).
 */
export interface ChatSender {
  readonly channel: ChatChannel;
  /** `to` as OpenClaw records it (`telegram:4242`, `-100123:topic:7`, `channel:99`, `user:42`) or a bare id. */
  sendText(to: string, text: string, options?: ChatSendOptions): Promise<ChatSendReceipt>;
  /** Uploads one file to the chat, as a document with its own name. */
  sendFile(to: string, file: LocalFile, options?: ChatSendOptions): Promise<ChatSendReceipt>;
}

/** A local file as an upload part: its bytes with its type and name. */
export async function uploadPart(file: LocalFile): Promise<{ blob: Blob; filename: string }> {
  return { blob: new Blob([await readFile(file.path)], { type: file.mimeType }), filename: file.filename };
}
