/** What every standalone chat sender offers, and the limits of each service (in UTF-16 code units). */

import type { ChatChannel } from "./chat-target.js";

/** Telegram Bot API `sendMessage` text limit. */
export const TELEGRAM_MAX_CHARS = 4096;
/** Discord message `content` limit. */
export const DISCORD_MAX_CHARS = 2000;

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
}
