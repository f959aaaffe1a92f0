import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient, parseRetryAfter, withRetry } from "../../../src/client/index.js";
import { ClawTellError } from "../../../src/infra/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { sendJson, startHttpStub } from "../../helpers/http-stub.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("ClawTell client against the embedded server", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "a@example.com");
    bob = await server.createName("bob", "b@example.com");
  });
  afterEach(async () => server.close());

  const as = (name: CreatedName) => createClawTellClient({ baseUrl: `${server.url}/`, apiKey: name.apiKey });

  it("sends, polls, acks and reads identity", async () => {
    const sent = await as(alice).send({ to: "tell/Bob", body: "hi", subject: "Greeting" });
    expect(sent).toMatchObject({ status: "sent", to: "tell/bob" });
    const messages = await as(bob).poll({ timeoutS: 1 });
    expect(messages).toMatchObject([{ id: sent.messageId, from: "tell/alice", subject: "Greeting", body: "hi" }]);
    await as(bob).ack(messages.map((m) => m.id));
    await as(bob).ack([]);
    expect(await as(bob).poll({ timeoutS: 0 })).toEqual([]);
    expect(await as(bob).me()).toMatchObject({ name: "bob", fullName: "tell/bob" });
    expect(await as(bob).lookup("tell/alice")).toMatchObject({ name: "alice", registered: true });
  });

  it("polls every name of the account with their to_name", async () => {
    const helper = await server.createName("helper", "b@example.com");
    await as(alice).send({ to: "helper", body: "h" });
    await as(alice).send({ to: "bob", body: "b" });
    const messages = await as(helper).pollAccount({ timeoutS: 1 });
    expect(messages.map((m) => m.to_name)).toEqual(["helper", "bob"]);
  });

  it("sends as another name of the account and replies with replyTo", async () => {
    const helper = await server.createName("helper", "a@example.com");
    const first = await as(bob).send({ to: "helper", body: "q" });
    await as(alice).send({ to: "bob", body: "a", fromName: "tell/helper", replyTo: first.messageId ?? "" });
    const [reply] = await as(bob).poll({ timeoutS: 1 });
    expect(reply).toMatchObject({ from: "tell/helper", replyToMessageId: first.messageId });
    expect(helper.accountId).toBe(alice.accountId);
  });

  it("fails with distinct codes: rejected key, unknown recipient, unreachable host, abort", async () => {
    await expect(createClawTellClient({ baseUrl: server.url, apiKey: "claw_bad" }).me()).rejects.toMatchObject({ code: "CT_AUTH_FAILED", status: 401 });
    await expect(as(alice).send({ to: "nobody", body: "x" })).rejects.toMatchObject({ code: "CT_NOT_FOUND", message: "Recipient not found" });
    await expect(createClawTellClient({ baseUrl: "http://127.0.0.1:9", apiKey: "k" }).me()).rejects.toMatchObject({ code: "CT_API_UNREACHABLE" });
    const controller = new AbortController();
    const polling = as(bob).poll({ timeoutS: 10, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(polling).rejects.toMatchObject({ code: "CT_ABORTED" });
  });
});

describe("client retry policy", () => {
  it("reads Retry-After in seconds and as an HTTP date", () => {
    expect(parseRetryAfter("7", 0)).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });

  it("retries 429 after Retry-After and 5xx storms, but not a 4xx", async () => {
    let calls = 0;
    const stub = await startHttpStub((req, res) => {
      calls++;
      if (req.url?.startsWith("/api/me") !== true) return sendJson(res, 400, { error: "bad" });
      if (calls === 1) return sendJson(res, 429, { error: "slow down" }, { "retry-after": "1" });
      if (calls === 2) return sendJson(res, 429, { error: "slow down" }, { "retry-after": new Date(Date.now() + 2000).toUTCString() });
      if (calls <= 4) return sendJson(res, 503, { error: "busy" });
      return sendJson(res, 200, {
        name: "bob", fullName: "tell/bob", communicationMode: "anyone", webhookUrl: null, expiresAt: null, createdAt: "x",
        stats: { totalMessages: 0, unreadMessages: 0, allowlistCount: 0 },
      });
    });
    try {
      const client = createClawTellClient({ baseUrl: stub.url, apiKey: "k" });
      const waits: number[] = [];
      const clock = { now: () => Date.now(), sleep: async (ms: number) => void waits.push(ms) };
      expect(await withRetry(() => client.me(), { attempts: 6, clock, random: () => 0.5 })).toMatchObject({ name: "bob" });
      expect(waits[0]).toBe(1000);
      // An HTTP date has whole seconds: between one and two seconds from now.
      expect(waits[1]).toBeGreaterThan(900);
      expect(waits[1]).toBeLessThanOrEqual(2000);
      expect(waits.slice(2)).toEqual([4000, 8000]);
      calls = 100;
      await expect(withRetry(() => client.lookup("x"), { clock })).rejects.toBeInstanceOf(ClawTellError);
      expect(calls).toBe(101);
    } finally {
      await stub.close();
    }
  });
});
