// Sender receipts over real HTTP, on the backend the suite runs on: every state a message can reach, each with its
// time, readable by the sending account only.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { MessageStatusResponseSchema, type MessageStatusResponse } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { newMessageId } from "../../../src/server/message-ids.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

/** Ahead of the real time the test names are created at (a name must be older than the messages it sent). */
const START = Math.ceil(Date.now() / 1000) * 1000 + 60 * 60 * 1000;
const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

describe("sender receipts", () => {
  const clock = createManualClock(START);
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    await clock.set(START);
    server = await startTestServer({ clock, retentionIntervalMs: 20 });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  const send = async (body: string): Promise<string> => {
    const res = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body } });
    expect(res.status).toBe(200);
    return String(res.body["messageId"]);
  };
  const statusOf = async (id: string, key = alice.apiKey): Promise<{ status: number; body: Record<string, unknown> }> =>
    api(server, "GET", `/api/messages/${id}/status`, { key });
  const receipt = async (id: string): Promise<MessageStatusResponse> => {
    const res = await statusOf(id);
    expect(res.status).toBe(200);
    return MessageStatusResponseSchema.parse(res.body);
  };

  it("goes accepted → delivered → acked, each state with its time", async () => {
    const id = await send("track me");
    expect(await receipt(id)).toEqual({
      messageId: id,
      from: "tell/alice",
      to: "tell/bob",
      status: "accepted",
      updatedAt: iso(START),
      history: [{ status: "accepted", at: iso(START) }],
    });

    await clock.advance(2 * SECOND);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((polled.body["messages"] as unknown[]).length).toBe(1);
    expect(await receipt(id)).toMatchObject({ status: "delivered", updatedAt: iso(START + 2 * SECOND) });

    // Handed out again after its lease: the first delivery's time stays.
    await clock.advance(120 * SECOND);
    await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    await clock.advance(3 * SECOND);
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [id] } });
    expect(await receipt(id)).toMatchObject({
      status: "acked",
      updatedAt: iso(START + 125 * SECOND),
      history: [
        { status: "accepted", at: iso(START) },
        { status: "delivered", at: iso(START + 2 * SECOND) },
        { status: "acked", at: iso(START + 125 * SECOND) },
      ],
    });
  });

  it("keeps the receipt after retention deletes the message: acked stays acked, unacked becomes expired after 14 days", async () => {
    const acked = await send("acked, then purged");
    const unacked = await send("never picked up");
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [acked] } });

    await clock.advance(2 * HOUR);
    await expect.poll(async () => (await server.storage.messages.find(acked)) === undefined).toBe(true);
    expect(await receipt(acked)).toMatchObject({ status: "acked", updatedAt: iso(START) });
    expect((await receipt(unacked)).status).toBe("accepted");

    await clock.advance(14 * DAY);
    await expect.poll(async () => (await server.storage.messages.find(unacked)) === undefined).toBe(true);
    expect(await receipt(unacked)).toEqual({
      messageId: unacked,
      from: "tell/alice",
      to: "tell/bob",
      status: "expired",
      updatedAt: iso(START + 14 * DAY),
      history: [
        { status: "accepted", at: iso(START) },
        { status: "expired", at: iso(START + 14 * DAY) },
      ],
    });
  });

  it("answers 404 to every account but the sender's, and to unknown ids", async () => {
    const id = await send("private");
    const carol = await server.createName("carol", "carol@example.com");
    // Another name of alice's account reads it; the recipient and strangers do not learn it exists.
    const alice2 = await server.createName("alice-two", "alice@example.com");
    expect((await statusOf(id, alice2.apiKey)).status).toBe(200);
    for (const key of [bob.apiKey, carol.apiKey]) {
      const res = await statusOf(id, key);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: "CT_NOT_FOUND", error: "Message not found" });
    }
    expect((await statusOf(newMessageId())).status).toBe(404);
    expect((await api(server, "GET", `/api/messages/${id}/status`)).status).toBe(401);
  });

  it("answers a send the recipient's policy refuses with a 403 that names a blocked receipt", async () => {
    await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "allowlist_only" } });
    const res = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "let me in" } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: "CT_FORBIDDEN", error: "Sender not on recipient's allowlist" });
    const id = String(res.body["messageId"]);
    expect(await receipt(id)).toEqual({
      messageId: id,
      from: "tell/alice",
      to: "tell/bob",
      status: "blocked",
      updatedAt: iso(START),
      history: [{ status: "blocked", at: iso(START) }],
    });
    // Nothing was stored for bob.
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect(polled.body["messages"]).toEqual([]);
  });

  it("shows pending_approval and rejected as the approval queue records them, and goes on from accepted once approved", async () => {
    // What the approval queue does: record pending_approval when it holds a send, then rejected, or store the message.
    const rejected = newMessageId();
    await server.storage.receipts.record({ messageId: rejected, sender: "alice", recipient: "bob", state: "pending_approval", at: START });
    expect(await receipt(rejected)).toMatchObject({ status: "pending_approval", updatedAt: iso(START) });
    await server.storage.receipts.record({ messageId: rejected, sender: "alice", recipient: "bob", state: "rejected", at: START + HOUR });
    expect(await receipt(rejected)).toMatchObject({
      status: "rejected",
      history: [
        { status: "pending_approval", at: iso(START) },
        { status: "rejected", at: iso(START + HOUR) },
      ],
    });

    const bobId = (await server.storage.directory.findNameByName("bob"))?.id ?? -1;
    const approved = newMessageId();
    await server.storage.receipts.record({ messageId: approved, sender: "alice", recipient: "bob", state: "pending_approval", at: START });
    await server.storage.messages.insert([
      {
        id: approved,
        recipientId: bobId,
        recipient: "bob",
        sender: "alice",
        subject: "Message",
        body: "approved",
        threadId: approved,
        replyTo: null,
        autoReplyEligible: false,
        createdAt: START + 2 * HOUR,
        attachments: [],
      },
    ]);
    expect(await receipt(approved)).toMatchObject({
      status: "accepted",
      history: [
        { status: "pending_approval", at: iso(START) },
        { status: "accepted", at: iso(START + 2 * HOUR) },
      ],
    });
  });
});
