import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient, withRetry } from "../../../src/client/index.js";
import type { Clock } from "../../../src/infra/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { sendJson, startHttpStub, type LoopbackStub as HttpStub } from "./loopback-stub.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

const ME_BODY = {
  name: "bob",
  fullName: "tell/bob",
  email: null,
  communicationMode: "anyone",
  webhookUrl: null,
  expiresAt: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  stats: { totalMessages: 0, unreadMessages: 0, allowlistCount: 0 },
};

/** A clock whose sleeps return at once and are written down. */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return { waits, now: () => Date.now(), sleep: async (ms) => void waits.push(ms) };
}

describe("ClawTell client against the embedded server", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let stub: HttpStub | undefined;
  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "a@example.com");
    bob = await server.createName("bob", "b@example.com");
  });
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
    await server.close();
  });

  const as = (name: CreatedName, sseUrl?: string) =>
    createClawTellClient({ baseUrl: `${server.url}/`, apiKey: name.apiKey, ...(sseUrl === undefined ? {} : { sseUrl }) });

  it("sends, polls, acks and reads identity", async () => {
    const sent = await as(alice).send({ to: "tell/Bob", body: "hi", subject: "Greeting" });
    expect(sent).toMatchObject({ status: "sent", to: "tell/bob", messageId: expect.any(String), sentAt: expect.any(String) });
    const messages = await as(bob).poll({ timeoutS: 1 });
    expect(messages).toMatchObject([{ id: sent.messageId, from: "tell/alice", to_name: "bob", subject: "Greeting", body: "hi" }]);
    await as(bob).ack(messages.map((m) => m.id));
    expect(await as(bob).poll({ timeoutS: 0 })).toEqual([]);
    expect(await as(bob).me()).toMatchObject({ name: "bob", fullName: "tell/bob" });
    expect(await as(bob).lookup("tell/alice")).toMatchObject({ name: "alice", registered: true });
  });

  it("returns at once from a long poll when a message arrives during the wait", async () => {
    const started = Date.now();
    const polling = as(bob).poll({ timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 50));
    await as(alice).send({ to: "bob", body: "wake up" });
    expect((await polling).map((m) => m.body)).toEqual(["wake up"]);
    expect(Date.now() - started).toBeLessThan(8000); // the poll would hold 10 s;
  });

  it("polls every name of the account with their to_name", async () => {
    await server.createName("helper", "b@example.com");
    const helper = await server.createName("helper2", "c@example.com");
    await as(alice).send({ to: "helper", body: "h" });
    await as(alice).send({ to: "bob", body: "b" });
    await as(alice).send({ to: "helper2", body: "other account" });
    const messages = await as(bob).pollAccount({ timeoutS: 1 });
    expect(messages.map((m) => [m.to_name, m.body])).toEqual([
      ["helper", "h"],
      ["bob", "b"],
    ]);
    // The single-name poll sees only the key's own name.
    expect((await as(helper).poll({ timeoutS: 0 })).map((m) => m.body)).toEqual(["other account"]);
  });

  it("sends as another name of the account and replies with replyTo", async () => {
    const helper = await server.createName("helper", "a@example.com");
    const first = await as(bob).send({ to: "helper", body: "q" });
    await as(alice).send({ to: "bob", body: "a", fromName: "tell/helper", replyTo: first.messageId ?? "" });
    const [reply] = await as(bob).poll({ timeoutS: 1 });
    expect(reply).toMatchObject({ from: "tell/helper", replyToMessageId: first.messageId });
    expect(helper.accountId).toBe(alice.accountId);
  });

  it("fails with distinct codes: rejected key, forbidden sender, unknown recipient, bad request", async () => {
    await expect(createClawTellClient({ baseUrl: server.url, apiKey: "claw_bad" }).me()).rejects.toMatchObject({ code: "CT_AUTH_FAILED", status: 401 });
    await expect(as(alice).send({ to: "nobody", body: "x" })).rejects.toMatchObject({ code: "CT_NOT_FOUND", status: 404, message: "Recipient not found" });
    await expect(as(alice).send({ to: "bob", body: "" })).rejects.toMatchObject({ code: "CT_BAD_REQUEST", status: 400 });
    await expect(as(alice).send({ to: "bob", body: "x", fromName: "bob" })).rejects.toMatchObject({ code: "CT_FORBIDDEN", status: 403 });
    await expect(as(alice).lookup("nobody")).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
  });

  it("tells an unreachable host, a silent host and an abort apart", async () => {
    await expect(createClawTellClient({ baseUrl: "http://127.0.0.1:9", apiKey: "k" }).me()).rejects.toMatchObject({ code: "CT_API_UNREACHABLE" });
    stub = await startHttpStub(() => undefined); // never answers
    await expect(createClawTellClient({ baseUrl: stub.url, apiKey: "k", requestTimeoutMs: 100 }).me()).rejects.toMatchObject({ code: "CT_TIMEOUT" });
    const controller = new AbortController();
    const polling = as(bob).poll({ timeoutS: 10, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(polling).rejects.toMatchObject({ code: "CT_ABORTED" });
    await expect(as(bob).me(AbortSignal.abort())).rejects.toMatchObject({ code: "CT_ABORTED" });
  });

  it("downloads an attachment through its signed link, and refuses one larger than asked", async () => {
    const content = Buffer.from("a small file\n");
    const sent = await fetch(`${server.url}/api/messages/send`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ to: "bob", body: "file", attachments: [{ data: content.toString("base64"), filename: "f.txt", mime_type: "text/plain" }] }),
    });
    expect(sent.status).toBe(200);
    const [message] = (await as(bob).poll({ timeoutS: 0 })).filter((m) => m.attachments.length > 0);
    const fileId = message?.attachments[0]?.fileId ?? "";
    expect((await as(bob).downloadFile(fileId, 1024)).equals(content)).toBe(true);
    await expect(as(bob).downloadFile(fileId, 4)).rejects.toMatchObject({ code: "CT_API_REJECTED" });
    await expect(as(bob).downloadFile("no-such-file", 1024)).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
  });

  it("never sends the key to the host of a signed link", async () => {
    const storage = await startHttpStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end("bytes from storage");
    });
    stub = await startHttpStub((_req, res) => sendJson(res, 200, { url: `${storage.url}/bucket/f1?token=signed` }));
    try {
      const bytes = await createClawTellClient({ baseUrl: stub.url, apiKey: "claw_secret" }).downloadFile("f1", 1024);
      expect(bytes.toString()).toBe("bytes from storage");
      expect(stub.requests[0]).toMatchObject({ url: "/api/files/f1", headers: { authorization: "Bearer claw_secret" } });
      expect(storage.requests[0]?.url).toBe("/bucket/f1?token=signed");
      expect(storage.requests[0]?.headers["authorization"]).toBeUndefined();
    } finally {
      await storage.close();
    }
  });

  it("refuses answers that do not match the wire contract", async () => {
    stub = await startHttpStub((req, res) => {
      if (req.url === "/api/me") return sendJson(res, 200, { name: 5 });
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>proxy</html>");
    });
    const client = createClawTellClient({ baseUrl: stub.url, apiKey: "k" });
    await expect(client.me()).rejects.toMatchObject({ code: "CT_API_REJECTED", status: 200 });
    await expect(client.poll({ timeoutS: 0 })).rejects.toMatchObject({ code: "CT_API_REJECTED" });
  });

  it("reports a 202 as pending approval without a message id, and withRetry does not send it again", async () => {
    stub = await startHttpStub((_req, res) => sendJson(res, 202, { success: true, status: "pending_approval" }));
    const client = createClawTellClient({ baseUrl: stub.url, apiKey: "k" });
    const result = await withRetry(() => client.send({ to: "tell/carol", body: "hi", fromName: "helper", threadId: "t1" }), { clock: recordingClock() });
    expect(result).toEqual({ status: "pending_approval", to: "tell/carol" });
    expect(stub.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST /api/messages/send"]);
    expect(stub.requests[0]?.headers.authorization).toBe("Bearer k");
    expect(JSON.parse(stub.bodies[0] ?? "")).toEqual({ to: "carol", body: "hi", subject: "Message", from_name: "helper", threadId: "t1" });
  });

  describe("ack", () => {
    it("sends no request for an empty list", async () => {
      stub = await startHttpStub((_req, res) => sendJson(res, 200, { acked: [] }));
      await createClawTellClient({ baseUrl: stub.url, sseUrl: stub.url, apiKey: "k" }).ack([]);
      await createClawTellClient({ baseUrl: server.url, sseUrl: stub.url, apiKey: "k" }).ack([]);
      expect(stub.requests).toEqual([]);
    });

    it("prefers the streaming host's /v1/ack when it is another host", async () => {
      stub = await startHttpStub((_req, res) => sendJson(res, 200, { acked: ["m1"] }));
      await createClawTellClient({ baseUrl: server.url, sseUrl: `${stub.url}/`, apiKey: bob.apiKey }).ack(["m1"]);
      expect(stub.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST /v1/ack"]);
      expect(JSON.parse(stub.bodies[0] ?? "")).toEqual({ messageIds: ["m1"] });
    });

    it("falls back to /api/messages/ack when the streaming host fails with 5xx or cannot be reached", async () => {
      stub = await startHttpStub((_req, res) => sendJson(res, 503, { error: "down" }));
      for (const sseUrl of [stub.url, "http://127.0.0.1:9"]) {
        const sent = await as(alice).send({ to: "bob", body: `via ${sseUrl}` });
        await as(bob, sseUrl).ack([sent.messageId ?? ""]);
      }
      expect(await as(bob).poll({ timeoutS: 0 })).toEqual([]);
      expect(stub.requests.length).toBe(1);
    });

    it("does not fall back when the streaming host refuses the request", async () => {
      stub = await startHttpStub((_req, res) => sendJson(res, 400, { error: "messageIds must be an array" }));
      await as(alice).send({ to: "bob", body: "x" });
      const [message] = await as(bob).poll({ timeoutS: 1 });
      await expect(as(bob, stub.url).ack([message?.id ?? ""])).rejects.toMatchObject({ code: "CT_BAD_REQUEST", message: "messageIds must be an array" });
    });

    it("splits long id lists into several requests", async () => {
      stub = await startHttpStub((_req, res) => sendJson(res, 200, { success: true, acked: 0 }));
      const ids = Array.from({ length: 1200 }, (_, i) => `m${i}`);
      await createClawTellClient({ baseUrl: stub.url, apiKey: "k" }).ack(ids);
      expect(stub.bodies.map((b) => (JSON.parse(b) as { messageIds: string[] }).messageIds.length)).toEqual([500, 500, 200]);
    });
  });
});

