/**
 * The baseline of the server benchmarks: a minimal in-memory long-poll server on plain node:http with the same HTTP
 * shape as ClawTell (send, poll, ack). No auth, no storage, no validation — the ceiling a real server is compared to.
 * Run directly with Node 24 (type stripping): `node bench/baseline-server.ts` prints `listening on http://…`.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

interface Msg {
  id: string;
  from: string;
  to_name: string;
  subject: string;
  body: string;
  createdAt: string;
}

const queues = new Map<string, Msg[]>();
const inflight = new Map<string, Msg>();
const waiters = new Map<string, Set<() => void>>();

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString()));
    req.on("end", () => resolve(data));
  });

const json = (res: ServerResponse, status: number, value: unknown): void => {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
};

const recipientOf = (req: IncomingMessage): string => (req.headers.authorization ?? "").replace(/^Bearer\s+/, "");

const take = (who: string, limit: number): Msg[] => {
  const queue = queues.get(who) ?? [];
  const out = queue.splice(0, limit);
  for (const m of out) inflight.set(m.id, m);
  return out;
};

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "POST" && url.pathname === "/api/messages/send") {
      const body = JSON.parse(await readBody(req)) as { to: string; body: string; subject?: string };
      const msg: Msg = { id: randomUUID(), from: "tell/sender", to_name: body.to, subject: body.subject ?? "Message", body: body.body, createdAt: new Date().toISOString() };
      const queue = queues.get(body.to) ?? [];
      queue.push(msg);
      queues.set(body.to, queue);
      for (const wake of waiters.get(body.to) ?? []) wake();
      json(res, 200, { success: true, messageId: msg.id, sentAt: msg.createdAt, to: `tell/${body.to}` });
    } else if (req.method === "GET" && url.pathname === "/api/messages/poll") {
      const who = recipientOf(req);
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const timeoutMs = Number(url.searchParams.get("timeout") ?? 30) * 1000;
      const started = Date.now();
      let messages = take(who, limit);
      if (messages.length === 0 && timeoutMs > 0) {
        await new Promise<void>((resolve) => {
          const set = waiters.get(who) ?? new Set();
          waiters.set(who, set);
          const done = (): void => {
            set.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          set.add(done);
          res.on("close", done);
        });
        messages = take(who, limit);
      }
      json(res, 200, { messages, count: messages.length, waitedMs: Date.now() - started, timeout: timeoutMs / 1000 });
    } else if (req.method === "POST" && url.pathname === "/api/messages/ack") {
      const { messageIds } = JSON.parse(await readBody(req)) as { messageIds: string[] };
      let acked = 0;
      for (const id of messageIds) if (inflight.delete(id)) acked++;
      json(res, 200, { success: true, acked });
    } else {
      json(res, 404, { error: "not found" });
    }
  })();
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
