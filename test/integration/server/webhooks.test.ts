// Webhooks from the server over real HTTP, on the backend the suite runs on: signed deliveries a receiver verifies with
// the shared verify, retries on the clock's schedule across a restart, the message.acked event, the delivery log, and
// the outgoing-request guard's refusals.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock, verifyWebhookSignature } from "../../../src/infra/index.js";
import { WebhookBodySchema, WebhookDeliveriesResponseSchema, type WebhookDeliveryWire } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";
import { startWebhookRecorder, type RecordedDelivery, type WebhookRecorder } from "../../helpers/webhook-recorder.js";

const SECRET = "a-webhook-secret-of-32-characters";
/** Ahead of the real time the test names are created at (a name must be older than the messages it sent). */
const START = Math.ceil(Date.now() / 1000) * 1000 + 60 * 60 * 1000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A loopback receiver that answers every request with `handle`; `requests` counts what arrived. */
async function startReceiver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

describe("webhooks", () => {
  const clock = createManualClock(START);
  let server: TestServer;
  let recorder: WebhookRecorder;
  let alice: CreatedName;
  let bob: CreatedName;

  const start = async (allowPrivateWebhooks: boolean): Promise<void> => {
    server = await startTestServer({ clock, allowPrivateWebhooks });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  };
  beforeEach(async () => {
    await clock.set(START);
    recorder = await startWebhookRecorder();
  });
  afterEach(async () => {
    await server.close();
    await recorder.close();
  });

  const setWebhook = async (who: CreatedName, settings: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const res = await api(server, "PATCH", `/api/names/${who.name}`, { key: who.apiKey, body: settings });
    expect(res.status).toBe(200);
    return res.body;
  };
  const send = async (from: CreatedName, to: string, body: string): Promise<string> => {
    const res = await api(server, "POST", "/api/messages/send", { key: from.apiKey, body: { to, body } });
    expect(res.status).toBe(200);
    return String(res.body["messageId"]);
  };
  const log = async (who: CreatedName): Promise<{ webhookUrl: string | null; events: string[]; deliveries: WebhookDeliveryWire[] }> => {
    const res = await api(server, "GET", "/api/webhooks/deliveries", { key: who.apiKey });
    expect(res.status).toBe(200);
    return WebhookDeliveriesResponseSchema.parse(res.body);
  };
  const deliveryOf = async (who: CreatedName, id: string): Promise<WebhookDeliveryWire | undefined> => (await log(who)).deliveries.find((d) => d.id === id);
  const verified = (delivery: RecordedDelivery): boolean =>
    verifyWebhookSignature({
      secret: SECRET,
      timestamp: String(delivery.headers["x-clawtell-timestamp"]),
      body: delivery.raw,
      signature: String(delivery.headers["x-clawtell-signature"]),
      nowMs: clock.now(),
    });

  describe("with the guard opened for loopback", () => {
    beforeEach(async () => start(true));

    it("posts message.received signed with the shared scheme, and the message stays in the inbox until acked", async () => {
      const settings = await setWebhook(bob, { webhook_url: recorder.url, webhook_secret: SECRET });
      expect(settings["webhook_events"]).toEqual(["message.received"]);
      const id = await send(alice, "bob", "hello by webhook");

      await expect.poll(() => recorder.deliveries.length).toBe(1);
      const [delivery] = recorder.deliveries as [RecordedDelivery];
      expect(delivery.headers["x-clawtell-delivery"]).toBe(`rcv_${id}`);
      expect(delivery.headers["x-clawtell-event"]).toBe("message.received");
      expect(delivery.headers["x-clawtell-timestamp"]).toBe(String(Math.floor(clock.now() / 1000)));
      expect(verified(delivery)).toBe(true);
      // A body changed on the way, or signed with another secret, does not verify.
      expect(verified({ ...delivery, raw: delivery.raw.replace("hello", "HELLO") })).toBe(false);
      const body = WebhookBodySchema.parse(delivery.body);
      expect(body).toMatchObject({ event: "message.received", deliveryId: `rcv_${id}`, attempt: 1, name: "bob" });

      const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect(polled.body["messages"]).toEqual([body.event === "message.received" ? body.message : undefined]);

      await expect.poll(async () => (await deliveryOf(bob, `rcv_${id}`))?.status).toBe("delivered");
      expect(await deliveryOf(bob, `rcv_${id}`)).toMatchObject({
        event: "message.received",
        messageId: id,
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        createdAt: new Date(START).toISOString(),
      });
      // The log is the caller's name's own.
      expect((await log(alice)).deliveries).toEqual([]);
    });

    it("delivers a backlog larger than the dispatcher's concurrency (a full dispatcher waits, it does not spin)", async () => {
      // 12 deliveries queued at once against 4 slots: with every slot busy the dispatcher used to ask the store again
      // at once, forever, starving the event loop, so that even the first attempts never finished.
      await setWebhook(bob, { webhook_url: recorder.url, webhook_secret: SECRET });
      const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => send(alice, "bob", `backlog ${i}`)));

      await expect.poll(() => recorder.deliveries.length).toBe(12);
      const delivered = recorder.deliveries.map((d) => (d.body["message"] as Record<string, unknown>)["id"]);
      expect(new Set(delivered)).toEqual(new Set(ids));
    });

    it("retries after 500s on the backoff schedule, and a restart in the middle still delivers", async () => {
      await setWebhook(bob, { webhook_url: recorder.url, webhook_secret: SECRET });
      recorder.answers.push(500, 500);
      const id = await send(alice, "bob", "try again");
      const deliveryId = `rcv_${id}`;

      await expect.poll(() => recorder.deliveries.length).toBe(1);
      await expect.poll(async () => (await deliveryOf(bob, deliveryId))?.attempts).toBe(1);
      const first = await deliveryOf(bob, deliveryId);
      expect(first).toMatchObject({ status: "pending", lastStatusCode: 500, lastError: expect.stringContaining("answered HTTP 500") as string });
      const firstGap = Date.parse(String(first?.nextAttemptAt)) - Date.parse(String(first?.lastAttemptAt));
      expect(firstGap).toBeGreaterThanOrEqual(8 * SECOND);
      expect(firstGap).toBeLessThanOrEqual(12 * SECOND);

      // Nothing goes out before the retry is due.
      await clock.advance(firstGap - 1);
      expect((await deliveryOf(bob, deliveryId))?.attempts).toBe(1);
      await clock.advance(1);
      await expect.poll(() => recorder.deliveries.length).toBe(2);
      await expect.poll(async () => (await deliveryOf(bob, deliveryId))?.attempts).toBe(2);
      const second = await deliveryOf(bob, deliveryId);
      const secondGap = Date.parse(String(second?.nextAttemptAt)) - Date.parse(String(second?.lastAttemptAt));
      expect(secondGap).toBeGreaterThanOrEqual(48 * SECOND);
      expect(secondGap).toBeLessThanOrEqual(72 * SECOND);

      // The pending delivery is in storage: a restarted server takes it up when it is due.
      await server.restart();
      expect(recorder.deliveries).toHaveLength(2);
      await clock.advance(secondGap);
      await expect.poll(() => recorder.deliveries.length).toBe(3);
      await expect.poll(async () => (await deliveryOf(bob, deliveryId))?.status).toBe("delivered");
      expect(await deliveryOf(bob, deliveryId)).toMatchObject({ attempts: 3, lastStatusCode: 200, lastError: null });

      // One delivery id throughout; each attempt numbered, signed when it went out, and verified by the shared verify.
      expect(recorder.deliveries.map((d) => d.headers["x-clawtell-delivery"])).toEqual([deliveryId, deliveryId, deliveryId]);
      expect(recorder.deliveries.map((d) => d.body["attempt"])).toEqual([1, 2, 3]);
      for (const delivery of recorder.deliveries) expect(verified(delivery)).toBe(true);
      expect(recorder.deliveries.map((d) => Number(d.headers["x-clawtell-timestamp"]) * 1000 - START)).toEqual([
        0,
        Math.floor(firstGap / 1000) * 1000,
        Math.floor((firstGap + secondGap) / 1000) * 1000,
      ]);
    });

    it("sends message.acked to a sender that asked for it, and no message.received it did not ask for", async () => {
      const settings = await setWebhook(alice, { webhook_url: recorder.url, webhook_secret: SECRET, webhook_events: ["message.acked"] });
      expect(settings["webhook_events"]).toEqual(["message.acked"]);
      await send(bob, "alice", "alice gets no message.received for this");
      const id = await send(alice, "bob", "please ack");
      await clock.advance(5 * SECOND);
      const acked = await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [id] } });
      expect(acked.body["acked"]).toBe(1);

      await expect.poll(() => recorder.deliveries.length).toBe(1);
      const [delivery] = recorder.deliveries as [RecordedDelivery];
      expect(verified(delivery)).toBe(true);
      expect(delivery.headers["x-clawtell-event"]).toBe("message.acked");
      expect(WebhookBodySchema.parse(delivery.body)).toEqual({
        event: "message.acked",
        deliveryId: `ack_${id}`,
        attempt: 1,
        timestamp: new Date(START + 5 * SECOND).toISOString(),
        name: "alice",
        messageId: id,
        to: "tell/bob",
        ackedAt: new Date(START + 5 * SECOND).toISOString(),
      });
      await expect.poll(async () => (await log(alice)).deliveries.map((d) => [d.id, d.status])).toEqual([[`ack_${id}`, "delivered"]]);
      expect((await log(alice)).events).toEqual(["message.acked"]);
    });

    it("does not follow a redirect: the delivery fails at once, naming it", async () => {
      const redirecting = await startReceiver((_req, res) => {
        res.writeHead(302, { location: recorder.url });
        res.end();
      });
      try {
        await setWebhook(bob, { webhook_url: redirecting.url });
        const id = await send(alice, "bob", "redirected");
        await expect.poll(async () => (await deliveryOf(bob, `rcv_${id}`))?.status).toBe("failed");
        expect(await deliveryOf(bob, `rcv_${id}`)).toMatchObject({
          attempts: 1,
          lastStatusCode: 302,
          lastError: expect.stringContaining("redirects are not followed") as string,
        });
        expect(recorder.deliveries).toHaveLength(0);
      } finally {
        await redirecting.close();
      }
    });

    it("counts an answer over the size cap as a failed attempt, to be tried again", async () => {
      const chatty = await startReceiver((_req, res) => {
        res.writeHead(200);
        for (let i = 0; i < 80; i++) res.write(Buffer.alloc(1024, 97));
        res.end();
      });
      try {
        await setWebhook(bob, { webhook_url: chatty.url });
        const id = await send(alice, "bob", "talkative receiver");
        await expect.poll(async () => (await deliveryOf(bob, `rcv_${id}`))?.attempts).toBe(1);
        expect(await deliveryOf(bob, `rcv_${id}`)).toMatchObject({ status: "pending", lastError: expect.stringContaining("answer larger than 65536 bytes") as string });
      } finally {
        await chatty.close();
      }
    });

    it("times out a receiver that does not answer, on the server's clock, and tries again later", async () => {
      let answered = 0;
      const silent = await startReceiver(() => answered++);
      try {
        await setWebhook(bob, { webhook_url: silent.url });
        const id = await send(alice, "bob", "nobody answers");
        await expect.poll(() => answered).toBe(1);
        expect((await deliveryOf(bob, `rcv_${id}`))?.attempts).toBe(0);
        await clock.advance(10 * SECOND);
        await expect.poll(async () => (await deliveryOf(bob, `rcv_${id}`))?.attempts).toBe(1);
        expect(await deliveryOf(bob, `rcv_${id}`)).toMatchObject({
          status: "pending",
          lastStatusCode: null,
          lastError: expect.stringContaining("no answer within 10000 ms") as string,
        });
      } finally {
        await silent.close();
      }
    });

    it("ends the deliveries of a name whose webhook URL was removed", async () => {
      await setWebhook(bob, { webhook_url: recorder.url });
      recorder.answers.push(503);
      const id = await send(alice, "bob", "then the URL goes");
      await expect.poll(async () => (await deliveryOf(bob, `rcv_${id}`))?.attempts).toBe(1);
      await setWebhook(bob, { webhook_url: null });
      await clock.advance(MINUTE);
      await expect.poll(async () => (await deliveryOf(bob, `rcv_${id}`))?.status).toBe("cancelled");
      expect((await deliveryOf(bob, `rcv_${id}`))?.lastError).toBe("the name has no webhook URL any more");
      expect(recorder.deliveries).toHaveLength(1);
    });
  });

  describe("with the guard closed (the default)", () => {
    beforeEach(async () => start(false));

    it.each([
      ["a host name that resolves to loopback", (port: string) => `http://localhost:${port}/hook`, /^localhost \((127\.0\.0\.1|::1)\) is a loopback address/],
      ["an IP literal", (port: string) => `http://127.0.0.1:${port}/hook`, /^127\.0\.0\.1 is a loopback address/],
      ["an IPv4-mapped IPv6 literal", (port: string) => `http://[::ffff:127.0.0.1]:${port}/hook`, /^::ffff:7f00:1 is a loopback address/],
    ])("refuses %s without calling it, and does not retry", async (_what, urlFor, error) => {
      await setWebhook(bob, { webhook_url: urlFor(new URL(recorder.url).port), webhook_secret: SECRET });
      const id = await send(alice, "bob", "to a private address");
      await expect.poll(async () => (await deliveryOf(bob, `rcv_${id}`))?.status).toBe("failed");
      const delivery = await deliveryOf(bob, `rcv_${id}`);
      expect(delivery).toMatchObject({ attempts: 0, lastStatusCode: null, nextAttemptAt: null });
      expect(delivery?.lastError).toMatch(error);
      expect(recorder.deliveries).toHaveLength(0);
      // The message itself is delivered as always.
      const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect((polled.body["messages"] as Array<{ id: string }>).map((m) => m.id)).toEqual([id]);
    });
  });
});