describe("client retry policy against a loopback stub", () => {
  let stub: HttpStub;
  afterEach(async () => stub.close());

  it("retries 429 after Retry-After (seconds, then HTTP date) and a 5xx storm, but not a 4xx", async () => {
    let calls = 0;
    stub = await startHttpStub((req, res) => {
      calls++;
      if (req.url?.startsWith("/api/me") !== true) return sendJson(res, 400, { error: "bad" });
      if (calls === 1) return sendJson(res, 429, { error: "slow down" }, { "retry-after": "1" });
      if (calls === 2) return sendJson(res, 429, { error: "slow down" }, { "retry-after": new Date(Date.now() + 2000).toUTCString() });
      if (calls <= 4) return sendJson(res, 503, { error: "busy" });
      return sendJson(res, 200, ME_BODY);
    });
    const client = createClawTellClient({ baseUrl: stub.url, apiKey: "k" });
    const clock = recordingClock();
    expect(await withRetry(() => client.me(), { attempts: 6, clock, random: () => 0.5 })).toMatchObject({ name: "bob" });
    expect(clock.waits[0]).toBe(1000);
    // An HTTP date has whole seconds: between one and two seconds from now.
    expect(clock.waits[1]).toBeGreaterThan(900);
    expect(clock.waits[1]).toBeLessThanOrEqual(2000);
    expect(clock.waits.slice(2)).toEqual([4000, 8000]);
    calls = 100;
    await expect(withRetry(() => client.lookup("x"), { clock })).rejects.toMatchObject({ code: "CT_BAD_REQUEST" });
    expect(calls).toBe(101);
  });

  it("gives up after the last attempt of a 429 storm with the server's Retry-After on the error", async () => {
    stub = await startHttpStub((_req, res) => sendJson(res, 429, { error: "slow down" }, { "retry-after": "3" }));
    const client = createClawTellClient({ baseUrl: stub.url, apiKey: "k" });
    const clock = recordingClock();
    await expect(withRetry(() => client.send({ to: "bob", body: "x" }), { attempts: 3, clock })).rejects.toMatchObject({
      code: "CT_RATE_LIMITED",
      status: 429,
      retryAfterMs: 3000,
    });
    expect(clock.waits).toEqual([3000, 3000]);
    expect(stub.requests.length).toBe(3);
  });

  it("keeps 5xx apart from a refusal and reads the error text of the body", async () => {
    stub = await startHttpStub((req, res) => {
      if (req.url === "/api/me") return sendJson(res, 502, { error: "bad gateway" });
      res.writeHead(500, { "content-type": "text/html" });
      res.end("<h1>oops</h1>");
    });
    const client = createClawTellClient({ baseUrl: stub.url, apiKey: "k" });
    await expect(client.me()).rejects.toMatchObject({ code: "CT_API_SERVER_ERROR", status: 502, message: "bad gateway", retryable: true });
    await expect(client.lookup("x")).rejects.toMatchObject({ code: "CT_API_SERVER_ERROR", status: 500, message: "HTTP 500" });
  });
});
