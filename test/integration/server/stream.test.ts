import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { messagesOf, readStream } from "../../helpers/sse.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("GET /v1/stream", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    server = await startTestServer({ keepaliveMs: 100, visibilityTimeoutMs: 60_000 });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  const send = async (to: string, body: string, key = alice.apiKey): Promise<string> => {
    const res = await api(server, "POST", "/api/messages/send", { key, body: { to, body } });
    return String(res.body["messageId"]);
  };

  it("opens with connected, sends waiting messages in order, keeps alive, and ends with timeout", async () => {
    await send("bob", "one");
    await send("bob", "two");
    const read = await readStream(server, bob.apiKey, { query: "timeout=1&limit=50" });
    expect(read.status).toBe(200);
    expect(read.contentType).toMatch(/^text\/event-stream/);
    expect(read.events[0]?.event).toBe("connected");
    expect(JSON.parse(read.events[0]?.data ?? "{}")).toEqual({
      name: "bob",
      accountId: bob.accountId,
      timeout: 1,
      lastEventId: null,
      account: false,
    });
    expect(messagesOf(read.events).map((m) => m["body"])).toEqual(["one", "two"]);
    expect(read.events.at(-1)).toMatchObject({ event: "timeout", data: "" });
    expect(read.comments.filter((c) => c.trim() === "keepalive").length).toBeGreaterThanOrEqual(3);
    expect(read.ended).toBe(true);
  });

  it("holds a stream for 120 s and up to 50 messages unless told otherwise", async () => {
    const read = await readStream(server, bob.apiKey, { stopWhen: (events) => events.length > 0 });
    expect(JSON.parse(read.events[0]?.data ?? "{}")).toMatchObject({ timeout: 120 });
    for (let i = 0; i < 52; i++) await send("bob", `n${i}`);
    const many = await readStream(server, bob.apiKey);
    expect(messagesOf(many.events)).toHaveLength(50);
    expect(many.ended).toBe(true);
  });

  it("writes each event in the exact line form the official clients parse", async () => {
    await send("bob", "wire");
    const read = await readStream(server, bob.apiKey, { query: "timeout=1" });
    expect(read.raw).toMatch(/^event: connected\ndata: \{[^\n]*\}\n\n/);
    expect(read.raw).toMatch(/\nevent: message\ndata: \{[^\n]*"body":"wire"[^\n]*\}\nid: [^\n]+\n\n/);
    // The id line names the message, for EventSource clients' Last-Event-ID.
    const message = messagesOf(read.events)[0];
    expect(read.events.find((e) => e.event === "message")?.id).toBe(message?.["id"]);
    expect(read.raw.endsWith("event: timeout\ndata: \n\n")).toBe(true);
    expect(read.raw).not.toContain("\r");
  });

  it("pushes a message sent while the stream is open", async () => {
    const reading = readStream(server, bob.apiKey, { query: "timeout=10", stopWhen: (events) => messagesOf(events).length > 0 });
    await new Promise((r) => setTimeout(r, 150));
    await send("bob", "live");
    const read = await reading;
    expect(messagesOf(read.events)).toMatchObject([{ body: "live", from: "tell/alice", to_name: "bob" }]);
  });

  it("stops after limit message events", async () => {
    for (const n of [1, 2, 3]) await send("bob", `m${n}`);
    const read = await readStream(server, bob.apiKey, { query: "timeout=10&limit=2" });
    expect(messagesOf(read.events).map((m) => m["body"])).toEqual(["m1", "m2"]);
    expect(read.ended).toBe(true);
  });

  it("streams every name of the account with ?account=true, each message carrying to_name", async () => {
    const helper = await server.createName("helper", "bob@example.com");
    await send("helper", "for helper");
    await send("bob", "for bob");
    const read = await readStream(server, helper.apiKey, { query: "account=true&timeout=1" });
    expect(messagesOf(read.events).map((m) => [m["to_name"], m["body"]])).toEqual([
      ["helper", "for helper"],
      ["bob", "for bob"],
    ]);
  });

  it("resumes after Last-Event-ID without a gap", async () => {
    const ids = [await send("bob", "m1"), await send("bob", "m2"), await send("bob", "m3")];
    // The first connection hands out all three but the client only saw m1 before it dropped.
    const first = await readStream(server, bob.apiKey, { query: "timeout=1" });
    expect(messagesOf(first.events)).toHaveLength(3);
    const resumed = await readStream(server, bob.apiKey, { query: "timeout=1", lastEventId: ids[0] });
    expect(JSON.parse(resumed.events[0]?.data ?? "{}")).toMatchObject({ lastEventId: ids[0] });
    expect(messagesOf(resumed.events).map((m) => m["id"])).toEqual([ids[1], ids[2]]);
  });

  it("never sends acked messages again", async () => {
    const id = await send("bob", "acked");
    await api(server, "POST", "/v1/ack", { key: bob.apiKey, body: { messageIds: [id] } });
    const read = await readStream(server, bob.apiKey, { query: "timeout=1", lastEventId: "unknown-id" });
    expect(messagesOf(read.events)).toEqual([]);
  });

  it("answers 401 as JSON for a bad key and 400 for a bad query", async () => {
    const unauthorized = await readStream(server, "claw_nope", { query: "timeout=1" });
    expect(unauthorized.status).toBe(401);
    expect(JSON.parse(unauthorized.raw)).toMatchObject({ error: "Invalid API key" });
    const bad = await readStream(server, bob.apiKey, { query: "timeout=-4" });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.raw)).toMatchObject({ field: "timeout" });
  });

  it("releases the waiter when the client disconnects", async () => {
    await readStream(server, bob.apiKey, { query: "timeout=30", stopWhen: (events) => events.length > 0 });
    await new Promise((r) => setTimeout(r, 100));
    const health = await api(server, "GET", "/health");
    expect(health.body["waiting"]).toBe(0);
  });
});
