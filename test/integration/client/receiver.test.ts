import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient, startReceiver, type ReceiverHandle } from "../../../src/client/index.js";
import { createSilentLogger, systemClock } from "../../../src/infra/index.js";
import type { Message } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { sendJson, startHttpStub, waitFor, type HttpStub } from "../../helpers/http-stub.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("receiver", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let receiver: ReceiverHandle | undefined;
  let stub: HttpStub | undefined;
  const received: Message[] = [];

  beforeEach(async () => {
    server = await startTestServer({ keepaliveMs: 100 });
    alice = await server.createName("alice", "a@example.com");
    bob = await server.createName("bob", "b@example.com");
    received.length = 0;
  });
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
    await stub?.close();
    stub = undefined;
    await server.close();
  });

  const send = (body: string, to = "bob") => createClawTellClient({ baseUrl: server.url, apiKey: alice.apiKey }).send({ to, body });
  const bodies = () => received.map((m) => m.body);
  const start = (overrides: Partial<Parameters<typeof startReceiver>[0]> = {}) => {
    const client = createClawTellClient({ baseUrl: server.url, apiKey: bob.apiKey });
    receiver = startReceiver({
      client,
      accountLevel: true,
      transport: "sse",
      onMessages: async (messages) => {
        received.push(...messages);
        await client.ack(messages.map((m) => m.id));
      },
      clock: systemClock,
      logger: createSilentLogger(),
      streamTimeoutS: 1,
      maxBackoffMs: 50,
      ...overrides,
    });
    return receiver;
  };

  it("receives over the stream, in order, across stream rotations", async () => {
    const r = start();
    await send("one");
    await send("two");
    await waitFor(() => received.length === 2);
    await new Promise((res) => setTimeout(res, 1200)); // the server rotates the stream after 1 s
    await send("three");
    await waitFor(() => received.length === 3);
    expect(bodies()).toEqual(["one", "two", "three"]);
    expect(r.state()).toMatchObject({ mode: "sse", connected: true });
  });

  it("resumes after the server goes away, without a gap", async () => {
    start();
    await send("before");
    await waitFor(() => received.length === 1);
    await server.stop();
    await expect(send("lost")).rejects.toMatchObject({ code: "CT_API_UNREACHABLE" });
    await server.restart();
    await send("after");
    await waitFor(() => received.length === 2, 10_000);
    expect(bodies()).toEqual(["before", "after"]);
  });

  it("falls back to long polling when the stream keeps failing, and returns to it", async () => {
    stub = await startHttpStub((_req, res) => sendJson(res, 503, { error: "stream host down" }));
    const client = createClawTellClient({ baseUrl: server.url, sseUrl: stub.url, apiKey: bob.apiKey });
    const r = start({ client, fallbackDurationMs: 1500, pollTimeoutS: 1 });
    await waitFor(() => r.state().mode === "fallback-longpoll");
    await send("via poll");
    await waitFor(() => received.length === 1);
    expect(stub.requests.length).toBe(3);
    // The stream host comes back: after the fallback period the receiver uses it again.
    stub.setHandler((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`event: connected\ndata: {"name":"bob","accountId":"x","timeout":1,"lastEventId":null}\n\n`);
      setTimeout(() => res.end("event: timeout\ndata: \n\n"), 200);
      req.on("close", () => res.end());
    });
    await waitFor(() => r.state().mode === "sse" && r.state().connected, 8000);
  });

  it("reports a rejected key as a configuration error instead of hammering", async () => {
    const client = createClawTellClient({ baseUrl: server.url, apiKey: "claw_0000000000_wrongwrongwrongwrong" });
    const r = start({ client, authRetryMs: 60_000 });
    await waitFor(() => r.state().mode === "config_error");
    expect(r.state().lastError).toMatchObject({ code: "CT_AUTH_FAILED" });
  });

  it("pulls nothing while paused, and takes everything after", async () => {
    let paused = true;
    start({ transport: "longpoll", pollTimeoutS: 1, isPaused: () => paused });
    await send("held");
    await new Promise((res) => setTimeout(res, 300));
    expect(received).toEqual([]);
    paused = false;
    await waitFor(() => received.length === 1);
  });

  it("leaves messages on the server when the daemon does not take them", async () => {
    let failing = true;
    const client = createClawTellClient({ baseUrl: server.url, apiKey: bob.apiKey });
    start({
      transport: "longpoll",
      pollTimeoutS: 1,
      onMessages: async (messages) => {
        if (failing) throw new Error("disk full");
        received.push(...messages);
        await client.ack(messages.map((m) => m.id));
      },
    });
    await send("kept");
    await new Promise((res) => setTimeout(res, 300));
    failing = false;
    // Unacked, it comes back after the server's visibility timeout (60 s by default; a restart drops leases).
    await server.restart();
    await waitFor(() => received.length === 1, 10_000);
    expect(bodies()).toEqual(["kept"]);
  });
});
