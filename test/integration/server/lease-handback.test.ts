// A receiver that dies holding leased messages: the next stream or poll of its account gets them at once, in order.
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { messagesOf, readStream, streamOnOwnConnection } from "../../helpers/sse.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

/** A poll on a connection that the client closes right after the answer. */
async function pollAndHangUp(server: TestServer, key: string): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    const req = request(`${server.url}/api/messages/poll?timeout=0&limit=50`, { agent: false, headers: { authorization: `Bearer ${key}`, connection: "close" } }, (res) => {
      let raw = "";
      res.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      res.on("end", () => resolve((JSON.parse(raw) as { messages: Array<{ id: string }> }).messages.map((m) => m.id)));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("leases of a connection that closed", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    // A long visibility timeout: anything that comes back below came back because its connection closed.
    server = await startTestServer({ visibilityTimeoutMs: 600_000 });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  const send = async (body: string): Promise<string> =>
    String((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body } })).body["messageId"]);
  const waiting = async (): Promise<unknown> => (await api(server, "GET", "/health")).body["waiting"];

  it("are handed to the account's next stream first, in order, before later messages", async () => {
    const early = [await send("m1"), await send("m2"), await send("m3")];
    const crashed = await streamOnOwnConnection(server, bob.apiKey, { count: 3 });
    expect(crashed.ids).toEqual(early);
    await expect.poll(waiting).toBe(1); // the stream now waits for more
    crashed.drop();
    await expect.poll(waiting).toBe(0); // the server saw the connection go
    const later = await send("m4");
    const next = await readStream(server, bob.apiKey, { query: "account=true&timeout=60", stopWhen: (events) => messagesOf(events).length >= 4, maxMs: 20_000 });
    expect(messagesOf(next.events).map((m) => m["id"])).toEqual([...early, later]);
  });

  it("come back with Last-Event-ID too, the stored but unacked one included, so its ack can follow at once", async () => {
    const ids = [await send("m1"), await send("m2"), await send("m3")];
    const crashed = await streamOnOwnConnection(server, bob.apiKey, { count: 3 });
    await expect.poll(waiting).toBe(1);
    crashed.drop();
    await expect.poll(waiting).toBe(0);
    const later = await send("m4");
    // The receiver had stored m1 and died before its ack: m1 comes again (it dedupes and acks), then the rest in order.
    const next = await readStream(server, bob.apiKey, { query: "account=true&timeout=60", lastEventId: ids[0], stopWhen: (events) => messagesOf(events).length >= 4, maxMs: 20_000 });
    expect(messagesOf(next.events).map((m) => m["id"])).toEqual([...ids, later]);
  });

  it("are handed to the account's next poll at once", async () => {
    const first = await send("m1");
    expect(await pollAndHangUp(server, bob.apiKey)).toEqual([first]);
    // The server may see the hang-up a moment after the next poll starts: poll again until it has.
    const poll = async (): Promise<string[]> =>
      ((await api(server, "GET", "/api/messages/poll?timeout=0&limit=50", { key: bob.apiKey })).body["messages"] as Array<{ id: string }>).map((m) => m.id);
    await expect.poll(poll, { timeout: 15_000 }).toEqual([first]);
  });

  it("stay hidden while the connection that got them is open", async () => {
    await send("m1");
    const holder = await streamOnOwnConnection(server, bob.apiKey, { count: 1 });
    try {
      const other = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect(other.body["count"]).toBe(0);
    } finally {
      holder.drop();
    }
  });
});
