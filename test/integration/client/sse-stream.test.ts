import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient, openStream, type StreamEvent } from "../../../src/client/index.js";
import { createSilentLogger, systemClock } from "../../../src/infra/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";
import { connectedEvent, openSse, sendJson, sseEvent, startHttpStub, wireMessage, type LoopbackStub } from "./loopback-stub.js";

async function collect(events: AsyncIterable<StreamEvent>, until?: (e: StreamEvent[]) => boolean): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of events) {
    out.push(event);
    if (until?.(out) === true) break;
  }
  return out;
}

const bodiesOf = (events: StreamEvent[]) => events.flatMap((e) => (e.type === "message" ? [e.message.body] : []));

describe("SSE stream against the embedded server", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  beforeEach(async () => {
    server = await startTestServer({ keepaliveMs: 50 });
    alice = await server.createName("alice", "a@example.com");
    bob = await server.createName("bob", "b@example.com");
  });
  afterEach(async () => server.close());

  const as = (name: CreatedName) => createClawTellClient({ baseUrl: server.url, apiKey: name.apiKey });

  it("yields connected, the waiting messages in order, then timeout once the limit is reached", async () => {
    await as(alice).send({ to: "bob", body: "one" });
    await as(alice).send({ to: "bob", body: "two" });
    const events = await collect(as(bob).openStream({ account: false, timeoutS: 5, limit: 2 }));
    expect(events[0]).toMatchObject({ type: "connected", info: { name: "bob", lastEventId: null } });
    expect(bodiesOf(events)).toEqual(["one", "two"]);
    expect(events.at(-1)).toEqual({ type: "timeout" });
    const [first] = events.filter((e) => e.type === "message");
    expect(first).toMatchObject({ message: { from: "tell/alice", to_name: "bob", attachments: [] } });
  });

  it("delivers a message sent while the stream is open, and ends after `limit` messages", async () => {
    const client = as(bob);
    const reading = collect(client.openStream({ account: true, timeoutS: 5, limit: 2 }));
    await as(alice).send({ to: "bob", body: "live 1" });
    await as(alice).send({ to: "bob", body: "live 2" });
    const events = await reading;
    expect(bodiesOf(events)).toEqual(["live 1", "live 2"]);
    expect(events.at(-1)).toEqual({ type: "timeout" });
  });

  it("resumes after Last-Event-ID: messages after it that were handed out but not acked come again at once", async () => {
    for (const body of ["a", "b", "c"]) await as(alice).send({ to: "bob", body });
    const first = await collect(as(bob).openStream({ account: false, timeoutS: 1 }), (e) => bodiesOf(e).length === 3);
    const ids = first.flatMap((e) => (e.type === "message" ? [e.message.id] : []));
    // Without resume the leases hide them for the visibility timeout (60 s); with it, b and c are sent again.
    const again = await collect(as(bob).openStream({ account: false, timeoutS: 1, lastEventId: ids[0] ?? "" }), (e) => bodiesOf(e).length === 2);
    expect(again[0]).toMatchObject({ type: "connected", info: { lastEventId: ids[0] } });
    expect(bodiesOf(again)).toEqual(["b", "c"]);
  });

  it("answers a rejected key with CT_AUTH_FAILED", async () => {
    const client = createClawTellClient({ baseUrl: server.url, apiKey: "claw_bad" });
    await expect(collect(client.openStream({ account: true }))).rejects.toMatchObject({ code: "CT_AUTH_FAILED", status: 401 });
  });

  it("ends with CT_ABORTED when the caller aborts, and closes the connection", async () => {
    const controller = new AbortController();
    const reading = collect(as(bob).openStream({ account: true, timeoutS: 30, signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    await expect(reading).rejects.toMatchObject({ code: "CT_ABORTED" });
  });
});

describe("SSE stream failure modes from a loopback stub", () => {
  let stub: LoopbackStub;
  afterEach(async () => stub.close());
  const read = (options: { inactivityMs?: number } = {}) =>
    collect(openStream({ sseUrl: stub.url, apiKey: "k", account: true, clock: systemClock, logger: createSilentLogger(), ...options }));

  it("maps non-2xx answers by status, with Retry-After", async () => {
    stub = await startHttpStub((req, res) => {
      if (req.headers["x-case"] === undefined && stub.requests.length === 1) return sendJson(res, 503, { error: "draining" }, { "retry-after": "4" });
      if (stub.requests.length === 2) return sendJson(res, 429, { error: "slow down" }, { "retry-after": "2" });
      if (stub.requests.length === 3) return sendJson(res, 403, { error: "no" });
      return sendJson(res, 418, { error: "teapot" });
    });
    await expect(read()).rejects.toMatchObject({ code: "CT_API_SERVER_ERROR", status: 503, retryAfterMs: 4000, message: "draining" });
    await expect(read()).rejects.toMatchObject({ code: "CT_RATE_LIMITED", retryAfterMs: 2000 });
    await expect(read()).rejects.toMatchObject({ code: "CT_FORBIDDEN" });
    await expect(read()).rejects.toMatchObject({ code: "CT_API_REJECTED", status: 418 });
  });

  it("refuses a 200 that is not an event stream", async () => {
    stub = await startHttpStub((_req, res) => sendJson(res, 200, { messages: [] }));
    await expect(read()).rejects.toMatchObject({ code: "CT_API_REJECTED" });
  });

  it("drops a connection that stays silent, but keepalives keep it alive", async () => {
    stub = await startHttpStub((req, res) => {
      openSse(res);
      res.write(connectedEvent());
      if (req.url?.includes("limit=7") === true) {
        const timer = setInterval(() => res.write(": keepalive\n\n"), 20);
        setTimeout(() => {
          clearInterval(timer);
          res.end(sseEvent("timeout", ""));
        }, 300);
        res.on("close", () => clearInterval(timer));
      }
    });
    const started = Date.now();
    await expect(read({ inactivityMs: 100 })).rejects.toMatchObject({ code: "CT_TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(1000);
    const events = await collect(
      openStream({ sseUrl: stub.url, apiKey: "k", account: true, limit: 7, inactivityMs: 100, clock: systemClock, logger: createSilentLogger() }),
    );
    expect(events.map((e) => e.type)).toEqual(["connected", "timeout"]);
  });

  it("reports a broken connection as CT_API_UNREACHABLE after the events that came before it", async () => {
    stub = await startHttpStub((_req, res) => {
      openSse(res);
      res.write(connectedEvent() + sseEvent("message", wireMessage("m1")));
      setTimeout(() => res.socket?.destroy(), 30);
    });
    const seen: StreamEvent[] = [];
    const reading = (async () => {
      for await (const event of openStream({ sseUrl: stub.url, apiKey: "k", account: true, clock: systemClock, logger: createSilentLogger() })) seen.push(event);
    })();
    await expect(reading).rejects.toMatchObject({ code: "CT_API_UNREACHABLE" });
    expect(seen.map((e) => e.type)).toEqual(["connected", "message"]);
  });

  it("parses CRLF lines, split chunks and multi-line data, skips unreadable events, and sends Last-Event-ID", async () => {
    stub = await startHttpStub((_req, res) => {
      openSse(res);
      const json = JSON.stringify(wireMessage("m2", "split"));
      res.write(`event: connected\r\ndata: ${JSON.stringify({ name: "bob", accountId: "a", timeout: 1, lastEventId: "m1" })}\r\n\r\n`);
      res.write(`event: message\ndata: ${json.slice(0, 10)}`);
      setTimeout(() => {
        res.write(`${json.slice(10)}\n\n`);
        res.write(`event: message\ndata: {"not":"a message"}\n\n`);
        res.write(`event: error\ndata: {"error":"hiccup"}\n\n`);
        res.write(`event: message\ndata: {"id":"m3","from":"tell/alice",\ndata: "body":"two lines","createdAt":"2026-01-01T00:00:00Z"}\n\n`);
        res.end(sseEvent("timeout", ""));
      }, 20);
    });
    const events = await collect(
      openStream({ sseUrl: stub.url, apiKey: "k", account: false, lastEventId: "m1", clock: systemClock, logger: createSilentLogger() }),
    );
    expect(events.map((e) => e.type)).toEqual(["connected", "message", "message", "timeout"]);
    expect(bodiesOf(events)).toEqual(["split", "two lines"]);
    expect(stub.requests[0]?.headers["last-event-id"]).toBe("m1");
    expect(stub.requests[0]?.headers.authorization).toBe("Bearer k");
    expect(stub.requests[0]?.url).toBe("/v1/stream?timeout=120&limit=50");
  });
});
