// A fake Telegram Bot API on 127.0.0.1 speaking the real wire format (`/bot<token>/<method>`, JSON, form or multipart
// bodies, `{ ok, result }` answers, long-polled getUpdates), with a call log, programmable failures and waitFor.
// Usable as OpenClaw's `channels.telegram.apiRoot` and as our standalone sender's `apiRoot`.
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface TelegramCall {
  /** Bot API method, e.g. `sendMessage`. */
  readonly method: string;
  readonly token: string;
  /** Parameters from the query string and the body; form values stay strings, as Telegram receives them. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly contentType: string;
  readonly atMs: number;
  /** The HTTP status the fake answered with. */
  status: number;
}

export interface TelegramSentMessage {
  readonly messageId: number;
  /** `chat_id` as a string, whatever type the client sent. */
  readonly chatId: string;
  readonly text: string;
  readonly parseMode?: string;
  readonly threadId?: number;
}

export interface TelegramSentDocument {
  readonly messageId: number;
  readonly chatId: string;
  readonly filename: string;
  readonly bytes: Buffer;
  readonly threadId?: number;
}

/** What the next matching calls answer instead of succeeding. */
export interface TelegramFailure {
  /** HTTP status and `error_code`; default 429. */
  readonly status?: number;
  /** For 429: `parameters.retry_after` in seconds; default 1. */
  readonly retryAfterS?: number;
  /** For 429: answer as a proxy in front of the API does — this `Retry-After` header and no `parameters`. */
  readonly retryAfterHeader?: string;
  readonly description?: string;
  /** Drop the connection without an answer (a network failure). */
  readonly resetConnection?: boolean;
  /** Which method fails; default `sendMessage`, `*` for any method. */
  readonly method?: string;
}

export interface FakeTelegramOptions {
  /** Tokens that are accepted; others get 401. Default `["123456:TEST-TOKEN"]`. */
  readonly tokens?: readonly string[];
  /** First `update_id` (OpenClaw persists its offset, so ids must grow across runs). Default: seconds since the epoch. */
  readonly firstUpdateId?: number;
}

