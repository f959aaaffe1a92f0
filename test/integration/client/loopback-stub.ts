// A loopback HTTP server with scripted answers that records each request with its body, plus SSE writing helpers.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

export type StubHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface LoopbackStub {
  url: string;
  requests: RecordedRequest[];
  bodies: string[];
  setHandler(handler: StubHandler): void;
  close(): Promise<void>;
}

export async function startHttpStub(handler: StubHandler): Promise<LoopbackStub> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (body !== "") bodies.push(body);
      current(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodies,
    setHandler: (h) => {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

/** Starts an event stream answer. */
export const openSse = (res: ServerResponse): void => {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
};

/** One SSE event as the server writes it. */
export const sseEvent = (event: string, data: unknown): string => `event: ${event}\ndata: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;

export const connectedEvent = (lastEventId: string | null = null): string =>
  sseEvent("connected", { name: "bob", accountId: "acc_1", timeout: 120, lastEventId });

/** A message as the server hands it out. */
export const wireMessage = (id: string, body = id) => ({
  id,
  from: "tell/alice",
  to_name: "bob",
  subject: "Message",
  body,
  createdAt: "2026-01-01T00:00:00.000Z",
  autoReplyEligible: true,
  attachments: [],
});

/** Waits until `check` passes, polling every 10 ms, up to `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A handler that forwards each request to `targetUrl` (the real server) and pipes the answer back. */
export const proxyTo =
  (targetUrl: string): StubHandler =>
  (req, res, body) => {
    const upstream = httpRequest(`${targetUrl}${req.url ?? "/"}`, { method: req.method, headers: { ...req.headers, host: new URL(targetUrl).host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    upstream.end(body === "" ? undefined : body);
  };
