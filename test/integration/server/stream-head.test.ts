// HEAD /v1/stream: the stream's headers at once, and nothing pulled (a message waiting stays deliverable at once).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { messagesOf, readStream } from "../../helpers/sse.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("HEAD /v1/stream", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    server = await startTestServer({ visibilityTimeoutMs: 3_600_000 });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  it("answers with the stream's headers at once, even for an hour-long stream, and leases nothing", async () => {
    await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "waiting" } });
    const head = await fetch(`${server.url}/v1/stream?timeout=3600`, { method: "HEAD", headers: { authorization: `Bearer ${bob.apiKey}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await head.text()).toBe("");
    const read = await readStream(server, bob.apiKey, { query: "timeout=1" });
    expect(messagesOf(read.events).map((m) => m["body"])).toEqual(["waiting"]);
  });
});
