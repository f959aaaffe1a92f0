// A fake Discord REST API (v10) on 127.0.0.1 speaking the real wire format: `Authorization: Bot <token>`,
// `POST /channels/{id}/messages` → message object, DM channels, 429 `{ message, retry_after, global }` + `Retry-After`,
// Discord's error bodies; with a call log, programmable failures and waitFor.
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface DiscordCall {
  readonly httpMethod: string;
  /** Path below `/api/v10`, e.g. `/channels/123/messages`. */
  readonly path: string;
  /** The token of `Authorization: Bot <token>`, or "" when absent. */
  readonly token: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly atMs: number;
  status: number;
}

export interface DiscordSentMessage {
  readonly id: string;
  readonly channelId: string;
  readonly content: string;
  /** Uploaded files (multipart `files[n]`), in order. */
  readonly files: ReadonlyArray<{ readonly filename: string; readonly bytes: Buffer }>;
}

export interface DiscordFailure {
  /** HTTP status; default 429. */
  readonly status?: number;
  /** For 429: `retry_after` in seconds (a float, as Discord sends it); default 1. */
  readonly retryAfterS?: number;
  readonly global?: boolean;
  /** Drop the connection without an answer (a network failure). */
  readonly resetConnection?: boolean;
}

export interface FakeDiscordOptions {
  /** Tokens that are accepted; others get 401. Default `["discord-test-token"]`. */
  readonly tokens?: readonly string[];
}

