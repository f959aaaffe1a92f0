// The message.status webhook over real HTTP, on the backend the suite runs on: a sender that asked for it hears every
// receipt state its messages reach, in order, signed like every other delivery; held sends report pending_approval
// then rejected or accepted; a state waits for the retries of the one before it; expiry is reported too.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock, verifyWebhookSignature } from "../../../src/infra/index.js";
import { MessageStatusResponseSchema, WebhookBodySchema, WebhookDeliveriesResponseSchema } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";
import { startWebhookRecorder, type RecordedDelivery, type WebhookRecorder } from "../../helpers/webhook-recorder.js";

const SECRET = "a-webhook-secret-of-32-characters";
/** Ahead of the real time the test names are created at (a name must be older than the messages it sent). */
const START = Math.ceil(Date.now() / 1000) * 1000 + 60 * 60 * 1000;
const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const iso = (ms: number): string => new Date(ms).toISOString();

describe("message.status webhook", () => {
  const clock = createManualClock(START);
  let server: TestServer;
  let recorder: WebhookRecorder;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    await clock.set(START);
    recorder = await startWebhookRecorder();
    server = await startTestServer({ clock, allowPrivateWebhooks: true, retentionIntervalMs: 20 });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => {
    await server.close();
    await recorder.close();
  });

  const patch = async (who: CreatedName, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const res = await api(server, "PATCH", `/api/names/${who.name}`, { key: who.apiKey, body });
    expect(res.status).toBe(200);
    return res.body;
  };
  const optIn = async (events: string[]): Promise<void> => {
    const settings = await patch(alice, { webhook_url: recorder.url, webhook_secret: SECRET, webhook_events: events });
    expect(settings["webhook_events"]).toEqual(events);
  };
  const send = async (body: string): Promise<{ status: number; body: Record<string, unknown> }> =>
    api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body } });
  const statuses = (): RecordedDelivery[] => recorder.deliveries.filter((d) => d.headers["x-clawtell-event"] === "message.status");
  const statesOf = (messageId: string): string[] =>
    statuses()
      .map((d) => d.body)
      .filter((b) => b["messageId"] === messageId)
      .map((b) => String(b["status"]));
  const verified = (delivery: RecordedDelivery): boolean =>
    verifyWebhookSignature({
      secret: SECRET,
      timestamp: String(delivery.headers["x-clawtell-timestamp"]),
      body: delivery.raw,
      signature: String(delivery.headers["x-clawtell-signature"]),
      nowMs: clock.now(),
    });

  it("reports accepted → delivered → acked in order, signed, each with its time, beside message.acked", async () => {
    await optIn(["message.acked", "message.status"]);
    const sent = await send("track me by webhook");
    expect(sent.status).toBe(200);
    const id = String(sent.body["messageId"]);
    await clock.advance(2 * SECOND);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((polled.body["messages"] as unknown[]).length).toBe(1);
    await clock.advance(3 * SECOND);
    expect((await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [id] } })).body["acked"]).toBe(1);

    await expect.poll(() => statesOf(id)).toEqual(["accepted", "delivered", "acked"]);
    for (const delivery of statuses()) {
      expect(verified(delivery)).toBe(true);
      expect(delivery.headers["x-clawtell-delivery"]).toBe(delivery.body["deliveryId"]);
    }
    expect(statuses().map((d) => WebhookBodySchema.parse(d.body))).toEqual([
      { event: "message.status", deliveryId: `sts_accepted_${id}`, attempt: 1, timestamp: iso(START), name: "alice", messageId: id, from: "tell/alice", to: "tell/bob", status: "accepted", at: iso(START) },
      expect.objectContaining({ deliveryId: `sts_delivered_${id}`, status: "delivered", at: iso(START + 2 * SECOND) }),
      expect.objectContaining({ deliveryId: `sts_acked_${id}`, status: "acked", at: iso(START + 5 * SECOND) }),
    ]);
    // The same times as the receipt; the acked event the sender also asked for; the log names each state.
    const receipt = MessageStatusResponseSchema.parse((await api(server, "GET", `/api/messages/${id}/status`, { key: alice.apiKey })).body);
    expect(receipt.history.map((h) => [h.status, h.at])).toEqual(statuses().map((d) => [d.body["status"], d.body["at"]]));
    await expect.poll(() => recorder.deliveries.filter((d) => d.headers["x-clawtell-event"] === "message.acked").length).toBe(1);
    const log = WebhookDeliveriesResponseSchema.parse((await api(server, "GET", "/api/webhooks/deliveries", { key: alice.apiKey })).body);
    expect(log.events).toEqual(["message.acked", "message.status"]);
    expect(log.deliveries.filter((d) => d.event === "message.status").map((d) => d.state).sort()).toEqual(["accepted", "acked", "delivered"]);
    expect(log.deliveries.find((d) => d.event === "message.acked")?.state).toBeNull();
    // A name with a webhook that did not ask for message.status hears nothing of its own sends: once alice's next send
    // is reported (queued after bob's), bob's log holds no message.status.
    await patch(bob, { webhook_url: recorder.url, webhook_events: ["message.acked"] });
    expect((await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "alice", body: "reply" } })).status).toBe(200);
    const next = String((await send("after bob's")).body["messageId"]);
    await expect.poll(() => statesOf(next)).toEqual(["accepted"]);
    const bobLog = WebhookDeliveriesResponseSchema.parse((await api(server, "GET", "/api/webhooks/deliveries", { key: bob.apiKey })).body);
    expect(bobLog.deliveries).toEqual([]);
  });

  it("holds a state while the one before it is retried: a 500 on accepted delays delivered and acked until it is through", async () => {
    await optIn(["message.status"]);
    recorder.answers.push(500);
    const id = String((await send("first answer fails")).body["messageId"]);
    await expect.poll(() => statesOf(id)).toEqual(["accepted"]);
    await clock.advance(SECOND);
    await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [id] } });
    // Both later states are queued and due, but wait behind the retry of accepted (10 s ± 20 %).
    await expect
      .poll(async () => {
        const log = WebhookDeliveriesResponseSchema.parse((await api(server, "GET", "/api/webhooks/deliveries", { key: alice.apiKey })).body);
        return log.deliveries.map((d) => `${String(d.state)}:${d.status}`).sort();
      })
      .toEqual(["accepted:pending", "acked:pending", "delivered:pending"]);
    expect(statesOf(id)).toEqual(["accepted"]);

    await clock.advance(13 * SECOND);
    await expect.poll(() => statesOf(id)).toEqual(["accepted", "accepted", "delivered", "acked"]);
    expect(statuses().map((d) => d.body["attempt"])).toEqual([1, 2, 1, 1]);
  });

  it("reports pending_approval → rejected for a held send, and pending_approval → accepted once approved", async () => {
    await optIn(["message.status"]);
    expect((await patch(bob, { delivery_policy: "approval_required" }))["delivery_policy"]).toBe("approval_required");
    const refused = await send("may I?");
    const allowed = await send("may I, please?");
    expect([refused.status, allowed.status]).toEqual([202, 202]);
    const refusedId = String(refused.body["receiptId"]);
    const allowedId = String(allowed.body["receiptId"]);
    await expect.poll(() => [statesOf(refusedId), statesOf(allowedId)]).toEqual([["pending_approval"], ["pending_approval"]]);

    await clock.advance(SECOND);
    expect((await api(server, "POST", `/api/approvals/${String(refused.body["approvalId"])}/reject`, { key: bob.apiKey })).status).toBe(200);
    expect((await api(server, "POST", `/api/approvals/${String(allowed.body["approvalId"])}/approve`, { key: bob.apiKey })).status).toBe(200);
    await expect.poll(() => [statesOf(refusedId), statesOf(allowedId)]).toEqual([
      ["pending_approval", "rejected"],
      ["pending_approval", "accepted"],
    ]);
    expect(statuses().every(verified)).toBe(true);
    const rejected = statuses().find((d) => d.body["status"] === "rejected");
    expect(rejected?.body).toMatchObject({ deliveryId: `sts_rejected_${refusedId}`, from: "tell/alice", to: "tell/bob", at: iso(START + SECOND) });
  });

  it("reports expired when retention deletes a message nobody acked, at the time the receipt shows", async () => {
    await optIn(["message.status"]);
    const id = String((await send("nobody reads this")).body["messageId"]);
    await expect.poll(() => statesOf(id)).toEqual(["accepted"]);
    // The server has taken the receiver's answer in before its clock jumps: an attempt still waiting for it would
    // time out in the jump and be sent again.
    await expect
      .poll(async () => {
        const log = WebhookDeliveriesResponseSchema.parse((await api(server, "GET", "/api/webhooks/deliveries", { key: alice.apiKey })).body);
        return log.deliveries.map((d) => `${String(d.state)}:${d.status}`);
      })
      .toEqual(["accepted:delivered"]);
    await clock.advance(14 * DAY + SECOND);
    await expect.poll(() => statesOf(id)).toEqual(["accepted", "expired"]);
    const receipt = MessageStatusResponseSchema.parse((await api(server, "GET", `/api/messages/${id}/status`, { key: alice.apiKey })).body);
    expect(receipt).toMatchObject({ status: "expired", updatedAt: iso(START + 14 * DAY) });
    expect(statuses()[1]?.body).toMatchObject({ status: "expired", at: iso(START + 14 * DAY) });
  });
});
