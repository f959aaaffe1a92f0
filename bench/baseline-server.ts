/**
 * The baseline of the server benchmarks: a minimal in-memory long-poll server with the same HTTP shape as ClawTell
 * (send, poll, ack). No auth, no storage, no validation — the ceiling a real server is compared to.
 *
 * Two front ends over the same queues: plain `node:http` (the default, the baseline every bench compares to) and
 * `--fastify`, the same three routes on bare fastify (its own JSON body parser and serializer, no hooks, no schemas):
 * what the framework alone costs, so that a bench can tell it apart from what our server does on top of it.
 * Run directly with Node 24 (type stripping): `node bench/baseline-server.ts [--fastify]` prints `listening on http://…`.
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

interface SendBody {
  to: string;
  body: string;
  subject?: string;
}

const queues = new Map<string, Msg[]>();
const inflight = new Map<string, Msg>();
const waiters = new Map<string, Set<() => void>>();

const take = (who: string, limit: number): Msg[] => {
  const queue = queues.get(who) ?? [];
  const out = queue.splice(0, limit);
  for (const m of out) inflight.set(m.id, m);
  return out;
};

function send(body: SendBody): Record<string, unknown> {
  const msg: Msg = { id: randomUUID(), from: "tell/sender", to_name: body.to, subject: body.subject ?? "Message", body: body.body, createdAt: new Date().toISOString() };
  const queue = queues.get(body.to) ?? [];
  queue.push(msg);
  queues.set(body.to, queue);
  for (const wake of waiters.get(body.to) ?? []) wake();
  return { success: true, messageId: msg.id, sentAt: msg.createdAt, to: `tell/${body.to}` };
}

/** Up to `limit` messages of `who`, waiting up to `timeoutMs` for one (or until the connection closes). */
async function poll(who: string, limit: number, timeoutMs: number, closed: (done: () => void) => void): Promise<Record<string, unknown>> {
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
      closed(done);
    });
    messages = take(who, limit);
  }
  return { messages, count: messages.length, waitedMs: Date.now() - started, timeout: timeoutMs / 1000 };
}

function ack(messageIds: readonly string[]): Record<string, unknown> {
  let acked = 0;
  for (const id of messageIds) if (inflight.delete(id)) acked++;
  return { success: true, acked };
}

const recipientOf = (authorization: string | undefined): string => (authorization ?? "").replace(/^Bearer\s+/, "");

const listening = (port: number): void => {
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
};

function startNodeHttp(): void {
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
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      if (req.method === "POST" && url.pathname === "/api/messages/send") {
        json(res, 200, send(JSON.parse(await readBody(req)) as SendBody));
      } else if (req.method === "GET" && url.pathname === "/api/messages/poll") {
        const limit = Number(url.searchParams.get("limit") ?? 50);
        const timeoutMs = Number(url.searchParams.get("timeout") ?? 30) * 1000;
        json(res, 200, await poll(recipientOf(req.headers.authorization), limit, timeoutMs, (done) => res.on("close", done)));
      } else if (req.method === "POST" && url.pathname === "/api/messages/ack") {
        json(res, 200, ack((JSON.parse(await readBody(req)) as { messageIds: string[] }).messageIds));
      } else {
        json(res, 404, { error: "not found" });
      }
    })();
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    listening(typeof address === "object" && address !== null ? address.port : 0);
  });
}

async function startFastify(): Promise<void> {
  // Imported here so that the node:http baseline's memory (bench (c)) holds no fastify.
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  app.post("/api/messages/send", async (request) => send(request.body as SendBody));
  app.get("/api/messages/poll", async (request, reply) => {
    const query = request.query as { limit?: string; timeout?: string };
    const timeoutMs = Number(query.timeout ?? 30) * 1000;
    return poll(recipientOf(request.headers.authorization), Number(query.limit ?? 50), timeoutMs, (done) => reply.raw.on("close", done));
  });
  app.post("/api/messages/ack", async (request) => ack((request.body as { messageIds: string[] }).messageIds));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  listening(typeof address === "object" && address !== null ? address.port : 0);
}

if (process.argv.includes("--fastify")) await startFastify();
else startNodeHttp();
process.on("SIGTERM", () => process.exit(0));
