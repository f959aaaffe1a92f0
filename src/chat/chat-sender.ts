/**
 * Standalone senders for the human's chat: Telegram Bot API `sendMessage` (4096-character parts) and Discord REST
 * `POST /channels/{id}/messages` (2000-character parts). Plain text. A 429 is waited out (`retry_after`), a bounded
 * number of times; 5xx and network failures are retryable for the caller; 400/401/403 are not.
 */

import { request, type Dispatcher } from "undici";
import { ClawTellError, type Clock } from "../infra/index.js";
import { splitText } from "./split-text.js";

export const TELEGRAM_MAX_CHARS = 4096;
export const DISCORD_MAX_CHARS = 2000;
const MAX_RATE_LIMIT_WAITS = 3;

export interface ChatSender {
  readonly channel: "telegram" | "discord";
  sendText(to: string, text: string, options?: { threadId?: string; signal?: AbortSignal }): Promise<void>;
}

interface SenderDeps {
  readonly clock: Clock;
  readonly dispatcher?: Dispatcher;
}

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly retryAfterHeader?: string;
}

async function post(url: string, headers: Record<string, string>, body: unknown, deps: SenderDeps, signal?: AbortSignal): Promise<Answer> {
  try {
    const response = await request(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: signal === undefined ? AbortSignal.timeout(15_000) : AbortSignal.any([signal, AbortSignal.timeout(15_000)]),
      ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }),
    });
    const text = await response.body.text();
    const header = response.headers["retry-after"];
    return {
      status: response.statusCode,
      json: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
      ...(typeof header === "string" ? { retryAfterHeader: header } : {}),
    };
  } catch (err) {
    throw new ClawTellError("CT_API_UNREACHABLE", `chat API unreachable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Sends one part, waiting out rate limits; `retryAfterS` reads the service's own field. */
async function sendPart(send: () => Promise<Answer>, retryAfterS: (a: Answer) => number | undefined, describe: (a: Answer) => string, deps: SenderDeps, signal?: AbortSignal): Promise<void> {
  for (let wait = 0; ; wait++) {
    const answer = await send();
    if (answer.status >= 200 && answer.status < 300) return;
    const seconds = retryAfterS(answer);
    if (answer.status === 429 && wait < MAX_RATE_LIMIT_WAITS) {
      await deps.clock.sleep((seconds ?? 1) * 1000, signal);
      continue;
    }
    const retryable = answer.status === 429 || answer.status >= 500;
    throw new ClawTellError(answer.status === 401 || answer.status === 403 ? "CT_AUTH_FAILED" : "CT_SINK_FAILED", describe(answer), {
      status: answer.status,
      retryable,
      ...(seconds === undefined ? {} : { retryAfterMs: seconds * 1000 }),
    });
  }
}

export function createTelegramSender(options: SenderDeps & { botToken: string; apiRoot?: string }): ChatSender {
  const root = (options.apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
  return {
    channel: "telegram",
    async sendText(to, text, { threadId, signal } = {}) {
      for (const part of splitText(text, TELEGRAM_MAX_CHARS)) {
        const body = { chat_id: to, text: part, ...(threadId === undefined ? {} : { message_thread_id: Number(threadId) }) };
        await sendPart(
          () => post(`${root}/bot${options.botToken}/sendMessage`, {}, body, options, signal),
          (a) => {
            const parameters = a.json["parameters"];
            const value = typeof parameters === "object" && parameters !== null ? (parameters as Record<string, unknown>)["retry_after"] : undefined;
            return typeof value === "number" ? value : undefined;
          },
          (a) => `Telegram sendMessage failed: ${String(a.json["description"] ?? `HTTP ${a.status}`)}`,
          options,
          signal,
        );
      }
    },
  };
}

export function createDiscordSender(options: SenderDeps & { token: string; apiRoot?: string }): ChatSender {
  const root = (options.apiRoot ?? "https://discord.com/api/v10").replace(/\/+$/, "");
  return {
    channel: "discord",
    async sendText(to, text, { signal } = {}) {
      for (const part of splitText(text, DISCORD_MAX_CHARS)) {
        await sendPart(
          () => post(`${root}/channels/${encodeURIComponent(to)}/messages`, { authorization: `Bot ${options.token}` }, { content: part }, options, signal),
          (a) => {
            const value = a.json["retry_after"];
            return typeof value === "number" ? Math.ceil(value) : a.retryAfterHeader === undefined ? undefined : Number(a.retryAfterHeader);
          },
          (a) => `Discord message failed: ${String(a.json["message"] ?? `HTTP ${a.status}`)}`,
          options,
          signal,
        );
      }
    },
  };
}
