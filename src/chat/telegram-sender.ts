/**
 * Standalone sender for Telegram (Bot API `sendMessage`, `sendDocument` for files), used when no OpenClaw runtime is
 * around to deliver.
 * Texts go as plain text (no `parse_mode`): the templates' `*` then never cause 400 "can't parse entities", the
 * human sees the sender's text unaltered (legacy Markdown would eat `_` in names), and part sizes are exact.
 */

import { FormData } from "undici";
import { ClawTellError, createSilentLogger } from "../infra/index.js";
import { postWithRateLimit, type ChatAnswerReader, type ChatSenderBaseOptions } from "./chat-http.js";
import { TELEGRAM_MAX_CHARS, uploadPart, type ChatSender } from "./chat-sender.js";
import { parseTelegramTarget } from "./chat-target.js";
import { splitText } from "./split-text.js";

export interface TelegramSenderOptions extends ChatSenderBaseOptions {
  readonly botToken: string;
  /** Bot API root without `/bot<token>`. @defaultValue "https://api.telegram.org" */
  readonly apiRoot?: string;
}

const telegramAnswers: ChatAnswerReader = {
  retryAfterMs: (answer) => {
    const parameters = answer.json["parameters"];
    const seconds = typeof parameters === "object" && parameters !== null ? (parameters as Record<string, unknown>)["retry_after"] : undefined;
    // Without it (a proxy's 429), chat-http reads the `Retry-After` header.
    return typeof seconds === "number" && seconds >= 0 ? seconds * 1000 : undefined;
  },
  describe: (answer) => {
    const description = answer.json["description"];
    return `Telegram request failed (HTTP ${answer.status}): ${typeof description === "string" ? description : "no description"}`;
  },
};

/** A Telegram sender for one bot token; throws `CT_CONFIG_INVALID` for an empty token. */
export function createTelegramSender(options: TelegramSenderOptions): ChatSender {
  if (options.botToken.trim() === "") throw new ClawTellError("CT_CONFIG_INVALID", "Telegram bot token is empty", { field: "channels.telegram.botToken" });
  const root = (options.apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
  const methodUrl = (method: string): string => `${root}/bot${options.botToken}/${method}`;
  const logger = (options.logger ?? createSilentLogger()).child({ component: "chat.telegram" });
  const deps = { ...options, logger, secrets: [options.botToken] };

  /** The chat and forum topic a `to` (and an optional thread) names. */
  const destination = (to: string, threadId: string | undefined): { target: ReturnType<typeof parseTelegramTarget>; topic: number | undefined } => {
    const target = parseTelegramTarget(to);
    if (target.chatId === "") throw new ClawTellError("CT_BAD_REQUEST", `not a Telegram chat: "${to}"`, { retryable: false });
    const thread = threadId ?? target.threadId;
    const topic = thread !== undefined && /^\d+$/.test(thread) ? Number(thread) : undefined;
    if (thread !== undefined && topic === undefined) logger.warn({ threadId: thread }, "Telegram thread id is not a number; sending to the chat itself");
    return { target, topic };
  };
  const messageIdOf = (json: Record<string, unknown>): string => {
    const result = json["result"];
    return String((typeof result === "object" && result !== null ? (result as Record<string, unknown>)["message_id"] : undefined) ?? "");
  };

  return {
    channel: "telegram",
    async sendText(to, text, { threadId, signal } = {}) {
      if (text.trim() === "") throw new ClawTellError("CT_BAD_REQUEST", "refusing to send an empty text to Telegram");
      const { target, topic } = destination(to, threadId);
      const url = methodUrl("sendMessage");
      const messageIds: string[] = [];
      for (const part of splitText(text, TELEGRAM_MAX_CHARS)) {
        const body = {
          chat_id: target.chatId,
          text: part,
          link_preview_options: { is_disabled: true },
          ...(topic === undefined ? {} : { message_thread_id: topic }),
        };
        const answer = await postWithRateLimit({ url, body }, telegramAnswers, deps, signal);
        messageIds.push(messageIdOf(answer.json));
      }
      logger.debug({ parts: messageIds.length }, "sent to Telegram");
      return { messageIds };
    },
    async sendFile(to, file, { threadId, signal } = {}) {
      const { target, topic } = destination(to, threadId);
      const { blob, filename } = await uploadPart(file);
      const form = new FormData();
      form.append("chat_id", target.chatId);
      if (topic !== undefined) form.append("message_thread_id", String(topic));
      form.append("document", blob, filename);
      const answer = await postWithRateLimit({ url: methodUrl("sendDocument"), body: form }, telegramAnswers, deps, signal);
      logger.debug({ filename }, "file sent to Telegram");
      return { messageIds: [messageIdOf(answer.json)] };
    },
  };
}