export interface FakeTelegram {
  /** Give this as `apiRoot` (no `/bot<token>` suffix). */
  readonly apiRoot: string;
  /** The first accepted token. */
  readonly token: string;
  readonly calls: TelegramCall[];
  /** Messages the bot sent successfully, optionally of one chat. */
  sentMessages(chatId?: string | number): TelegramSentMessage[];
  /** Files the bot uploaded with sendDocument, in order. */
  readonly documents: TelegramSentDocument[];
  /** Queues an update for getUpdates; `update_id` is assigned when absent. Returns the queued update. */
  injectUpdate(update: Record<string, unknown>): Record<string, unknown>;
  /** Queues a private-chat text message from user `chatId`, as Telegram delivers it. */
  sendUserText(chatId: number, text: string, from?: { firstName?: string; username?: string }): Record<string, unknown>;
  /** The next `count` calls of `failure.method` (default sendMessage) fail as described. */
  failNext(count: number, failure?: TelegramFailure): void;
  /** Resolves with the first truthy `predicate(calls)` result, checked now and after every call; rejects after `timeoutMs`. */
  waitFor<T>(predicate: (calls: readonly TelegramCall[]) => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const ERROR_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden: bot was blocked by the user",
  404: "Not Found",
  409: "Conflict",
  500: "Internal Server Error",
  502: "Bad Gateway",
};

function answer(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
  return status;
}

const fail = (res: ServerResponse, status: number, description: string, parameters?: Record<string, unknown>): number =>
  answer(res, status, { ok: false, error_code: status, description, ...(parameters === undefined ? {} : { parameters }) });

/** Reads query and body parameters the way the Bot API accepts them (JSON, urlencoded or multipart). */
async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers["content-type"] ?? "";
  if (body.length === 0) return params;
  if (type.includes("application/json")) return { ...params, ...(JSON.parse(body.toString("utf8")) as Record<string, unknown>) };
  const form = await new Request("http://fake/", { method: "POST", headers: { "content-type": type }, body }).formData();
  for (const [key, value] of form) {
    params[key] = typeof value === "string" ? value : { filename: value.name, size: value.size, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return params;
}

/** Legacy Markdown that Telegram refuses: an unpaired `*`, `_` or backtick. */
const unbalancedMarkdown = (text: string): boolean => ["*", "_", "`"].some((c) => text.split(c).length % 2 === 0);

const chatOf = (chatId: string): Record<string, unknown> => {
  const id = Number(chatId);
  if (Number.isNaN(id)) return { id: -1000000000001, type: "channel", username: chatId.replace(/^@/, "") };
  return id < 0 ? { id, type: "supergroup", title: "Fake group" } : { id, type: "private", first_name: "Human" };
};

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const tokens = options.tokens ?? ["123456:TEST-TOKEN"];
  const calls: TelegramCall[] = [];
  const sent: TelegramSentMessage[] = [];
  const documents: TelegramSentDocument[] = [];
  const updates: Array<Record<string, unknown> & { update_id: number }> = [];
  const failures: TelegramFailure[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let nextUpdateId = options.firstUpdateId ?? Math.floor(Date.now() / 1000);
  let nextMessageId = Math.floor(Date.now() / 1000) % 1_000_000_000;
  let closed = false;

  const pendingUpdates = (offset: number, limit: number): Array<Record<string, unknown>> => {
    // An offset confirms every update before it, as on the real API.
    while (updates.length > 0 && (updates[0]?.update_id ?? Infinity) < offset) updates.shift();
    return updates.slice(0, limit);
  };

  const getUpdates = async (params: Record<string, unknown>, req: IncomingMessage): Promise<Array<Record<string, unknown>>> => {
    const offset = Number(params["offset"] ?? 0);
    const limit = Math.min(100, Number(params["limit"] ?? 100));
    const timeoutMs = Math.max(0, Number(params["timeout"] ?? 0)) * 1000;
    const ready = pendingUpdates(offset, limit);
    if (ready.length > 0 || timeoutMs === 0 || closed) return ready;
    // Long poll: answer when an update arrives, the timeout passes, the client leaves or the fake closes.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        events.off("update", done);
        events.off("close", done);
        req.socket.off("close", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      events.on("update", done);
      events.on("close", done);
      req.socket.on("close", done);
    });
    return pendingUpdates(offset, limit);
  };

  /** `sendDocument` with the file as a multipart part: recorded in `documents`, answered with a document message. */
  const sendDocument = (params: Record<string, unknown>, res: ServerResponse): number => {
    const chatId = params["chat_id"] === undefined ? "" : String(params["chat_id"]);
    const file = params["document"];
    if (chatId === "") return fail(res, 400, "Bad Request: chat_id is empty");
    if (typeof file !== "object" || file === null) return fail(res, 400, "Bad Request: there is no document in the request");
    const { filename, bytes } = file as { filename: string; bytes: Buffer };
    const thread = params["message_thread_id"];
    const document: TelegramSentDocument = { messageId: nextMessageId++, chatId, filename, bytes, ...(thread === undefined ? {} : { threadId: Number(thread) }) };
    documents.push(document);
    return answer(res, 200, {
      ok: true,
      result: {
        message_id: document.messageId,
        date: Math.floor(Date.now() / 1000),
        chat: chatOf(chatId),
        document: { file_id: `doc-${document.messageId}`, file_unique_id: `u-${document.messageId}`, file_name: filename, file_size: bytes.length },
      },
    });
  };

  const sendMessage = (params: Record<string, unknown>, res: ServerResponse): number => {
    const chatId = params["chat_id"] === undefined ? "" : String(params["chat_id"]);
    const text = typeof params["text"] === "string" ? params["text"] : "";
    const parseMode = typeof params["parse_mode"] === "string" ? params["parse_mode"] : undefined;
    if (chatId === "") return fail(res, 400, "Bad Request: chat_id is empty");
    if (text === "") return fail(res, 400, "Bad Request: message text is empty");
    if (text.length > 4096) return fail(res, 400, "Bad Request: message is too long");
    if (parseMode === "Markdown" && unbalancedMarkdown(text)) {
      return fail(res, 400, "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 0");
    }
    const thread = params["message_thread_id"];
    const message: TelegramSentMessage = {
      messageId: nextMessageId++,
      chatId,
      text,
      ...(parseMode === undefined ? {} : { parseMode }),
      ...(thread === undefined ? {} : { threadId: Number(thread) }),
    };
    sent.push(message);
    return answer(res, 200, {
      ok: true,
      result: {
        message_id: message.messageId,
        date: Math.floor(Date.now() / 1000),
        chat: chatOf(chatId),
        from: { id: Number(tokens[0]?.split(":")[0] ?? 1), is_bot: true, first_name: "Fake Bot", username: "fake_bot" },
        text,
        ...(message.threadId === undefined ? {} : { message_thread_id: message.threadId, is_topic_message: true }),
      },
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://fake");
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const params = await readParams(req, url);
    const token = match?.[1] ?? "";
    const method = match?.[2] ?? url.pathname;
    const call: TelegramCall = { method, token, params, contentType: req.headers["content-type"] ?? "", atMs: Date.now(), status: 0 };
    calls.push(call);
    events.emit("call");
    call.status = await respond(req, res, match === null ? undefined : method, token, params);
    events.emit("call");
  };

  const respond = async (req: IncomingMessage, res: ServerResponse, method: string | undefined, token: string, params: Record<string, unknown>): Promise<number> => {
    if (method === undefined) return fail(res, 404, "Not Found");
    if (!tokens.includes(token)) return fail(res, 401, "Unauthorized");
    const failureAt = failures.findIndex((f) => (f.method ?? "sendMessage") === method || f.method === "*");
    const failure = failureAt < 0 ? undefined : failures.splice(failureAt, 1)[0];
    if (failure?.resetConnection === true) {
      req.socket.destroy();
      return 0;
    }
    if (failure !== undefined) {
      const status = failure.status ?? 429;
      if (status !== 429) return fail(res, status, failure.description ?? ERROR_TEXT[status] ?? "Error");
      if (failure.retryAfterHeader !== undefined) {
        res.writeHead(429, { "content-type": "application/json", "retry-after": failure.retryAfterHeader });
        res.end(JSON.stringify({ ok: false, error_code: 429, description: "Too Many Requests" }));
        return 429;
      }
      const seconds = failure.retryAfterS ?? 1;
      return fail(res, 429, failure.description ?? `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });
    }
    switch (method) {
      case "getMe":
        return answer(res, 200, {
          ok: true,
          result: { id: Number(token.split(":")[0]) || 1, is_bot: true, first_name: "Fake Bot", username: "fake_bot", can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false },
        });
      case "getUpdates":
        return answer(res, 200, { ok: true, result: await getUpdates(params, req) });
      case "sendMessage":
        return sendMessage(params, res);
      case "sendDocument":
        return sendDocument(params, res);
      case "getWebhookInfo":
        return answer(res, 200, { ok: true, result: { url: "", has_custom_certificate: false, pending_update_count: updates.length } });
      default:
        // deleteWebhook, setMyCommands, deleteMyCommands, sendChatAction, … : accepted and recorded.
        return answer(res, 200, { ok: true, result: true });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) fail(res, 400, "Bad Request: unreadable body");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  const injectUpdate = (update: Record<string, unknown>): Record<string, unknown> => {
    const queued = { ...update, update_id: typeof update["update_id"] === "number" ? update["update_id"] : nextUpdateId++ };
    updates.push(queued);
    events.emit("update");
    return queued;
  };

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token: tokens[0] ?? "",
    calls,
    sentMessages: (chatId) => (chatId === undefined ? [...sent] : sent.filter((m) => m.chatId === String(chatId))),
    documents,
    injectUpdate,
    sendUserText: (chatId, text, from = {}) => {
      const user = { id: chatId, is_bot: false, first_name: from.firstName ?? "Human", ...(from.username === undefined ? {} : { username: from.username }), language_code: "en" };
      const command = /^\/\w+/.exec(text);
      return injectUpdate({
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          from: user,
          chat: { id: chatId, type: "private", first_name: user.first_name, ...(from.username === undefined ? {} : { username: from.username }) },
          text,
          ...(command === null ? {} : { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] }),
        },
      });
    },
    failNext: (count, failure = {}) => {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const value = predicate(calls);
          if (value === undefined || value === false || value === null) return;
          clearTimeout(timer);
          events.off("call", check);
          resolve(value);
        };
        const timer = setTimeout(() => {
          events.off("call", check);
          reject(new Error(`fake Telegram: condition not met within ${timeoutMs} ms; calls: ${calls.map((c) => c.method).join(", ") || "none"}`));
        }, timeoutMs);
        events.on("call", check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        events.emit("close");
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
