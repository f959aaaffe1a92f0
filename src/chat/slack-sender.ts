/**
 * Standalone sender for Slack, two ways: a bot token and Web API `chat.postMessage` to a channel or user id (`C…`,
 * `channel:C…`, `user:U…`), or an incoming webhook when the target is its URL (no token needed). Slack answers
 * HTTP 200 with `{ ok: false, error }` for refusals and 429 with `Retry-After` for rate limits. `&`, `<` and `>` are
 * escaped, so a stranger's `<!channel>` never pings anyone and their text never becomes a link Slack made up.
 * Files (bot token only) go through Slack's external upload: `files.getUploadURLExternal`, the bytes, then
 * `files.completeUploadExternal` into the chat.
 */

import { readFile } from "node:fs/promises";
import { ClawTellError, createSilentLogger } from "../infra/index.js";
import { postWithRateLimit, type ChatAnswerReader, type ChatHttpAnswer, type ChatHttpDeps, type ChatSenderBaseOptions } from "./chat-http.js";
import { SLACK_MAX_CHARS, type ChatSender } from "./chat-sender.js";
import { bareChatId } from "./chat-target.js";
import { splitText } from "./split-text.js";

export interface SlackSenderOptions extends ChatSenderBaseOptions {
  /** Bot token (`xoxb-…`); needed for channel and user ids and for files, not for incoming-webhook URLs. */
  readonly botToken?: string;
  /** Web API root. @defaultValue "https://slack.com/api" */
  readonly apiRoot?: string;
}

/** Slack `error` codes that mean the token is wrong, not the message. */
const AUTH_ERRORS = new Set(["not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "no_permission", "missing_scope"]);

const slackAnswers: ChatAnswerReader = {
  // Slack's 429 carries only the header, in seconds.
  retryAfterMs: (answer) => {
    const seconds = Number(answer.retryAfterHeader);
    return answer.retryAfterHeader !== undefined && answer.retryAfterHeader.trim() !== "" && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
  },
  describe: (answer) => {
    const error = answer.json["error"];
    return `Slack request failed (HTTP ${answer.status}): ${typeof error === "string" ? error : (answer.text?.trim() ?? "") || "no error"}`;
  },
};

/** Slack's escaping of message text: only these three characters are control characters. */
const escapeSlack = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const isWebhookUrl = (to: string): boolean => /^https?:\/\//i.test(to.trim());

/** A Slack sender; `to` is an incoming-webhook URL, or a channel/user id when a bot token is given. */
export function createSlackSender(options: SlackSenderOptions): ChatSender {
  const token = options.botToken?.trim();
  if (options.botToken !== undefined && token === "") throw new ClawTellError("CT_CONFIG_INVALID", "Slack bot token is empty", { field: "channels.slack.botToken" });
  const root = (options.apiRoot ?? "https://slack.com/api").replace(/\/+$/, "");
  const logger = (options.logger ?? createSilentLogger()).child({ component: "chat.slack" });
  const secrets = token === undefined ? [] : [token];
  const deps: ChatHttpDeps = { ...options, logger, secrets };

  /** Throws for `{ ok: false }` (Slack's refusal with HTTP 200); returns the answer otherwise. */
  const checked = (answer: ChatHttpAnswer, what: string): ChatHttpAnswer => {
    if (answer.json["ok"] !== false) return answer;
    const error = typeof answer.json["error"] === "string" ? answer.json["error"] : "unknown_error";
    const code = AUTH_ERRORS.has(error) ? "CT_AUTH_FAILED" : "CT_API_REJECTED";
    throw new ClawTellError(code, `Slack ${what} refused: ${error}`, { retryable: false });
  };

  /** One Web API call; `body` as JSON, or a `URLSearchParams` for the methods that take only forms. */
  const webApi = async (method: string, body: unknown, signal?: AbortSignal): Promise<ChatHttpAnswer> => {
    if (token === undefined) {
      throw new ClawTellError("CT_CONFIG_INVALID", "sending to a Slack channel needs channels.slack.botToken (or give an incoming-webhook URL as the target)", {
        field: "channels.slack.botToken",
      });
    }
    const answer = await postWithRateLimit({ url: `${root}/${method}`, headers: { authorization: `Bearer ${token}` }, body }, slackAnswers, deps, signal);
    return checked(answer, method);
  };

  const channelOf = (to: string): string => {
    const id = bareChatId(to);
    if (!/^[A-Z0-9][A-Z0-9_-]*$/i.test(id)) throw new ClawTellError("CT_BAD_REQUEST", `not a Slack channel or user id: "${to}"`, { retryable: false });
    return id;
  };

  return {
    channel: "slack",
    async sendText(to, text, { threadId, signal } = {}) {
      if (text.trim() === "") throw new ClawTellError("CT_BAD_REQUEST", "refusing to send an empty text to Slack");
      const webhook = isWebhookUrl(to) ? to.trim() : undefined;
      const channel = webhook === undefined ? channelOf(to) : undefined;
      const messageIds: string[] = [];
      for (const part of splitText(text, SLACK_MAX_CHARS)) {
        const escaped = escapeSlack(part);
        if (webhook !== undefined) {
          // An incoming webhook answers `ok` as plain text and takes no thread.
          const answer = await postWithRateLimit({ url: webhook, body: { text: escaped } }, slackAnswers, deps, signal);
          checked(answer, "incoming webhook");
          messageIds.push("");
          continue;
        }
        const body = { channel, text: escaped, unfurl_links: false, unfurl_media: false, ...(threadId === undefined ? {} : { thread_ts: threadId }) };
        const answer = await webApi("chat.postMessage", body, signal);
        messageIds.push(String(answer.json["ts"] ?? ""));
      }
      logger.debug({ parts: messageIds.length, webhook: webhook !== undefined }, "sent to Slack");
      return { messageIds };
    },
    async sendFile(to, file, { threadId, signal } = {}) {
      if (isWebhookUrl(to)) throw new ClawTellError("CT_API_REJECTED", "a Slack incoming webhook takes no files; the text names them", { retryable: false });
      const channel = channelOf(to);
      const bytes = await readFile(file.path);
      const ticket = await webApi("files.getUploadURLExternal", new URLSearchParams({ filename: file.filename, length: String(bytes.length) }), signal);
      const uploadUrl = ticket.json["upload_url"];
      const fileId = ticket.json["file_id"];
      if (typeof uploadUrl !== "string" || typeof fileId !== "string") throw new ClawTellError("CT_API_REJECTED", "Slack returned no upload URL");
      // The upload URL takes the raw bytes.
      await postWithRateLimit({ url: uploadUrl, body: new Blob([bytes], { type: file.mimeType }) }, slackAnswers, deps, signal);
      await webApi(
        "files.completeUploadExternal",
        new URLSearchParams({
          files: JSON.stringify([{ id: fileId, title: file.filename }]),
          channel_id: channel,
          ...(threadId === undefined ? {} : { thread_ts: threadId }),
        }),
        signal,
      );
      logger.debug({ filename: file.filename }, "file sent to Slack");
      return { messageIds: [fileId] };
    },
  };
}
