// The dashboard's endpoints over real HTTP, signed in through a mailed link from a loopback SMTP peer: the view-only
// event stream, the account's audit log, the outbox with its receipts, the activity counted per day by the server,
// the inbox's message states, and the webhook test event delivered at once to a loopback receiver (signed; a 5xx and
// the private-address guard answered as outcomes). State changes without the session's CSRF token are refused, and so
// is every name of another account; the account-level calls refuse API keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature, WEBHOOK_HEADERS } from "../../../src/infra/index.js";
import { ActivityResponseSchema, OutboxResponseSchema, WebhookTestResponseSchema } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { startSmtpPeer, type SmtpPeer } from "../../helpers/smtp-peer.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";
import { startWebhookRecorder, type WebhookRecorder } from "../../helpers/webhook-recorder.js";

const SECRET = "a-webhook-secret-of-32-characters";

interface Session {
  readonly cookie: string;
  readonly csrf: string;
}

async function signIn(server: TestServer, smtp: SmtpPeer, email: string): Promise<Session> {
  expect((await api(server, "POST", "/api/auth/magic-link", { body: { email } })).status).toBe(200);
  const link = smtp.linkIn(await smtp.takeMail({ to: email }), "/api/auth/verify");
  const res = await fetch(`${server.url}/api/auth/verify`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
    body: new URLSearchParams({ token: link.searchParams.get("token") ?? "" }).toString(),
  });
  expect(res.status).toBe(303);
  const cookie = (res.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  const session = await api(server, "GET", "/api/auth/session", { headers: { cookie } });
  expect(session.status).toBe(200);
  return { cookie, csrf: String(session.body["csrf_token"]) };
}

