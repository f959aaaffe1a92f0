// The approval queue over real HTTP: a send to a name with delivery policy approval_required is held (202, as the SDKs
// read it), is not pollable while held, and is delivered when its recipient's account approves (a parked long poll
// wakes); a rejection or an expiry tells the sender's owner with a notice; another account's ids are 404s; decisions
// are audited; held messages survive a restart.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient } from "../../../src/client/index.js";
import { createManualClock } from "../../../src/infra/index.js";
import { purgeExpired, type CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

type Json = Record<string, unknown>;

const send = (server: TestServer, key: string, body: Json) => api(server, "POST", "/api/messages/send", { key, body });
const poll = (server: TestServer, key: string, timeout = 0) => api(server, "GET", `/api/messages/poll?timeout=${timeout}`, { key });
const messagesOf = (res: { body: Json }): Json[] => res.body["messages"] as Json[];
const heldOf = (res: { body: Json }): Json[] => res.body["approvals"] as Json[];

async function requireApproval(server: TestServer, owner: CreatedName, name: string): Promise<void> {
  const res = await api(server, "PATCH", `/api/names/${name}`, { key: owner.apiKey, body: { delivery_policy: "approval_required" } });
  expect(res.status).toBe(200);
  expect(res.body["delivery_policy"]).toBe("approval_required");
}

describe("approval queue", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let bobHelper: CreatedName;
  let carol: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    bobHelper = await server.createName("bob-helper", "bob@example.com");
    carol = await server.createName("carol", "carol@example.com");
    await requireApproval(server, bob, "bob");
  });
  afterEach(async () => server.close());

  it("holds a send with 202 and the body the SDKs read: status pending_approval, no messageId", async () => {
    const res = await send(server, alice.apiKey, { to: "tell/bob", body: "may I?", subject: "Intro" });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body).sort()).toEqual(["approvalId", "expiresAt", "receiptId", "sentAt", "status", "success", "to"]);
    expect(res.body).toMatchObject({ success: true, status: "pending_approval", to: "tell/bob", approvalId: expect.stringMatching(/^apr_[A-Za-z0-9_-]+$/) as unknown });
    expect(res.body["messageId"]).toBeUndefined();
    // The 7-day expiry, counted from the send.
    expect(Date.parse(String(res.body["expiresAt"])) - Date.parse(String(res.body["sentAt"]))).toBe(7 * 24 * 60 * 60 * 1000);
    // The JS SDK spreads the body and sets status; Python sets data["status"]: both need a JSON object. Our client:
    const client = createClawTellClient({ baseUrl: server.url, apiKey: alice.apiKey });
    const sent = await client.send({ to: "bob", body: "again" });
    expect(sent).toMatchObject({ status: "pending_approval", to: "tell/bob" });
    expect(sent.messageId).toBeUndefined();
  });

  it("tells the sender by receipt: pending_approval while held, then accepted once approved or rejected once refused", async () => {
    const statusOf = async (id: unknown) => (await api(server, "GET", `/api/messages/${String(id)}/status`, { key: alice.apiKey })).body["status"];
    const first = await send(server, alice.apiKey, { to: "bob", body: "one" });
    const second = await send(server, alice.apiKey, { to: "bob", body: "two" });
    expect(await statusOf(first.body["receiptId"])).toBe("pending_approval");
    expect(await statusOf(second.body["receiptId"])).toBe("pending_approval");
    // Only the sender's account reads a receipt.
    expect((await api(server, "GET", `/api/messages/${String(first.body["receiptId"])}/status`, { key: carol.apiKey })).status).toBe(404);

    const approved = await api(server, "POST", `/api/approvals/${String(first.body["approvalId"])}/approve`, { key: bob.apiKey });
    expect(approved.body["messageId"]).toBe(first.body["receiptId"]);
    expect(await statusOf(first.body["receiptId"])).toBe("accepted");
    expect((await api(server, "POST", `/api/approvals/${String(second.body["approvalId"])}/reject`, { key: bob.apiKey })).status).toBe(200);
    expect(await statusOf(second.body["receiptId"])).toBe("rejected");
  });

  it("keeps a held message from the recipient's polls, inbox and stream until it is approved", async () => {
    const held = await send(server, alice.apiKey, { to: "bob", body: "held" });
    expect(held.status).toBe(202);
    expect(messagesOf(await poll(server, bob.apiKey))).toEqual([]);
    expect(messagesOf(await api(server, "GET", "/api/messages/poll-account?timeout=0", { key: bobHelper.apiKey }))).toEqual([]);
    expect(messagesOf(await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey }))).toEqual([]);
    expect((await api(server, "GET", "/api/me", { key: bob.apiKey })).body["stats"]).toMatchObject({ totalMessages: 0, unreadMessages: 0 });
    const listed = heldOf(await api(server, "GET", "/api/approvals", { key: bob.apiKey }));
    expect(listed).toEqual([
      {
        approvalId: held.body["approvalId"],
        from: "tell/alice",
        to_name: "bob",
        subject: "Message",
        body: "held",
        threadId: expect.any(String) as unknown,
        replyToMessageId: null,
        createdAt: held.body["sentAt"],
        expiresAt: held.body["expiresAt"],
        attachments: [],
      },
    ]);
  });

  it("delivers an approved message as a normal message, waking a parked long poll", async () => {
    const held = await send(server, alice.apiKey, { to: "bob", body: "please deliver", subject: "Hello" });
    const parked = poll(server, bob.apiKey, 20);
    await expect.poll(async () => (await api(server, "GET", "/health")).body["waiting"]).toBeGreaterThanOrEqual(1);
    const approved = await api(server, "POST", `/api/approvals/${String(held.body["approvalId"])}/approve`, { key: bob.apiKey });
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual({ success: true, approvalId: held.body["approvalId"], status: "approved", messageId: expect.any(String) as unknown });
    const woken = await parked;
    expect(messagesOf(woken)).toEqual([
      {
        id: approved.body["messageId"],
        from: "tell/alice",
        to_name: "bob",
        subject: "Hello",
        body: "please deliver",
        createdAt: held.body["sentAt"],
        threadId: approved.body["messageId"],
        replyToMessageId: null,
        autoReplyEligible: false,
        attachments: [],
      },
    ]);
    expect(Number(woken.body["waitedMs"])).toBeLessThan(20_000);
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: bob.apiKey }))).toEqual([]);
    // Approving again answers the same; rejecting now is a conflict.
    expect((await api(server, "POST", `/api/approvals/${String(held.body["approvalId"])}/approve`, { key: bob.apiKey })).body).toEqual(approved.body);
    const late = await api(server, "POST", `/api/approvals/${String(held.body["approvalId"])}/reject`, { key: bob.apiKey });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "CT_CONFLICT", field: "id", error: expect.stringContaining("already approved") as unknown });
    // Delivered once.
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [approved.body["messageId"]] } });
    expect(messagesOf(await poll(server, bob.apiKey))).toEqual([]);
  });

  it("on rejection, delivers nothing and tells the sender's owner with a notice from the recipient name", async () => {
    const held = await send(server, alice.apiKey, { to: "bob", body: "buy my stuff", subject: "Offer" });
    const id = String(held.body["approvalId"]);
    const rejected = await api(server, "POST", `/api/approvals/${id}/reject`, { key: bobHelper.apiKey, body: { reason: "not interested" } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toEqual({ success: true, approvalId: id, status: "rejected" });
    expect(messagesOf(await poll(server, bob.apiKey))).toEqual([]);
    const [notice, ...more] = messagesOf(await poll(server, alice.apiKey));
    expect(more).toEqual([]);
    expect(notice).toMatchObject({ from: "tell/bob", to_name: "alice", subject: "Not delivered, not approved: Offer", autoReplyEligible: false, attachments: [] });
    expect(String(notice?.["body"])).toContain(`Your message to tell/bob (subject "Offer", sent ${String(held.body["sentAt"])}) was not approved by tell/bob's owner`);
    expect(String(notice?.["body"])).toContain("Reason given: not interested");
    expect((await api(server, "POST", `/api/approvals/${id}/approve`, { key: bob.apiKey })).status).toBe(409);
  });

  it("lets only the recipient's account see and decide: another account's or an unknown id is a 404", async () => {
    const held = await send(server, alice.apiKey, { to: "bob", body: "for bob's account only" });
    const id = String(held.body["approvalId"]);
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: carol.apiKey }))).toEqual([]);
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: alice.apiKey }))).toEqual([]);
    for (const key of [carol.apiKey, alice.apiKey]) {
      for (const decision of ["approve", "reject"]) {
        const res = await api(server, "POST", `/api/approvals/${id}/${decision}`, { key });
        expect(res.status, decision).toBe(404);
        expect(res.body).toMatchObject({ code: "CT_NOT_FOUND", field: "id" });
      }
    }
    const unknown = await api(server, "POST", "/api/approvals/apr_nothing/approve", { key: bob.apiKey });
    expect(unknown.status).toBe(404);
    expect((await api(server, "POST", `/api/approvals/${id}/approve`, { key: "claw_000000000000_abcdefghijklmnopqrstuvwxyz012345" })).status).toBe(401);
    // Still held, and the recipient's other name (same account) sees it.
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: bobHelper.apiKey })).map((h) => h["approvalId"])).toEqual([id]);
  });

  it("delivers at once from the account's own names and the delivery allowlist, and refuses the blocklist", async () => {
    expect((await send(server, bobHelper.apiKey, { to: "bob", body: "own account" })).status).toBe(200);
    expect((await api(server, "POST", "/api/delivery/allowlist", { key: bob.apiKey, body: { name: "carol" } })).status).toBe(200);
    expect((await send(server, carol.apiKey, { to: "bob", body: "allowed" })).status).toBe(200);
    expect((await api(server, "POST", "/api/delivery/blocklist", { key: bob.apiKey, body: { name: "alice" } })).status).toBe(200);
    const blocked = await send(server, alice.apiKey, { to: "bob", body: "blocked" });
    expect(blocked.status).toBe(403);
    expect(messagesOf(await poll(server, bob.apiKey)).map((m) => m["body"])).toEqual(["own account", "allowed"]);
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: bob.apiKey }))).toEqual([]);
    // Other policies hold nothing: today's behaviour.
    for (const policy of ["everyone", "everyone_except_blocklist"]) {
      await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: policy } });
      expect((await send(server, carol.apiKey, { to: "bob", body: policy })).status).toBe(200);
    }
  });

  it("records approvals and rejections in the audit log with the actor and address", async () => {
    const first = String((await send(server, alice.apiKey, { to: "bob", body: "one" })).body["approvalId"]);
    const second = String((await send(server, alice.apiKey, { to: "bob", body: "two" })).body["approvalId"]);
    await api(server, "POST", `/api/approvals/${first}/approve`, { key: bob.apiKey });
    await api(server, "POST", `/api/approvals/${second}/reject`, { key: bobHelper.apiKey });
    const audit = await server.storage.directory.listAudit({ name: "bob", limit: 10 });
    expect(audit.filter((e) => e.action.startsWith("approval.")).map((e) => [e.action, e.actor, e.ip, e.detail])).toEqual([
      ["approval.rejected", "bob-helper", "127.0.0.1", `${second} from alice`],
      ["approval.approved", "bob", "127.0.0.1", `${first} from alice`],
    ]);
  });

  it("keeps a held attachment undownloadable until approval, then delivers it with the message", async () => {
    const data = Buffer.from("the held file").toString("base64");
    const held = await send(server, alice.apiKey, { to: "bob", body: "with file", attachments: [{ data, filename: "notes.txt", mime_type: "text/plain" }] });
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: bob.apiKey }))[0]?.["attachments"]).toEqual([
      { filename: "notes.txt", mime_type: "text/plain", size: 13 },
    ]);
    await api(server, "POST", `/api/approvals/${String(held.body["approvalId"])}/approve`, { key: bob.apiKey });
    const [message] = messagesOf(await poll(server, bob.apiKey));
    const [attachment] = message?.["attachments"] as Array<{ fileId: string }>;
    const link = await api(server, "GET", `/api/files/${attachment?.fileId ?? ""}`, { key: bob.apiKey });
    const download = await fetch(String(link.body["signedUrl"]));
    expect(await download.text()).toBe("the held file");
  });

  it("keeps a held message's file through the sweep of unreferenced files, and deletes it on rejection", async () => {
    const data = Buffer.from("kept while held").toString("base64");
    const held = await send(server, alice.apiKey, { to: "bob", body: "file", attachments: [{ data, filename: "a.txt", mime_type: "text/plain" }] });
    const id = String(held.body["approvalId"]);
    const fileId = (await server.storage.approvals.find(id))?.message.attachments[0]?.fileId ?? "";
    const everything = async (): Promise<string[]> => server.files.listWrittenBefore(Date.now() + 24 * 60 * 60 * 1000);
    expect(await everything()).toContain(fileId);
    // Two hours on, no message refers to the file; only the approval queue does.
    await purgeExpired(server.storage.messages, server.files, Date.now() + 2 * 60 * 60 * 1000, server.storage.approvals);
    expect(await everything()).toContain(fileId);
    await api(server, "POST", `/api/approvals/${id}/reject`, { key: bob.apiKey });
    expect(await everything()).not.toContain(fileId);
  });

  it("keeps held messages across a restart, and approves them afterwards", async () => {
    const held = await send(server, alice.apiKey, { to: "bob", body: "survives" });
    await server.restart();
    const listed = heldOf(await api(server, "GET", "/api/approvals", { key: bob.apiKey }));
    expect(listed.map((h) => h["approvalId"])).toEqual([held.body["approvalId"]]);
    await api(server, "POST", `/api/approvals/${String(held.body["approvalId"])}/approve`, { key: bob.apiKey });
    expect(messagesOf(await poll(server, bob.apiKey)).map((m) => m["body"])).toEqual(["survives"]);
  });

  it("answers 400 naming the field for a reason that is too long or an unknown body field", async () => {
    const id = String((await send(server, alice.apiKey, { to: "bob", body: "x" })).body["approvalId"]);
    const long = await api(server, "POST", `/api/approvals/${id}/reject`, { key: bob.apiKey, body: { reason: "r".repeat(501) } });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "reason" });
    expect((await api(server, "GET", "/api/approvals?limit=0", { key: bob.apiKey })).body).toMatchObject({ code: "CT_BAD_REQUEST", field: "limit" });
  });
});

