// A fake Slack on 127.0.0.1 speaking the real wire format: the Web API (`POST /api/<method>`, `Authorization: Bearer
// xoxb-…`, JSON or form bodies, HTTP 200 with `{ ok: true, … }` or `{ ok: false, error }`, 429 with `Retry-After` in
// seconds), the external file upload (`files.getUploadURLExternal` → raw bytes to the upload URL →
// `files.completeUploadExternal`) and an incoming webhook (`POST /services/T…/B…/…`, plain-text `ok` or an error word).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface SlackCall {
  readonly path: string;
  /** The bearer token, or "" when absent. */
  readonly token: string;
  readonly contentType: string;
  /** JSON body, or the fields of a form body. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly bytes: Buffer;
  status: number;
}

export interface SlackPosted {
  readonly channel: string;
  readonly text: string;
  readonly threadTs?: string;
  readonly via: "chat.postMessage" | "webhook";
}

export interface FakeSlack {
  /** Give this as the Web API root (`…/api`). */
  readonly apiRoot: string;
  /** An incoming webhook that posts into channel `C0WEBHOOK`. */
  readonly webhookUrl: string;
  readonly token: string;
  readonly calls: SlackCall[];
  readonly posted: SlackPosted[];
  /** Files completed into a channel, with their bytes. */
  readonly files: Array<{ readonly channel: string; readonly title: string; readonly bytes: Buffer; readonly threadTs?: string }>;
  /** The next `count` posts (Web API or webhook) answer 429 with `Retry-After: <seconds>`. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  close(): Promise<void>;
}

const CHANNELS = new Set(["C0123456789", "C0WEBHOOK", "D0DIRECT", "U0HUMAN"]);

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
  return status;
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): number {
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
  return status;
}

function parseBody(contentType: string, bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  if (contentType.includes("application/json")) return JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  if (contentType.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(bytes.toString("utf8")));
  return {};
}

export async function startFakeSlack(token = "xoxb-fake-slack-token"): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const posted: SlackPosted[] = [];
  const files: FakeSlack["files"] = [];
  const uploads = new Map<string, { filename: string; length: number; bytes?: Buffer }>();
  let rateLimited = 0;
  let retryAfter = 1;
  let ts = 1_700_000_000;
  let fileSeq = 0;
  let root = "";

  const webApi = (method: string, call: SlackCall, res: ServerResponse): number => {
    if (call.token === "") return json(res, 200, { ok: false, error: "not_authed" });
    if (call.token !== token) return json(res, 200, { ok: false, error: "invalid_auth" });
    const body = call.body;
    if (method === "chat.postMessage") {
      if (!call.contentType.includes("application/json")) return json(res, 200, { ok: false, error: "invalid_arguments" });
      const channel = String(body["channel"] ?? "");
      if (!CHANNELS.has(channel)) return json(res, 200, { ok: false, error: "channel_not_found" });
      const message = String(body["text"] ?? "");
      if (message.trim() === "") return json(res, 200, { ok: false, error: "no_text" });
      if (message.length > 40_000) return json(res, 200, { ok: false, error: "msg_too_long" });
      const threadTs = typeof body["thread_ts"] === "string" ? body["thread_ts"] : undefined;
      posted.push({ channel, text: message, via: "chat.postMessage", ...(threadTs === undefined ? {} : { threadTs }) });
      const id = `${ts++}.000100`;
      return json(res, 200, { ok: true, channel, ts: id, message: { type: "message", text: message, user: "U0BOT", ts: id } });
    }
    if (method === "files.getUploadURLExternal") {
      // Slack takes this method's arguments as a form (or query), not as JSON.
      const filename = String(body["filename"] ?? "");
      const length = Number(body["length"]);
      if (filename === "" || !Number.isInteger(length) || length < 0) return json(res, 200, { ok: false, error: "invalid_arguments" });
      const fileId = `F0${String(++fileSeq).padStart(8, "0")}`;
      uploads.set(fileId, { filename, length });
      return json(res, 200, { ok: true, upload_url: `${root}/upload/v1/${fileId}`, file_id: fileId });
    }
    if (method === "files.completeUploadExternal") {
      const list = JSON.parse(String(body["files"] ?? "[]")) as Array<{ id: string; title?: string }>;
      const channel = String(body["channel_id"] ?? "");
      if (!CHANNELS.has(channel)) return json(res, 200, { ok: false, error: "channel_not_found" });
      const done = [];
      for (const item of list) {
        const upload = uploads.get(item.id);
        if (upload?.bytes === undefined) return json(res, 200, { ok: false, error: "file_not_found" });
        const threadTs = typeof body["thread_ts"] === "string" ? body["thread_ts"] : undefined;
        files.push({ channel, title: item.title ?? upload.filename, bytes: upload.bytes, ...(threadTs === undefined ? {} : { threadTs }) });
        done.push({ id: item.id, title: item.title ?? upload.filename });
      }
      return json(res, 200, { ok: true, files: done });
    }
    return json(res, 200, { ok: false, error: "unknown_method" });
  };

  const respond = (call: SlackCall, res: ServerResponse): number => {
    const isPost = call.path.startsWith("/api/chat.") || call.path.startsWith("/services/");
    if (isPost && rateLimited > 0) {
      rateLimited--;
      return call.path.startsWith("/services/")
        ? text(res, 429, "rate_limited", { "retry-after": String(retryAfter) })
        : json(res, 429, { ok: false, error: "ratelimited" }, { "retry-after": String(retryAfter) });
    }
    if (call.path.startsWith("/api/")) return webApi(call.path.slice("/api/".length), call, res);
    const upload = /^\/upload\/v1\/(F0\d+)$/.exec(call.path);
    if (upload?.[1] !== undefined) {
      const pending = uploads.get(upload[1]);
      if (pending === undefined || pending.length !== call.bytes.length) return text(res, 400, "bad upload");
      pending.bytes = call.bytes;
      return text(res, 200, `OK - ${call.bytes.length}`);
    }
    if (call.path === "/services/T0000/B0000/webhooksecret") {
      const message = typeof call.body["text"] === "string" ? call.body["text"] : "";
      if (message.trim() === "") return text(res, 400, "invalid_payload");
      posted.push({ channel: "C0WEBHOOK", text: message, via: "webhook" });
      return text(res, 200, "ok");
    }
    if (call.path.startsWith("/services/")) return text(res, 404, "no_service");
    return text(res, 404, "not found");
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      const contentType = req.headers["content-type"] ?? "";
      const auth = req.headers.authorization ?? "";
      const call: SlackCall = {
        path: new URL(req.url ?? "/", "http://fake").pathname,
        token: auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : "",
        contentType,
        body: parseBody(contentType, bytes),
        bytes,
        status: 0,
      };
      calls.push(call);
      call.status = respond(call, res);
    })().catch(() => {
      if (!res.headersSent) text(res, 400, "invalid_payload");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  root = `http://127.0.0.1:${port}`;
  return {
    apiRoot: `${root}/api`,
    webhookUrl: `${root}/services/T0000/B0000/webhooksecret`,
    token,
    calls,
    posted,
    files,
    rateLimitNext(count, seconds) {
      rateLimited = count;
      retryAfter = seconds;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