export interface FakeDiscord {
  /** Give this as `apiRoot` (it ends in `/api/v10`). */
  readonly apiRoot: string;
  readonly token: string;
  readonly calls: DiscordCall[];
  /** Messages created successfully, optionally in one channel. */
  sentMessages(channelId?: string): DiscordSentMessage[];
  /** The DM channel id the fake opens for a user (`POST /users/@me/channels`). */
  dmChannelOf(userId: string): string;
  /** The next `count` message creations fail as described. */
  failNext(count: number, failure?: DiscordFailure): void;
  /** Resolves with the first truthy `predicate(calls)` result, checked now and after every call; rejects after `timeoutMs`. */
  waitFor<T>(predicate: (calls: readonly DiscordCall[]) => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
const BOT_USER = { id: "100000000000000001", username: "fake-bot", discriminator: "0000", global_name: null, avatar: null, bot: true };

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
  return status;
}

/** Where readBody puts a multipart request's files (not a JSON field a client could send). */
const UPLOADS = "\u0000files";

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (body.length === 0) return {};
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/json")) return JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  // multipart/form-data with `payload_json` and the files as `files[n]` (messages with files).
  const form = await new Request("http://fake/", { method: "POST", headers: { "content-type": type }, body }).formData();
  const payload = form.get("payload_json");
  const files: Array<{ filename: string; bytes: Buffer }> = [];
  for (const [key, value] of form) {
    if (/^files\[\d+\]$/.test(key) && typeof value !== "string") files.push({ filename: value.name, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  return { ...(typeof payload === "string" ? (JSON.parse(payload) as Record<string, unknown>) : {}), [UPLOADS]: files };
}


export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const tokens = options.tokens ?? ["discord-test-token"];
  const calls: DiscordCall[] = [];
  const sent: DiscordSentMessage[] = [];
  const failures: DiscordFailure[] = [];
  const dmChannels = new Map<string, string>();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let sequence = 0n;
  const snowflake = (): string => (((BigInt(Date.now()) - DISCORD_EPOCH_MS) << 22n) | (sequence++ & 0xfffn)).toString();
  const dmChannelOf = (userId: string): string => {
    const known = dmChannels.get(userId) ?? snowflake();
    dmChannels.set(userId, known);
    return known;
  };

  const createMessage = (channelId: string, body: Record<string, unknown>, res: ServerResponse): number => {
    const content = typeof body["content"] === "string" ? body["content"] : "";
    const files = (body[UPLOADS] ?? []) as DiscordSentMessage["files"];
    if (content === "" && body["embeds"] === undefined && files.length === 0) return answer(res, 400, { message: "Cannot send an empty message", code: 50006 });
    if (content.length > 2000) {
      return answer(res, 400, {
        message: "Invalid Form Body",
        code: 50035,
        errors: { content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." }] } },
      });
    }
    const message: DiscordSentMessage = { id: snowflake(), channelId, content, files };
    sent.push(message);
    const bucket = { "x-ratelimit-limit": "5", "x-ratelimit-remaining": "4", "x-ratelimit-reset-after": "1", "x-ratelimit-bucket": "fake-bucket" };
    return answer(
      res,
      200,
      {
        id: message.id,
        type: 0,
        channel_id: channelId,
        content,
        author: BOT_USER,
        attachments: [],
        embeds: [],
        mentions: [],
        mention_roles: [],
        mention_everyone: false,
        pinned: false,
        tts: false,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        flags: 0,
        components: [],
      },
      bucket,
    );
  };

  const respond = (req: IncomingMessage, res: ServerResponse, call: DiscordCall): number => {
    if (!tokens.includes(call.token)) return answer(res, 401, { message: "401: Unauthorized", code: 0 });
    const messages = /^\/channels\/(\d+)\/messages$/.exec(call.path);
    if (call.httpMethod === "POST" && messages?.[1] !== undefined) {
      const failure = failures.shift();
      if (failure?.resetConnection === true) {
        req.socket.destroy();
        return 0;
      }
      if (failure !== undefined && (failure.status ?? 429) === 429) {
        const seconds = failure.retryAfterS ?? 1;
        const headers: Record<string, string> = { "retry-after": String(Math.ceil(seconds)), "x-ratelimit-scope": failure.global === true ? "global" : "user" };
        if (failure.global === true) headers["x-ratelimit-global"] = "true";
        return answer(res, 429, { message: "You are being rate limited.", retry_after: seconds, global: failure.global === true }, headers);
      }
      if (failure !== undefined) {
        const status = failure.status ?? 500;
        const known: Record<number, { message: string; code: number }> = {
          403: { message: "Missing Access", code: 50001 },
          404: { message: "Unknown Channel", code: 10003 },
        };
        return answer(res, status, known[status] ?? { message: `${status}: Server Error`, code: 0 });
      }
      return createMessage(messages[1], call.body, res);
    }
    if (call.httpMethod === "POST" && call.path === "/users/@me/channels") {
      const recipient = String(call.body["recipient_id"] ?? "");
      if (!/^\d+$/.test(recipient)) return answer(res, 400, { message: "Invalid Form Body", code: 50035 });
      return answer(res, 200, { id: dmChannelOf(recipient), type: 1, last_message_id: null, flags: 0, recipients: [{ id: recipient, username: "human", discriminator: "0000", global_name: "Human", avatar: null }] });
    }
    if (call.httpMethod === "GET" && call.path === "/users/@me") return answer(res, 200, BOT_USER);
    return answer(res, 404, { message: "404: Not Found", code: 0 });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const auth = req.headers.authorization ?? "";
      const body = await readBody(req);
      const call: DiscordCall = {
        httpMethod: req.method ?? "GET",
        path: url.pathname.replace(/^\/api\/v10/, ""),
        token: auth.startsWith("Bot ") ? auth.slice(4) : "",
        body,
        atMs: Date.now(),
        status: 0,
      };
      calls.push(call);
      call.status = respond(req, res, call);
      events.emit("call");
    })().catch(() => {
      if (!res.headersSent) answer(res, 400, { message: "400: Bad Request", code: 0 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  return {
    apiRoot: `http://127.0.0.1:${port}/api/v10`,
    token: tokens[0] ?? "",
    calls,
    sentMessages: (channelId) => (channelId === undefined ? [...sent] : sent.filter((m) => m.channelId === channelId)),
    dmChannelOf,
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
          reject(new Error(`fake Discord: condition not met within ${timeoutMs} ms; calls: ${calls.map((c) => `${c.httpMethod} ${c.path}`).join(", ") || "none"}`));
        }, timeoutMs);
        events.on("call", check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
