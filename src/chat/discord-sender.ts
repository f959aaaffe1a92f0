/**
 * Standalone sender for Discord (REST v10 `POST /channels/{id}/messages`, bot token; files as multipart uploads).
 * `user:<id>` targets are direct messages: the DM channel is opened once (`POST /users/@me/channels`) and remembered.
 * Mentions in forwarded texts are disabled (`allowed_mentions`), so a stranger's `@everyone` never pings a server.
 */

import { FormData } from "undici";
import { ClawTellError, createSilentLogger } from "../infra/index.js";
import { postWithRateLimit, type ChatAnswerReader, type ChatHttpDeps, type ChatSenderBaseOptions } from "./chat-http.js";
import { DISCORD_MAX_CHARS, uploadPart, type ChatSender } from "./chat-sender.js";
import { parseDiscordTarget } from "./chat-target.js";
import { splitText } from "./split-text.js";

export interface DiscordSenderOptions extends ChatSenderBaseOptions {
  readonly token: string;
  /** REST root including the version. @defaultValue "https://discord.com/api/v10" */
  readonly apiRoot?: string;
}

const discordAnswers: ChatAnswerReader = {
  // `retry_after` is seconds as a float; without it (a 429 from Cloudflare without a body) chat-http reads the header.
  retryAfterMs: (answer) => {
    const seconds = answer.json["retry_after"];
    return typeof seconds === "number" && seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  },
  describe: (answer) => {
    const message = answer.json["message"];
    const code = answer.json["code"];
    return `Discord request failed (HTTP ${answer.status}${typeof code === "number" ? `, code ${code}` : ""}): ${typeof message === "string" ? message : "no message"}`;
  },
};

const isSnowflake = (id: string): boolean => /^\d{1,20}$/.test(id);

/** A Discord sender for one bot token; throws `CT_CONFIG_INVALID` for an empty token. */
export function createDiscordSender(options: DiscordSenderOptions): ChatSender {
  if (options.token.trim() === "") throw new ClawTellError("CT_CONFIG_INVALID", "Discord bot token is empty", { field: "channels.discord.token" });
  const root = (options.apiRoot ?? "https://discord.com/api/v10").replace(/\/+$/, "");
  const headers = { authorization: `Bot ${options.token}` };
  const logger = (options.logger ?? createSilentLogger()).child({ component: "chat.discord" });
  const deps: ChatHttpDeps = { ...options, logger, secrets: [options.token] };
  const dmChannels = new Map<string, string>();

  const channelFor = async (to: string, signal?: AbortSignal): Promise<string> => {
    const target = parseDiscordTarget(to);
    if (!isSnowflake(target.id)) throw new ClawTellError("CT_BAD_REQUEST", `not a Discord channel or user id: "${to}"`);
    if (target.kind === "channel") return target.id;
    const known = dmChannels.get(target.id);
    if (known !== undefined) return known;
    const answer = await postWithRateLimit({ url: `${root}/users/@me/channels`, headers, body: { recipient_id: target.id } }, discordAnswers, deps, signal);
    const id = answer.json["id"];
    if (typeof id !== "string") throw new ClawTellError("CT_API_REJECTED", "Discord did not return a DM channel id");
    dmChannels.set(target.id, id);
    return id;
  };

  return {
    channel: "discord",
    async sendText(to, text, { threadId, signal } = {}) {
      if (text.trim() === "") throw new ClawTellError("CT_BAD_REQUEST", "refusing to send an empty text to Discord");
      // A Discord thread is a channel of its own.
      const channelId = threadId !== undefined && isSnowflake(threadId) ? threadId : await channelFor(to, signal);
      const messageIds: string[] = [];
      for (const part of splitText(text, DISCORD_MAX_CHARS)) {
        const body = { content: part, allowed_mentions: { parse: [] } };
        const answer = await postWithRateLimit({ url: `${root}/channels/${channelId}/messages`, headers, body }, discordAnswers, deps, signal);
        messageIds.push(String(answer.json["id"] ?? ""));
      }
      logger.debug({ parts: messageIds.length }, "sent to Discord");
      return { messageIds };
    },
    async sendFile(to, file, { threadId, signal } = {}) {
      const channelId = threadId !== undefined && isSnowflake(threadId) ? threadId : await channelFor(to, signal);
      const { blob, filename } = await uploadPart(file);
      const form = new FormData();
      form.append("payload_json", JSON.stringify({ allowed_mentions: { parse: [] }, attachments: [{ id: 0, filename }] }));
      form.append("files[0]", blob, filename);
      const answer = await postWithRateLimit({ url: `${root}/channels/${channelId}/messages`, headers, body: form }, discordAnswers, deps, signal);
      logger.debug({ filename }, "file sent to Discord");
      return { messageIds: [String(answer.json["id"] ?? "")] };
    },
  };
}
