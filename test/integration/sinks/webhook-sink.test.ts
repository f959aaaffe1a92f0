// The webhook sink against a real HTTP receiver on 127.0.0.1: body, headers, signature (checked independently here),
// status mapping, Retry-After in both forms, the route's timeout and cancellation.
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createManualClock, type ClawTellError } from "../../../src/infra/index.js";
import { createWebhookSink, verifyWebhookSignature, type ResolvedRoute, type Sink } from "../../../src/daemon/index.js";
import type { Message } from "../../../src/protocol/index.js";

const SECRET = "a-secret-of-24-characters";
const NOW_MS = Date.UTC(2026, 0, 2, 3, 4, 5);

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
}

let server: Server;
let baseUrl: string;
const received: Received[] = [];
/** How the receiver answers the next request; default 200. */
let answer: (res: ServerResponse) => void = (res) => res.writeHead(200).end("ok");

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, raw });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const dispatcher = new Agent({ connections: 4 });
afterAll(() => dispatcher.close());
afterEach(() => {
  received.length = 0;
  answer = (res) => res.writeHead(200).end("ok");
});

function makeMessage(overrides: Partial<Message> = {}): Message {
  return { id: "msg-1", from: "alice", to_name: "bob", subject: "Hi", body: "héllo 🦞", createdAt: "2026-01-02T03:04:05Z", attachments: [], ...overrides };
}

function makeRoute(webhook: { path?: string; secret?: string; timeoutMs?: number } = {}): ResolvedRoute {
  return {
    accountId: "default",
    recipient: "bob",
    routeKey: "bob",
    forward: false,
    target: { kind: "webhook", url: `${baseUrl}${webhook.path ?? "/hook?token=t"}`, timeoutMs: webhook.timeoutMs ?? 2_000, ...(webhook.secret === undefined ? {} : { secret: webhook.secret }) },
  };
}

function makeSink(): Sink {
  return createWebhookSink({ clock: createManualClock(NOW_MS), dispatcher });
}

async function failure(promise: Promise<unknown>): Promise<ClawTellError> {
  try {
    await promise;
  } catch (err) {
    return err as ClawTellError;
  }
  throw new Error("expected the delivery to fail");
}

describe("webhook sink", () => {
  it("posts the message with to_name, accountId, deliveryId and attempt, signed so the receiver can verify it", async () => {
    await makeSink().deliver({ message: makeMessage(), route: makeRoute({ secret: SECRET }), attempt: 3, signal: new AbortController().signal, files: [] });

    expect(received).toHaveLength(1);
    const [{ headers, raw }] = received as [Received];
    expect(JSON.parse(raw)).toEqual({ ...makeMessage(), to_name: "bob", accountId: "default", deliveryId: "msg-1", attempt: 3 });
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["x-clawtell-delivery"]).toBe("msg-1");
    expect(headers["x-clawtell-timestamp"]).toBe(String(NOW_MS / 1000));
    // Independent check: HMAC-SHA256 over "<timestamp>.<raw body>" with the shared secret.
    const expected = createHmac("sha256", SECRET).update(`${String(headers["x-clawtell-timestamp"])}.${raw}`).digest("hex");
    expect(headers["x-clawtell-signature"]).toBe(`sha256=${expected}`);
    const check = { secret: SECRET, timestamp: String(headers["x-clawtell-timestamp"]), body: raw, signature: `sha256=${expected}` };
    expect(verifyWebhookSignature({ ...check, nowMs: NOW_MS + 1_000 })).toBe(true);
    expect(verifyWebhookSignature({ ...check, nowMs: NOW_MS + 600_000 })).toBe(false);
    expect(verifyWebhookSignature({ ...check, body: raw.replace("bob", "eve"), nowMs: NOW_MS })).toBe(false);
  });

  it("sends no signature header without a secret", async () => {
    await makeSink().deliver({ message: makeMessage(), route: makeRoute(), attempt: 1, signal: new AbortController().signal, files: [] });
    expect(received[0]?.headers["x-clawtell-signature"]).toBeUndefined();
  });

  it.each([
    [500, true],
    [503, true],
    [408, true],
    [400, false],
    [404, false],
    [410, false],
  ])("maps HTTP %i to retryable=%s", async (status, retryable) => {
    answer = (res) => res.writeHead(status).end("nope");
    const err = await failure(makeSink().deliver({ message: makeMessage(), route: makeRoute(), attempt: 1, signal: new AbortController().signal, files: [] }));
    expect(err).toMatchObject({ code: "CT_SINK_FAILED", status, retryable });
    expect(err.message).toContain(`webhook answered HTTP ${status}`);
    expect(err.message).not.toContain("token=t");
  });

  it("honours Retry-After on 429 in seconds and as an HTTP date", async () => {
    answer = (res) => res.writeHead(429, { "retry-after": "7" }).end();
    const inSeconds = await failure(makeSink().deliver({ message: makeMessage(), route: makeRoute(), attempt: 1, signal: new AbortController().signal, files: [] }));
    expect(inSeconds).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7_000 });

    answer = (res) => res.writeHead(429, { "retry-after": new Date(NOW_MS + 90_000).toUTCString() }).end();
    const asDate = await failure(makeSink().deliver({ message: makeMessage(), route: makeRoute(), attempt: 1, signal: new AbortController().signal, files: [] }));
    expect(asDate).toMatchObject({ retryable: true, retryAfterMs: 90_000 });
  });

  it("gives up after the route's timeout with a retryable error", async () => {
    answer = () => undefined; // never answers
    const started = Date.now();
    const err = await failure(makeSink().deliver({ message: makeMessage(), route: makeRoute({ timeoutMs: 150 }), attempt: 1, signal: new AbortController().signal, files: [] }));
    expect(err).toMatchObject({ code: "CT_TIMEOUT", retryable: true });
    expect(Date.now() - started).toBeLessThan(15_000); // the server never answers: only the 150 ms timeout ends it;
  });

  it("stops when the delivery is cancelled", async () => {
    answer = () => undefined;
    const controller = new AbortController();
    const delivery = makeSink().deliver({ message: makeMessage(), route: makeRoute({ timeoutMs: 10_000 }), attempt: 1, signal: controller.signal, files: [] });
    await expect.poll(() => received.length, { timeout: 2_000, interval: 10 }).toBe(1);
    controller.abort();
    expect(await failure(delivery)).toMatchObject({ code: "CT_ABORTED", retryable: false });
  });

  it("reports an unreachable receiver as a retryable failure", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const route: ResolvedRoute = { ...makeRoute(), target: { kind: "webhook", url: `http://127.0.0.1:${port}/x`, timeoutMs: 2_000 } };
    const err = await failure(makeSink().deliver({ message: makeMessage(), route, attempt: 1, signal: new AbortController().signal, files: [] }));
    expect(err).toMatchObject({ code: "CT_SINK_FAILED", retryable: true });
  });
});
