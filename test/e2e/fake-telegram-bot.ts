// A fake Telegram Bot API on 127.0.0.1 for OpenClaw's Telegram channel (`channels.telegram.apiRoot`): getMe,
// getUpdates (short long-poll, injectable human DMs), sendMessage and file uploads (sendDocument, sendPhoto, … as
// multipart/form-data) recorded; other methods answer ok.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface TelegramSend {
  readonly chatId: string;
  readonly text: string;
}

export interface TelegramUpload {
  readonly method: string;
  readonly chatId: string;
  readonly filename: string;
  readonly bytes: Buffer;
  readonly caption: string;
}

export interface FakeTelegramBot {
  readonly apiRoot: string;
  readonly sent: TelegramSend[];
  readonly uploads: TelegramUpload[];
  readonly methods: string[];
  /** Queues a private message from a human, delivered on the next getUpdates. */
  sendUserText(chatId: number, text: string): void;
  close(): Promise<void>;
}

const reply = (res: ServerResponse, body: unknown): void => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

/** The request's fields: JSON, form-encoded or multipart (whose files are kept as `File`s). */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return {};
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded")) {
    const form = await new Request("http://fake.invalid/", { method: "POST", headers: { "content-type": type }, body: raw }).formData();
    return Object.fromEntries(form.entries());
  }
  try {
    return JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const UPLOAD_FIELDS = ["document", "photo", "video", "audio", "voice", "animation"];

export async function startFakeTelegramBot(botToken: string): Promise<FakeTelegramBot> {
  const sent: TelegramSend[] = [];
  const uploads: TelegramUpload[] = [];
  const methods: string[] = [];
  // Ids grow from the clock: OpenClaw persists its update offset and skips repeated message ids.
  let updateId = Math.floor(Date.now() / 1000);
  let messageId = Math.floor(Date.now() / 1000);
  const pending: unknown[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const match = /^\/bot([^/]+)\/(\w+)/.exec(req.url ?? "");
      const body = await readBody(req);
      if (match?.[1] !== botToken) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 401, description: "Unauthorized" }));
        return;
      }
      const method = match[2] ?? "";
      methods.push(method);
      if (method === "getMe") return reply(res, { ok: true, result: { id: 777000, is_bot: true, first_name: "Fake", username: "fake_bot", can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false } });
      if (method === "getUpdates") {
        const deadline = Date.now() + 1000;
        while (pending.length === 0 && Date.now() < deadline && !res.destroyed) await new Promise((r) => setTimeout(r, 50));
        return reply(res, { ok: true, result: pending.splice(0) });
      }
      if (method === "sendMessage") {
        sent.push({ chatId: String(body["chat_id"]), text: String(body["text"] ?? "") });
        messageId++;
        return reply(res, { ok: true, result: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(body["chat_id"]), type: "private" }, text: body["text"] } });
      }
      // A file is the field's value, or (as grammY sends it) a part named by the field's `attach://<name>`.
      const fileOf = (value: unknown): File | undefined =>
        value instanceof File ? value : typeof value === "string" && value.startsWith("attach://") ? fileOf(body[value.slice("attach://".length)]) : undefined;
      const field = UPLOAD_FIELDS.find((name) => fileOf(body[name]) !== undefined);
      const file = field === undefined ? undefined : fileOf(body[field]);
      if (file !== undefined) {
        uploads.push({ method, chatId: String(body["chat_id"]), filename: file.name, bytes: Buffer.from(await file.arrayBuffer()), caption: String(body["caption"] ?? "") });
        messageId++;
        const fileInfo = { file_id: `file-${messageId}`, file_unique_id: `u-${messageId}`, file_name: file.name, file_size: file.size };
        const media = field === "photo" ? { photo: [{ ...fileInfo, width: 1, height: 1 }] } : { [field ?? "document"]: fileInfo };
        return reply(res, { ok: true, result: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(body["chat_id"]), type: "private" }, ...media } });
      }
      return reply(res, { ok: true, result: true });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    sent,
    uploads,
    methods,
    sendUserText(chatId, text) {
      updateId++;
      messageId++;
      pending.push({
        update_id: updateId,
        message: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: "private", first_name: "Hum" }, from: { id: chatId, is_bot: false, first_name: "Hum", username: `human${chatId}` }, text },
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
