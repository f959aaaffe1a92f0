import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("messages API", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    server = await startTestServer({ visibilityTimeoutMs: 300 });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  const send = (key: string, body: Record<string, unknown>) => api(server, "POST", "/api/messages/send", { key, body });

  describe("send", () => {
    it("answers with the message id, time and the tell/ form of the recipient", async () => {
      const res = await send(alice.apiKey, { to: "tell/Bob", body: "hi", subject: "Greeting" });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, to: "tell/bob" });
      expect(typeof res.body["messageId"]).toBe("string");
      expect(new Date(String(res.body["sentAt"])).toString()).not.toBe("Invalid Date");
    });

    it("delivers the message object with every field the clients read", async () => {
      const sent = await send(alice.apiKey, { to: "bob", body: "hello" });
      const polled = await api(server, "GET", "/api/messages/poll?timeout=1", { key: bob.apiKey });
      expect(polled.body["messages"]).toEqual([
        {
          id: sent.body["messageId"],
          from: "tell/alice",
          to_name: "bob",
          subject: "Message",
          body: "hello",
          createdAt: sent.body["sentAt"],
          threadId: sent.body["messageId"],
          replyToMessageId: null,
          autoReplyEligible: false,
          attachments: [],
        },
      ]);
    });

    it("links a reply to the original message and its thread", async () => {
      const first = await send(alice.apiKey, { to: "bob", body: "question" });
      const reply = await send(bob.apiKey, { to: "alice", body: "answer", replyTo: first.body["messageId"] });
      const polled = await api(server, "GET", "/api/messages/poll?timeout=1", { key: alice.apiKey });
      const [message] = polled.body["messages"] as Array<Record<string, unknown>>;
      expect(message).toMatchObject({ id: reply.body["messageId"], replyToMessageId: first.body["messageId"], threadId: first.body["messageId"] });
    });

    it("answers 404 for an unknown recipient and stores nothing", async () => {
      const res = await send(alice.apiKey, { to: "nobody", body: "hi" });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: "Recipient not found", code: "CT_NOT_FOUND" });
    });

    it("answers 400 naming the field for bad input", async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ body: "hi" }, "to"],
        [{ to: "bob" }, "body"],
        [{ to: "bob", body: "" }, "body"],
        [{ to: "Bad Name!", body: "x" }, "to"],
        [{ to: "bob", body: 42 }, "body"],
        [{ to: "bob", body: "x", subject: "s".repeat(201) }, "subject"],
      ];
      for (const [body, field] of cases) {
        const res = await send(alice.apiKey, body);
        expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
        expect(res.body).toMatchObject({ code: "CT_BAD_REQUEST", field });
      }
    });

    it("answers 413 naming the body for a message text past 50 000 characters, and stores nothing", async () => {
      expect((await send(alice.apiKey, { to: "bob", body: "x".repeat(50_000), subject: "s".repeat(200) })).status).toBe(200);
      const res = await send(alice.apiKey, { to: "bob", body: "x".repeat(50_001) });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ statusCode: 413, code: "CT_PAYLOAD_TOO_LARGE", field: "body", error: "body: must be at most 50000 characters" });
      const subject = await send(alice.apiKey, { to: "bob", body: "x", subject: "s".repeat(201) });
      expect(subject.body).toMatchObject({ statusCode: 400, code: "CT_BAD_REQUEST", field: "subject", error: "subject: must be at most 200 characters" });
      const inbox = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
      expect((inbox.body["messages"] as unknown[]).length).toBe(1);
    });

    it("answers 400 for malformed JSON, 415 naming the body for a form, and 401 without a key", async () => {
      const malformed = await fetch(`${server.url}/api/messages/send`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${alice.apiKey}` },
        body: "{not json",
      });
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as Record<string, unknown>)["error"]).toMatch(/malformed JSON/);
      const form = await fetch(`${server.url}/api/messages/send`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${alice.apiKey}` },
        body: "to=bob&body=x",
      });
      expect(form.status).toBe(415);
      expect(await form.json()).toMatchObject({ code: "CT_BAD_REQUEST", field: "body", error: "body: send JSON with Content-Type: application/json" });
      expect((await send("", { to: "bob", body: "x" })).status).toBe(401);
      expect((await send("claw_00000000_wrongwrongwrongwrong", { to: "bob", body: "x" })).status).toBe(401);
      expect((await send("garbage", { to: "bob", body: "x" })).body).toMatchObject({ error: "Invalid API key", code: "CT_AUTH_FAILED" });
    });
  });

  describe("poll", () => {
    it("returns at once when messages wait, oldest first, at most limit", async () => {
      for (const n of [1, 2, 3]) await send(alice.apiKey, { to: "bob", body: `m${n}` });
      const res = await api(server, "GET", "/api/messages/poll?timeout=30&limit=2", { key: bob.apiKey });
      expect((res.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["m1", "m2"]);
      expect(res.body).toMatchObject({ count: 2, timeout: 30 });
      expect(res.body["waitedMs"]).toBeLessThan(1000);
    });

    it("holds an empty poll until a message arrives", async () => {
      const polling = api(server, "GET", "/api/messages/poll?timeout=10", { key: bob.apiKey });
      await new Promise((r) => setTimeout(r, 100));
      await send(alice.apiKey, { to: "bob", body: "wake up" });
      const res = await polling;
      expect((res.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["wake up"]);
      expect(res.body["waitedMs"]).toBeLessThan(5000);
    });

    it("returns an empty list at the timeout", async () => {
      const res = await api(server, "GET", "/api/messages/poll?timeout=1", { key: bob.apiKey });
      expect(res.body).toMatchObject({ messages: [], count: 0, timeout: 1 });
      expect(res.body["waitedMs"]).toBeGreaterThanOrEqual(900);
    });

    it("clamps out-of-range timeout and limit instead of failing", async () => {
      const res = await api(server, "GET", "/api/messages/poll?timeout=0&limit=1000", { key: bob.apiKey });
      expect(res.status).toBe(200);
      expect(res.body["timeout"]).toBe(0);
      const bad = await api(server, "GET", "/api/messages/poll?timeout=soon", { key: bob.apiKey });
      expect(bad.status).toBe(400);
      expect(bad.body["field"]).toBe("timeout");
    });

    it("hides a handed-out message until the visibility timeout, then delivers it again", async () => {
      await send(alice.apiKey, { to: "bob", body: "at least once" });
      const first = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect(first.body["count"]).toBe(1);
      const hidden = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect(hidden.body["count"]).toBe(0);
      const again = await api(server, "GET", "/api/messages/poll?timeout=5", { key: bob.apiKey });
      expect((again.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["at least once"]);
      expect(again.body["waitedMs"]).toBeLessThan(2000);
    });

    it("leases nothing to a poll whose client went away, and frees its waiter", async () => {
      const gone = new AbortController();
      const polling = fetch(`${server.url}/api/messages/poll?timeout=30`, {
        headers: { authorization: `Bearer ${bob.apiKey}` },
        signal: gone.signal,
      }).catch((err: unknown) => err);
      await expect.poll(async () => (await api(server, "GET", "/health")).body["waiting"]).toBe(1);
      gone.abort();
      await polling;
      await expect.poll(async () => (await api(server, "GET", "/health")).body["waiting"]).toBe(0);
      await send(alice.apiKey, { to: "bob", body: "for whoever polls next" });
      const next = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect((next.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["for whoever polls next"]);
    });

    it("never returns an acked message again", async () => {
      const sent = await send(alice.apiKey, { to: "bob", body: "once" });
      await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [sent.body["messageId"]] } });
      await new Promise((r) => setTimeout(r, 400));
      const res = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect(res.body["count"]).toBe(0);
    });
  });

  describe("poll-account", () => {
    it("returns the messages of every name of the account, each with its to_name", async () => {
      const helper = await server.createName("helper", "bob@example.com");
      await send(alice.apiKey, { to: "bob", body: "for bob" });
      await send(alice.apiKey, { to: "helper", body: "for helper" });
      const res = await api(server, "GET", "/api/messages/poll-account?limit=50&timeout=5", { key: helper.apiKey });
      const messages = res.body["messages"] as Array<{ body: string; to_name: string }>;
      expect(messages.map((m) => [m.to_name, m.body])).toEqual([
        ["bob", "for bob"],
        ["helper", "for helper"],
      ]);
    });

    it("wakes an idle account poll when any of its names gets a message", async () => {
      await server.createName("helper", "bob@example.com");
      const polling = api(server, "GET", "/api/messages/poll-account?timeout=10", { key: bob.apiKey });
      await new Promise((r) => setTimeout(r, 100));
      await send(alice.apiKey, { to: "helper", body: "hey helper" });
      const res = await polling;
      expect(res.body["messages"]).toMatchObject([{ to_name: "helper", body: "hey helper" }]);
    });
  });

  describe("ack", () => {
    it("is idempotent and ignores ids of other accounts", async () => {
      const toBob = await send(alice.apiKey, { to: "bob", body: "x" });
      const toAlice = await send(bob.apiKey, { to: "alice", body: "y" });
      const ids = [toBob.body["messageId"], toAlice.body["messageId"], "no-such-id"];
      expect((await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: ids } })).body).toEqual({ success: true, acked: 1 });
      expect((await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: ids } })).body).toEqual({ success: true, acked: 1 });
      const aliceStill = await api(server, "GET", "/api/messages/poll?timeout=0", { key: alice.apiKey });
      expect(aliceStill.body["count"]).toBe(1);
    });

    it("answers /v1/ack with the acked ids and 400 on a malformed body", async () => {
      const sent = await send(alice.apiKey, { to: "bob", body: "x" });
      const res = await api(server, "POST", "/v1/ack", { key: bob.apiKey, body: { messageIds: [sent.body["messageId"]] } });
      expect(res.body).toEqual({ success: true, acked: [sent.body["messageId"]] });
      const bad = await api(server, "POST", "/v1/ack", { key: bob.apiKey, body: { ids: [] } });
      expect(bad.status).toBe(400);
      expect(bad.body["field"]).toBe("messageIds");
    });
  });

  describe("inbox", () => {
    it("lists messages with their read flag and marks one read", async () => {
      const sent = await send(alice.apiKey, { to: "bob", body: "inbox me" });
      const before = await api(server, "GET", "/api/messages/inbox?unread=true&limit=50", { key: bob.apiKey });
      expect(before.body).toMatchObject({ unreadCount: 1, limit: 50, offset: 0, messages: [{ body: "inbox me", read: false }] });
      const read = await api(server, "POST", `/api/messages/${String(sent.body["messageId"])}/read`, { key: bob.apiKey });
      expect(read.body).toEqual({ success: true });
      const after = await api(server, "GET", "/api/messages/inbox?unread=true", { key: bob.apiKey });
      expect(after.body).toMatchObject({ unreadCount: 0, messages: [] });
      const all = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
      expect(all.body["messages"]).toMatchObject([{ read: true }]);
      const foreign = await api(server, "POST", `/api/messages/${String(sent.body["messageId"])}/read`, { key: alice.apiKey });
      expect(foreign.status).toBe(404);
    });
    it("counts an acked message as read: it leaves the unread inbox and the unread counts", async () => {
      const acked = await send(alice.apiKey, { to: "bob", body: "acked one" });
      await send(alice.apiKey, { to: "bob", body: "still unread" });
      await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [acked.body["messageId"]] } });
      const unread = await api(server, "GET", "/api/messages/inbox?unread=true", { key: bob.apiKey });
      expect(unread.body).toMatchObject({ unreadCount: 1, messages: [{ body: "still unread", read: false }] });
      expect((unread.body["messages"] as unknown[]).length).toBe(1);
      const all = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
      expect(all.body["messages"]).toMatchObject([{ body: "acked one", read: true }, { body: "still unread", read: false }]);
      const me = await api(server, "GET", "/api/me", { key: bob.apiKey });
      expect(me.body["stats"]).toMatchObject({ totalMessages: 2, unreadMessages: 1 });
    });
  });

  it("accepts Content-Type: application/json with an empty body on GET, DELETE and POST", async () => {
    const get = await fetch(`${server.url}/api/me`, { headers: { "content-type": "application/json", authorization: `Bearer ${bob.apiKey}` } });
    expect(get.status).toBe(200);
    const del = await fetch(`${server.url}/api/allowlist/alice`, {
      method: "DELETE",
      headers: { "content-type": "application/json", authorization: `Bearer ${bob.apiKey}` },
    });
    expect(del.status).toBe(200);
    const post = await fetch(`${server.url}/api/messages/ack`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bob.apiKey}` },
    });
    expect(post.status).toBe(400);
    expect(((await post.json()) as Record<string, unknown>)["field"]).toBe("messageIds");
    // A POST that takes no body at all succeeds with the JSON content type and nothing sent.
    const sent = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "x" } });
    const read = await fetch(`${server.url}/api/messages/${String(sent.body["messageId"])}/read`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bob.apiKey}` },
    });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ success: true });
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await api(server, "GET", "/api/nothing-here", { key: bob.apiKey });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: "CT_NOT_FOUND" });
  });

  it("answers an undecodable URL with a JSON 400 in the usual error shape", async () => {
    const res = await api(server, "GET", "/api/names/%E0%A4%A", { key: bob.apiKey });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "url" });
    expect(typeof res.body["error"]).toBe("string");
  });
});
