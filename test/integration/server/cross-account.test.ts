import { Client } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { messagesOf, readStream } from "../../helpers/sse.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

// Account A owns alice + helper; account B owns bob. No key of one account may read, ack or send as the other.
describe("cross-account isolation", () => {
  let server: TestServer;
  let alice: CreatedName;
  let helper: CreatedName;
  let bob: CreatedName;
  let toAlice: string;
  let toBob: string;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "a@example.com");
    helper = await server.createName("helper", "A@Example.com");
    bob = await server.createName("bob", "b@example.com");
    toAlice = String((await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "alice", body: "for alice" } })).body["messageId"]);
    toBob = String((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "for bob" } })).body["messageId"]);
  });
  afterAll(async () => server.close());

  it("judges each request's key on its own, also on one keep-alive connection", async () => {
    const client = new Client(server.url, { pipelining: 1 });
    const whoAmI = async (key: string): Promise<[number, unknown]> => {
      const res = await client.request({ method: "GET", path: "/api/me", headers: { authorization: `Bearer ${key}` } });
      const body = (await res.body.json()) as Record<string, unknown>;
      return [res.statusCode, body["name"] ?? body["code"]];
    };
    try {
      const wrongSecret = alice.apiKey.replace(/.$/, (c) => (c === "a" ? "b" : "a"));
      expect(await whoAmI(alice.apiKey)).toEqual([200, "alice"]);
      expect(await whoAmI(wrongSecret)).toEqual([401, "CT_AUTH_FAILED"]);
      expect(await whoAmI(bob.apiKey)).toEqual([200, "bob"]);
      expect(await whoAmI(alice.apiKey)).toEqual([200, "alice"]);
    } finally {
      await client.close();
    }
  });

  it("puts names created with the same email into one account", () => {
    expect(helper.accountId).toBe(alice.accountId);
    expect(bob.accountId).not.toBe(alice.accountId);
  });

  it("lets a name's key send as another name of its own account", async () => {
    const res = await api(server, "POST", "/api/messages/send", { key: helper.apiKey, body: { to: "bob", body: "sent as alice", from_name: "alice" } });
    expect(res.status).toBe(200);
    const inbox = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
    const received = (inbox.body["messages"] as Array<Record<string, unknown>>).find((m) => m["id"] === res.body["messageId"]);
    expect(received).toMatchObject({ from: "tell/alice", body: "sent as alice" });
  });

  it.each([
    ["bob sends as alice", () => bob.apiKey, "alice"],
    ["alice sends as bob", () => alice.apiKey, "bob"],
    ["alice sends as a name nobody has", () => alice.apiKey, "ghost"],
  ])("refuses to send as a name of another account (%s)", async (_label, key, fromName) => {
    const res = await api(server, "POST", "/api/messages/send", { key: key(), body: { to: "bob", body: "x", from_name: fromName } });
    expect(res.status).toBe(403);
    expect(res.body["field"]).toBe("from_name");
  });

  it("never hands another account's messages to poll, poll-account, inbox or stream", async () => {
    for (const path of ["/api/messages/poll?timeout=0", "/api/messages/poll-account?timeout=0", "/api/messages/inbox"]) {
      const res = await api(server, "GET", path, { key: bob.apiKey });
      const ids = (res.body["messages"] as Array<{ id: string }>).map((m) => m.id);
      expect(ids, path).not.toContain(toAlice);
    }
    const stream = await readStream(server, bob.apiKey, { query: "account=true&timeout=1", lastEventId: toAlice });
    expect(messagesOf(stream.events).map((m) => m["id"])).not.toContain(toAlice);
  });

  it("never acks another account's messages", async () => {
    expect((await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [toAlice] } })).body).toEqual({ success: true, acked: 0 });
    expect((await api(server, "POST", "/v1/ack", { key: bob.apiKey, body: { messageIds: [toAlice] } })).body).toEqual({ success: true, acked: [] });
    // An acked message would have left alice's unread inbox.
    const stillThere = await api(server, "GET", "/api/messages/inbox?unread=true", { key: alice.apiKey });
    expect((stillThere.body["messages"] as Array<{ id: string }>).map((m) => m.id)).toContain(toAlice);
  });

  it("never marks another account's message read, nor lets a reply join another account's thread", async () => {
    const read = await api(server, "POST", `/api/messages/${toAlice}/read`, { key: bob.apiKey });
    expect(read.status).toBe(404);
    const inbox = await api(server, "GET", "/api/messages/inbox?unread=true", { key: alice.apiKey });
    expect((inbox.body["messages"] as Array<{ id: string }>).map((m) => m.id)).toContain(toAlice);

    const internal = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "helper", body: "internal" } });
    const internalId = String(internal.body["messageId"]);
    const outsider = await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "alice", body: "x", replyTo: internalId } });
    const insider = await api(server, "POST", "/api/messages/send", { key: helper.apiKey, body: { to: "alice", body: "y", replyTo: internalId } });
    const threads = new Map(
      ((await api(server, "GET", "/api/messages/inbox", { key: alice.apiKey })).body["messages"] as Array<{ id: string; threadId: string }>).map(
        (m) => [m.id, m.threadId],
      ),
    );
    expect(threads.get(String(outsider.body["messageId"]))).toBe(outsider.body["messageId"]);
    expect(threads.get(String(insider.body["messageId"]))).toBe(internalId);
  });

  it("lets a name's key read and ack its whole account's messages", async () => {
    const res = await api(server, "GET", "/api/messages/poll-account?timeout=0", { key: helper.apiKey });
    expect((res.body["messages"] as Array<{ id: string }>).map((m) => m.id)).toContain(toAlice);
    expect((await api(server, "POST", "/api/messages/ack", { key: helper.apiKey, body: { messageIds: [toAlice, toBob] } })).body).toEqual({ success: true, acked: 1 });
  });

  it("never changes another account's names or lists", async () => {
    expect((await api(server, "PATCH", "/api/names/alice", { key: bob.apiKey, body: { communication_mode: "anyone" } })).status).toBe(403);
    await api(server, "POST", "/api/allowlist", { key: bob.apiKey, body: { name: "carol" } });
    expect((await api(server, "GET", "/api/allowlist", { key: alice.apiKey })).body).toEqual({ allowlist: [] });
  });

  it("never reads or changes another account's profile; a name of the same account may", async () => {
    const profile = (key: string, method: "GET" | "PATCH", query = "", body?: unknown) =>
      api(server, method, `/api/profile${query}`, { key, ...(body === undefined ? {} : { body }) });
    expect((await profile(alice.apiKey, "PATCH", "", { tagline: "Alice's own", description: "Hidden for now", profile_visible: false })).status).toBe(200);

    for (const [method, body] of [["GET", undefined], ["PATCH", { tagline: "bob was here", profile_visible: true }]] as const) {
      for (const target of ["alice", "helper", "tell/alice"]) {
        const res = await profile(bob.apiKey, method, `?name=${target}`, body);
        expect(res.status, `${method} ?name=${target}`).toBe(403);
        expect(res.body["field"]).toBe("name");
      }
    }
    // bob's key without ?name= is about bob only.
    expect((await profile(bob.apiKey, "PATCH", "", { tagline: "Bob's own" })).body).toMatchObject({ name: "bob", tagline: "Bob's own" });
    expect((await profile(alice.apiKey, "GET")).body).toMatchObject({ name: "alice", tagline: "Alice's own", profile_visible: false });

    // The hidden profile shows nowhere public.
    expect((await api(server, "GET", "/api/names/alice")).body).not.toHaveProperty("profile");
    const directory = await api(server, "GET", "/api/directory?q=alice");
    expect((directory.body["agents"] as Array<{ name: string }>).map((a) => a.name)).not.toContain("alice");

    // helper, of alice's account, may show it.
    expect((await profile(helper.apiKey, "PATCH", "?name=alice", { profile_visible: true })).status).toBe(200);
    expect((await api(server, "GET", "/api/names/alice")).body["profile"]).toMatchObject({ tagline: "Alice's own" });
  });

  it("reads receipts, webhook deliveries and held messages of its own account only", async () => {
    // Receipts: the sender's account, any of its names; never the recipient's or anyone else's.
    expect((await api(server, "GET", `/api/messages/${toBob}/status`, { key: alice.apiKey })).status).toBe(200);
    expect((await api(server, "GET", `/api/messages/${toBob}/status`, { key: helper.apiKey })).status).toBe(200);
    expect((await api(server, "GET", `/api/messages/${toBob}/status`, { key: bob.apiKey })).status).toBe(404);
    expect((await api(server, "GET", `/api/messages/${toAlice}/status`, { key: alice.apiKey })).status).toBe(404);

    // Held messages: bob asks for approval; only bob's account sees and decides them, another account gets 404.
    expect((await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "approval_required" } })).status).toBe(200);
    try {
      const held = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "held for bob" } });
      expect(held.status).toBe(202);
      const id = String(held.body["approvalId"]);
      const listed = (key: string) => api(server, "GET", "/api/approvals", { key }).then((res) => (res.body["approvals"] as Array<{ approvalId: string }>).map((a) => a.approvalId));
      expect(await listed(bob.apiKey)).toContain(id);
      expect(await listed(alice.apiKey)).not.toContain(id);
      for (const action of ["approve", "reject"]) {
        expect((await api(server, "POST", `/api/approvals/${id}/${action}`, { key: alice.apiKey })).status).toBe(404);
        expect((await api(server, "POST", `/api/approvals/${id}/${action}`, { key: helper.apiKey })).status).toBe(404);
      }
      expect((await api(server, "POST", `/api/approvals/${id}/reject`, { key: bob.apiKey })).status).toBe(200);
    } finally {
      await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "everyone" } });
    }

    // Webhook deliveries: the caller's name's own log; another account's names never show.
    const deliveries = await api(server, "GET", "/api/webhooks/deliveries", { key: alice.apiKey });
    expect(deliveries.status).toBe(200);
    expect(JSON.stringify(deliveries.body)).not.toContain("tell/bob");
  });
});
