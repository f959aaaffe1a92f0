import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("names, lists and policies", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let carol: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    carol = await server.createName("carol", "carol@example.com");
  });
  afterEach(async () => server.close());

  const send = (key: string, to: string) => api(server, "POST", "/api/messages/send", { key, body: { to, body: "hi" } });
  const patch = (key: string, name: string, body: Record<string, unknown>) => api(server, "PATCH", `/api/names/${name}`, { key, body });
  const latestEligibility = async (key: string): Promise<unknown> => {
    const res = await api(server, "GET", "/api/messages/poll?timeout=0", { key });
    const messages = res.body["messages"] as Array<Record<string, unknown>>;
    await api(server, "POST", "/api/messages/ack", { key, body: { messageIds: messages.map((m) => m["id"]) } });
    return messages.at(-1)?.["autoReplyEligible"];
  };

  it("GET /api/me describes the key's name and account", async () => {
    await send(alice.apiKey, "bob");
    const me = await api(server, "GET", "/api/me", { key: bob.apiKey });
    expect(me.body).toMatchObject({
      name: "bob",
      fullName: "tell/bob",
      email: "bob@example.com",
      accountId: bob.accountId,
      names: ["bob"],
      communicationMode: "allowlist_only",
      deliveryPolicy: "everyone",
      webhookUrl: null,
      // A date the SDKs' checkExpiry() reads as "valid": names never expire here.
      expiresAt: "9999-12-31T23:59:59.000Z",
      stats: { totalMessages: 1, unreadMessages: 1, allowlistCount: 0 },
    });
  });

  it("looks names up publicly and checks availability", async () => {
    expect((await api(server, "GET", "/api/names/tell%2Falice")).body).toEqual({
      name: "alice",
      fullName: "tell/alice",
      registered: true,
      communicationMode: "allowlist_only",
    });
    expect((await api(server, "GET", "/api/names/nobody")).status).toBe(404);
    expect((await api(server, "GET", "/api/names/check?name=alice")).body).toMatchObject({ available: false });
    expect((await api(server, "GET", "/api/names/check?name=tell/fresh-name")).body).toMatchObject({ available: true });
    expect((await api(server, "GET", "/api/names/check?name=admin")).body).toMatchObject({ available: false, reason: "reserved" });
    expect((await api(server, "GET", "/api/pricing?name=fresh")).body).toMatchObject({ name: "fresh", available: true, price: 0 });
    expect((await api(server, "GET", "/api/names/check")).body).toMatchObject({ code: "CT_BAD_REQUEST", field: "name" });
  });

  it("updates a name's settings and refuses names of other accounts", async () => {
    const res = await patch(bob.apiKey, "bob", {
      communication_mode: "anyone",
      delivery_policy: "allowlist_only",
      webhook_url: "https://example.com/hook",
      webhook_secret: "0123456789abcdef",
    });
    expect(res.body).toEqual({
      success: true,
      name: "bob",
      webhook_url: "https://example.com/hook",
      communication_mode: "anyone",
      delivery_policy: "allowlist_only",
      webhook_events: ["message.received"],
    });
    expect((await patch(bob.apiKey, "alice", { communication_mode: "anyone" })).status).toBe(403);
    const bad = await patch(bob.apiKey, "bob", { communication_mode: "sometimes" });
    expect(bad.status).toBe(400);
    expect(bad.body["field"]).toBe("communication_mode");
    expect((await patch(bob.apiKey, "bob", { webhook_secret: "short" })).body["field"]).toBe("webhook_secret");
    expect((await patch(bob.apiKey, "bob", { surprise: true })).status).toBe(400);
    expect((await patch(bob.apiKey, "bob", { webhook_events: ["message.read"] })).body["field"]).toBe("webhook_events.0");
  });

  it('clears the webhook with "" as the Python SDK sends it, as with null', async () => {
    const set = { webhook_url: "https://example.com/hook", webhook_secret: "0123456789abcdef" };
    expect((await patch(bob.apiKey, "bob", set)).body["webhook_url"]).toBe("https://example.com/hook");
    const cleared = await patch(bob.apiKey, "bob", { webhook_url: "", webhook_secret: "" });
    expect(cleared.status).toBe(200);
    expect(cleared.body["webhook_url"]).toBeNull();
    expect((await api(server, "GET", "/api/me", { key: bob.apiKey })).body["webhookUrl"]).toBeNull();
    const stored = await server.storage.directory.findNameByName("bob");
    expect([stored?.webhookUrl, stored?.webhookSecret]).toEqual([null, null]);

    await patch(bob.apiKey, "bob", set);
    expect((await patch(bob.apiKey, "bob", { webhook_url: null })).body["webhook_url"]).toBeNull();
    // Anything else that is not an http(s) URL, or a short secret, is still refused, naming the field.
    for (const [body, field] of [
      [{ webhook_url: "ftp://example.com" }, "webhook_url"],
      [{ webhook_url: " " }, "webhook_url"],
      [{ webhook_secret: "short" }, "webhook_secret"],
    ] as const) {
      const bad = await patch(bob.apiKey, "bob", body);
      expect(bad.status).toBe(400);
      expect(bad.body["field"]).toBe(field);
    }
  });

  describe("communication_mode stamps autoReplyEligible", () => {
    it("allowlist_only (the default) allows only senders on the auto-reply allowlist", async () => {
      await send(alice.apiKey, "bob");
      expect(await latestEligibility(bob.apiKey)).toBe(false);
      const added = await api(server, "POST", "/api/allowlist", { key: bob.apiKey, body: { name: "tell/Alice" } });
      expect(added.body).toMatchObject({ success: true, entry: { allowed_name: "alice" } });
      await send(alice.apiKey, "bob");
      expect(await latestEligibility(bob.apiKey)).toBe(true);
      await send(carol.apiKey, "bob");
      expect(await latestEligibility(bob.apiKey)).toBe(false);
    });

    it("anyone allows everybody and manual_only nobody", async () => {
      await api(server, "POST", "/api/allowlist", { key: bob.apiKey, body: { name: "alice" } });
      await patch(bob.apiKey, "bob", { communication_mode: "anyone" });
      await send(carol.apiKey, "bob");
      expect(await latestEligibility(bob.apiKey)).toBe(true);
      await patch(bob.apiKey, "bob", { communication_mode: "manual_only" });
      await send(alice.apiKey, "bob");
      expect(await latestEligibility(bob.apiKey)).toBe(false);
    });
  });

  it("manages the auto-reply allowlist", async () => {
    await api(server, "POST", "/api/allowlist", { key: bob.apiKey, body: { name: "alice" } });
    await api(server, "POST", "/api/allowlist", { key: bob.apiKey, body: { name: "alice" } });
    const listed = await api(server, "GET", "/api/allowlist", { key: bob.apiKey });
    expect(listed.body["allowlist"]).toMatchObject([{ allowed_name: "alice" }]);
    expect((await api(server, "DELETE", "/api/allowlist/alice", { key: bob.apiKey })).body).toEqual({ success: true, removed: true });
    expect((await api(server, "GET", "/api/allowlist", { key: bob.apiKey })).body).toEqual({ allowlist: [] });
    expect((await api(server, "POST", "/api/allowlist", { key: bob.apiKey, body: {} })).body["field"]).toBe("name");
  });

  describe("delivery_policy is enforced on send", () => {
    it("everyone accepts all senders", async () => {
      expect((await send(carol.apiKey, "bob")).status).toBe(200);
    });

    it("everyone_except_blocklist refuses blocked senders with 403 and stores nothing", async () => {
      await patch(bob.apiKey, "bob", { delivery_policy: "everyone_except_blocklist" });
      const blocked = await api(server, "POST", "/api/delivery/blocklist", { key: bob.apiKey, body: { name: "carol" } });
      expect(blocked.body).toMatchObject({ success: true, entry: { name: "carol" } });
      const refused = await send(carol.apiKey, "bob");
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: "CT_FORBIDDEN" });
      expect((await send(alice.apiKey, "bob")).status).toBe(200);
      const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect((polled.body["messages"] as Array<{ from: string }>).map((m) => m.from)).toEqual(["tell/alice"]);
      await api(server, "DELETE", "/api/delivery/blocklist/carol", { key: bob.apiKey });
      expect((await send(carol.apiKey, "bob")).status).toBe(200);
    });

    it("allowlist_only accepts only senders on the delivery allowlist", async () => {
      await patch(bob.apiKey, "bob", { delivery_policy: "allowlist_only" });
      await api(server, "POST", "/api/delivery/allowlist", { key: bob.apiKey, body: { name: "alice" } });
      expect((await send(alice.apiKey, "bob")).status).toBe(200);
      const refused = await send(carol.apiKey, "bob");
      expect(refused.status).toBe(403);
      expect(refused.body["error"]).toBe("Sender not on recipient's allowlist");
      expect((await api(server, "GET", "/api/delivery/allowlist", { key: bob.apiKey })).body["allowlist"]).toMatchObject([{ name: "alice" }]);
    });
  });
});
