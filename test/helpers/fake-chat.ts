// Fake Telegram Bot API and Discord REST on 127.0.0.1, speaking their real wire format (the real ones are outside this network).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface SentChatMessage {
  to: string;
  text: string;
  threadId?: number;
}

export interface FakeChat {
  apiRoot: string;
  sent: SentChatMessage[];
  /** Answer the next `count` sends with 429 and this retry-after (seconds). */
  rateLimitNext(count: number, retryAfterS: number): void;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

export async function startFakeTelegram(botToken: string): Promise<FakeChat> {
  const sent: SentChatMessage[] = [];
  let limited = 0;
  let retryAfter = 1;
  let messageId = 500;
  const http = await listen((req, res, raw) => {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? "");
    if (match?.[1] !== botToken) return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    if (match[2] !== "sendMessage") return reply(res, 200, { ok: true, result: true });
    const body = JSON.parse(raw) as { chat_id: string | number; text: string; message_thread_id?: number };
    if (limited > 0) {
      limited--;
      return reply(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
    }
    if (body.text.length > 4096) return reply(res, 400, { ok: false, error_code: 400, description: "Bad Request: message is too long" });
    sent.push({ to: String(body.chat_id), text: body.text, ...(body.message_thread_id === undefined ? {} : { threadId: body.message_thread_id }) });
    messageId++;
    return reply(res, 200, { ok: true, result: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: "private" }, text: body.text } });
  });
  return {
    apiRoot: http.url,
    sent,
    rateLimitNext: (count, seconds) => {
      limited = count;
      retryAfter = seconds;
    },
    close: http.close,
  };
}

export async function startFakeDiscord(token: string): Promise<FakeChat> {
  const sent: SentChatMessage[] = [];
  let limited = 0;
  let retryAfter = 1;
  const http = await listen((req, res, raw) => {
    if (req.headers.authorization !== `Bot ${token}`) return reply(res, 401, { message: "401: Unauthorized", code: 0 });
    const match = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(req.url ?? "");
    if (match?.[1] === undefined || req.method !== "POST") return reply(res, 404, { message: "404: Not Found", code: 0 });
    if (limited > 0) {
      limited--;
      return reply(res, 429, { message: "You are being rate limited.", retry_after: retryAfter, global: false }, { "retry-after": String(retryAfter) });
    }
    const body = JSON.parse(raw) as { content: string };
    if (body.content.length > 2000) return reply(res, 400, { message: "Invalid Form Body", code: 50035 });
    sent.push({ to: match[1], text: body.content });
    return reply(res, 200, { id: String(Date.now()), channel_id: match[1], content: body.content, type: 0 });
  });
  return {
    apiRoot: `${http.url}/api/v10`,
    sent,
    rateLimitNext: (count, seconds) => {
      limited = count;
      retryAfter = seconds;
    },
    close: http.close,
  };
}