describe("the dashboard's endpoints", () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let guarded: TestServer;
  let recorder: WebhookRecorder;
  let alice: CreatedName;
  let bob: CreatedName;
  let session: Session;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    recorder = await startWebhookRecorder();
    // The private-address guard is opened for the loopback receiver, as the webhook tests do.
    server = await startTestServer({ signup: { smtpUrl: smtp.url, rateLimit: { max: 0 } }, allowPrivateWebhooks: true, keepaliveMs: 1_000 });
    guarded = await startTestServer({});
    alice = await server.createName("alice", "alice@example.com");
    await server.createName("alice-desk", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    session = await signIn(server, smtp, "alice@example.com");
  });
  afterAll(async () => {
    await server?.close();
    await guarded?.close();
    await recorder?.close();
    await smtp?.close();
  });

  /** A call with alice's session; `csrf` adds its token, `name` chooses one of the account's names. */
  const asAlice = (method: string, path: string, options: { name?: string; csrf?: boolean; body?: unknown } = {}) =>
    api(server, method, path, {
      headers: {
        cookie: session.cookie,
        ...(options.name === undefined ? {} : { "x-clawtell-name": options.name }),
        ...(options.csrf === true ? { "x-csrf-token": session.csrf } : {}),
      },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
  const send = (from: CreatedName, to: string, subject: string) => api(server, "POST", "/api/messages/send", { key: from.apiKey, body: { to, subject, body: `${subject}.` } });

  it("streams a `changed` event when a message arrives for one of the account's names, and takes no message", async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/dashboard/events?timeout=30`, { headers: { cookie: session.cookie }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    let text = "";
    const readUntil = async (needle: string): Promise<void> => {
      for (let chunks = 0; chunks < 100 && !text.includes(needle); chunks++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    };
    try {
      await readUntil("event: connected");
      expect(text).toContain('"names":["alice","alice-desk"]');
      expect((await send(bob, "alice", "streamed")).status).toBe(200);
      await readUntil("event: changed");
      expect(text).toContain("event: changed");
      expect(text).not.toContain("streamed");
    } finally {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
    // The stream looked only: the agent's poll still gets the message.
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: alice.apiKey });
    expect((polled.body["messages"] as Array<{ subject: string }>).map((m) => m.subject)).toContain("streamed");
  });

  it("answers the account's audit log to its session, and refuses API keys on account-level calls", async () => {
    const audit = await asAlice("GET", "/api/dashboard/audit?limit=50");
    expect(audit.status).toBe(200);
    expect(Array.isArray(audit.body["entries"])).toBe(true);
    for (const path of ["/api/dashboard/audit", "/api/dashboard/activity", "/api/dashboard/events?timeout=1"]) {
      expect((await api(server, "GET", path, { key: alice.apiKey })).status).toBe(403);
      expect((await api(server, "GET", path)).status).toBe(401);
    }
    expect((await asAlice("GET", "/api/dashboard/audit?limit=0")).body).toMatchObject({ field: "limit" });
  });

  it("lists the outbox with each message's receipt: delivered, acked, blocked", async () => {
    const accepted = await send(alice, "bob", "first");
    const acked = await send(alice, "bob", "second");
    expect([accepted.status, acked.status]).toEqual([200, 200]);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    const second = (polled.body["messages"] as Array<{ id: string; subject: string }>).find((m) => m.subject === "second");
    expect((await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [second?.id] } })).status).toBe(200);
    expect((await api(server, "POST", "/api/delivery/blocklist", { key: bob.apiKey, body: { name: "alice" } })).status).toBe(200);
    expect((await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "everyone_except_blocklist" } })).status).toBe(200);
    const blocked = await send(alice, "bob", "third");
    expect(blocked.status).toBe(403);

    const outbox = await asAlice("GET", "/api/messages/outbox?limit=10", { name: "alice" });
    expect(outbox.status).toBe(200);
    const parsed = OutboxResponseSchema.parse(outbox.body);
    expect(parsed.name).toBe("alice");
    expect(parsed.messages.map((m) => [m.subject, m.status])).toEqual([
      [null, "blocked"],
      ["second", "acked"],
      ["first", "delivered"],
    ]);
    expect(parsed.messages[0]?.messageId).toBe(blocked.body["messageId"]);
    expect(parsed.messages[1]?.history.map((h) => h.status)).toEqual(["accepted", "delivered", "acked"]);
    // A key reads its own name's outbox too; bob's has only what bob sent.
    expect(OutboxResponseSchema.parse((await api(server, "GET", "/api/messages/outbox", { key: alice.apiKey })).body).messages).toHaveLength(3);
    const bobs = OutboxResponseSchema.parse((await api(server, "GET", "/api/messages/outbox", { key: bob.apiKey })).body).messages;
    expect(bobs.map((m) => [m.subject, m.to])).toEqual([["streamed", "tell/alice"]]);
  });

  it("refuses another account's name and a session that names none", async () => {
    const other = await asAlice("GET", "/api/messages/outbox", { name: "bob" });
    expect(other.status).toBe(403);
    expect(other.body["field"]).toBe("x-clawtell-name");
    expect((await asAlice("POST", "/api/webhooks/test", { name: "bob", csrf: true })).status).toBe(403);
    expect((await asAlice("GET", "/api/messages/outbox")).body).toMatchObject({ field: "x-clawtell-name" });
  });

  it("counts messages per day per name on the server, with the dead ends", async () => {
    const res = await asAlice("GET", "/api/dashboard/activity?days=7");
    expect(res.status).toBe(200);
    const activity = ActivityResponseSchema.parse(res.body);
    expect(activity.days).toHaveLength(7);
    expect(activity.days[6]).toBe(new Date().toISOString().slice(0, 10));
    const byName = new Map(activity.names.map((n) => [n.name, n]));
    expect([...byName.keys()]).toEqual(["alice", "alice-desk"]);
    // Today: "streamed" received; "first", "second" sent; "third" blocked.
    expect(byName.get("alice")?.received[6]).toBe(1);
    expect(byName.get("alice")?.sent[6]).toBe(2);
    expect(byName.get("alice")?.blocked[6]).toBe(1);
    expect(byName.get("alice-desk")?.received).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect((await asAlice("GET", "/api/dashboard/activity?days=31")).body).toMatchObject({ field: "days" });
  });

  it("shows each inbox message's state: unread, delivered, acked", async () => {
    expect((await send(alice, "bob", "unseen")).status).toBe(403); // still blocked
    expect((await api(server, "DELETE", "/api/delivery/blocklist/alice", { key: bob.apiKey })).status).toBe(200);
    expect((await send(alice, "bob", "unseen")).status).toBe(200);
    const inbox = await api(server, "GET", "/api/messages/inbox?limit=50", { key: bob.apiKey });
    const states = new Map((inbox.body["messages"] as Array<{ subject: string; state: string }>).map((m) => [m.subject, m.state]));
    expect(Object.fromEntries(states)).toEqual({ first: "delivered", second: "acked", unseen: "unread" });
  });

  it("sends a signed test event to the name's webhook at once, with the session's CSRF token only", async () => {
    const noUrl = await asAlice("POST", "/api/webhooks/test", { name: "alice", csrf: true });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body["field"]).toBe("webhook_url");
    const patched = await asAlice("PATCH", "/api/names/alice", { name: "alice", csrf: true, body: { webhook_url: recorder.url, webhook_secret: SECRET } });
    expect(patched.status).toBe(200);

    const refused = await asAlice("POST", "/api/webhooks/test", { name: "alice" });
    expect(refused.status).toBe(403);
    expect(refused.body["field"]).toBe("x-csrf-token");
    expect(recorder.deliveries).toHaveLength(0);

    const res = await asAlice("POST", "/api/webhooks/test", { name: "alice", csrf: true });
    expect(res.status).toBe(200);
    const outcome = WebhookTestResponseSchema.parse(res.body);
    expect(outcome).toMatchObject({ delivered: true, statusCode: 200, error: null, url: recorder.url });
    expect(recorder.deliveries).toHaveLength(1);
    const [delivery] = recorder.deliveries;
    expect(delivery?.body).toMatchObject({ event: "webhook.test", name: "alice", deliveryId: outcome.deliveryId, test: true });
    expect(delivery?.headers[WEBHOOK_HEADERS.event]).toBe("webhook.test");
    const signed = verifyWebhookSignature({
      secret: SECRET,
      timestamp: String(delivery?.headers[WEBHOOK_HEADERS.timestamp]),
      body: delivery?.raw ?? "",
      signature: String(delivery?.headers[WEBHOOK_HEADERS.signature]),
      nowMs: Date.now(),
    });
    expect(signed).toBe(true);

    // The receiver's error answer is the outcome, not retried; a key may ask too.
    recorder.answers.push(503);
    const failed = WebhookTestResponseSchema.parse((await api(server, "POST", "/api/webhooks/test", { key: alice.apiKey })).body);
    expect(failed).toMatchObject({ delivered: false, statusCode: 503 });
    expect(failed.error).toMatch(/HTTP 503/);
    expect(recorder.deliveries).toHaveLength(2);
  });

  it("answers the outgoing guard's refusal of a private address as the outcome", async () => {
    const carol = await guarded.createName("carol", "carol@example.com");
    expect((await api(guarded, "PATCH", "/api/names/carol", { key: carol.apiKey, body: { webhook_url: recorder.url } })).status).toBe(200);
    const before = recorder.deliveries.length;
    const res = await api(guarded, "POST", "/api/webhooks/test", { key: carol.apiKey });
    expect(res.status).toBe(200);
    const outcome = WebhookTestResponseSchema.parse(res.body);
    expect(outcome.delivered).toBe(false);
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/private|loopback|not allowed|refused/i);
    expect(recorder.deliveries).toHaveLength(before);
  });

  it("lists and counts the held messages of every name of the account, whichever of its names the page asks as", async () => {
    const policy = async (name: string, delivery_policy: string): Promise<void> => {
      expect((await asAlice("PATCH", `/api/names/${name}`, { name, csrf: true, body: { delivery_policy } })).status).toBe(200);
    };
    await policy("alice", "approval_required");
    await policy("alice-desk", "approval_required");
    try {
      expect((await send(bob, "alice", "held for alice")).status).toBe(202);
      expect((await send(bob, "alice-desk", "held for the desk")).status).toBe(202);
      for (const name of ["alice", "alice-desk"]) {
        const held = await asAlice("GET", "/api/approvals?limit=100", { name });
        expect(held.status).toBe(200);
        expect(held.body["count"], name).toBe(2);
        expect((held.body["approvals"] as Array<{ to_name: string; subject: string }>).map((h) => [h.to_name, h.subject])).toEqual([
          ["alice", "held for alice"],
          ["alice-desk", "held for the desk"],
        ]);
      }
    } finally {
      await policy("alice", "everyone");
      await policy("alice-desk", "everyone");
    }
  });

  it("counts every held message for the badge, past the hundred a page lists", async () => {
    expect((await asAlice("PATCH", "/api/names/alice", { name: "alice", csrf: true, body: { delivery_policy: "approval_required" } })).status).toBe(200);
    try {
      const waiting = (await asAlice("GET", "/api/approvals?limit=1", { name: "alice" })).body["total"];
      const before = typeof waiting === "number" ? waiting : 0;
      for (let n = 1; n <= 105; n++) expect((await send(bob, "alice", `held ${n}`)).status).toBe(202);
      const page = await asAlice("GET", "/api/approvals?limit=100", { name: "alice" });
      expect(page.status).toBe(200);
      expect(page.body["count"]).toBe(100);
      expect(page.body["total"]).toBe(before + 105);
      // The badge asks for the count alone.
      const badge = await asAlice("GET", "/api/approvals?limit=1", { name: "alice-desk" });
      expect([badge.body["count"], badge.body["total"]]).toEqual([1, before + 105]);
    } finally {
      expect((await asAlice("PATCH", "/api/names/alice", { name: "alice", csrf: true, body: { delivery_policy: "everyone" } })).status).toBe(200);
    }
  });
});
