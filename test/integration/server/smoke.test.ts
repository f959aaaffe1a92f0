import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("server smoke", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  it("sends, polls and acks", async () => {
    const alice = await server.createName("alice", "a@example.com");
    const bob = await server.createName("bob", "b@example.com");
    const sent = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "tell/Bob", body: "hi" } });
    expect(sent.status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=1", { key: bob.apiKey });
    expect(polled.body["count"]).toBe(1);
    const ack = await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [sent.body["messageId"]] } });
    expect(ack.body).toEqual({ success: true, acked: 1 });
  });
});