describe("approval expiry", () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it("expires a held message after its time, tells the sender, audits it, and refuses a late approval", async () => {
    const clock = createManualClock(Date.UTC(2026, 2, 10, 12, 0, 0));
    server = await startTestServer({ clock, approvalTtlMs: 60 * 60 * 1000 });
    const alice = await server.createName("alice", "alice@example.com");
    const bob = await server.createName("bob", "bob@example.com");
    await requireApproval(server, bob, "bob");
    const held = await send(server, alice.apiKey, { to: "bob", body: "waiting", subject: "Patience" });
    expect(held.body["expiresAt"]).toBe("2026-03-10T13:00:00.000Z");
    const id = String(held.body["approvalId"]);

    await clock.advance(60 * 60 * 1000 - 1);
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: bob.apiKey })).map((h) => h["approvalId"])).toEqual([id]);
    await clock.advance(1);
    // Gone from the queue at once; the server's next sweep (every minute of its clock) expires it and tells alice.
    expect(heldOf(await api(server, "GET", "/api/approvals", { key: bob.apiKey }))).toEqual([]);
    const late = await api(server, "POST", `/api/approvals/${id}/approve`, { key: bob.apiKey });
    expect(late.status).toBe(409);
    expect(late.body["error"]).toContain("expired at 2026-03-10T13:00:00.000Z");
    let notices: Json[] = [];
    await expect
      .poll(async () => {
        await clock.advance(60_000);
        notices = messagesOf(await poll(server as TestServer, alice.apiKey));
        return notices.length;
      })
      .toBe(1);
    expect(notices[0]).toMatchObject({ from: "tell/bob", to_name: "alice", subject: "Not delivered, approval expired: Patience", autoReplyEligible: false });
    expect(String(notices[0]?.["body"])).toContain("before it expired at 2026-03-10T13:00:00.000Z");
    expect(messagesOf(await poll(server, bob.apiKey))).toEqual([]);
    const audit = await server.storage.directory.listAudit({ name: "bob", limit: 5 });
    expect(audit.find((e) => e.action === "approval.expired")).toMatchObject({ actor: "server", detail: `${id} from alice` });
  });
});
