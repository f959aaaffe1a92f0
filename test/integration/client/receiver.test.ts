import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient, startReceiver, type ClawTellClient, type ReceiverHandle, type ReceiverOptions } from "../../../src/client/index.js";
import { createSilentLogger, systemClock, type Clock } from "../../../src/infra/index.js";
import type { Message } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";
import { connectedEvent, openSse, pause, proxyTo, sendJson, sseEvent, startHttpStub, waitFor, wireMessage, type LoopbackStub } from "./loopback-stub.js";

/** The real clock, except that waits are written down and last at most 5 ms. */
function hurriedClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      waits.push(ms);
      await systemClock.sleep(Math.min(ms, 5), signal);
    },
  };
}

/** A stream host that ends each connection cleanly after `holdMs`. */
const healthyStream = (holdMs = 100) => (_req: unknown, res: import("node:http").ServerResponse) => {
  openSse(res);
  res.write(connectedEvent());
  const timer = setTimeout(() => res.end(sseEvent("timeout", "")), holdMs);
  res.on("close", () => clearTimeout(timer));
};

describe("receiver", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let receiver: ReceiverHandle | undefined;
  let stub: LoopbackStub | undefined;
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
  const bobClient = (sseUrl?: string): ClawTellClient =>
    createClawTellClient({ baseUrl: server.url, apiKey: bob.apiKey, ...(sseUrl === undefined ? {} : { sseUrl }) });
  const start = (overrides: Partial<ReceiverOptions> = {}) => {
    const client = overrides.client ?? bobClient();
    receiver = startReceiver({
      client,
      account: true,
      transport: "sse",
      // As the daemon does: a batch counts as taken once it is acked (a failed ack leaves it to be delivered again).
      onMessages: async (messages) => {
        await client.ack(messages.map((m) => m.id));
        received.push(...messages);
      },
      clock: systemClock,
      logger: createSilentLogger(),
      streamTimeoutS: 5,
      maxBackoffMs: 50,
      ...overrides,
    });
    return receiver;
  };

  it("receives over the stream, in order, across stream rotations", async () => {
    const r = start({ batchLimit: 2 });
    await send("one");
    await send("two");
    await waitFor(() => received.length === 2);
    // The server ended that connection after `limit` messages; the next one carries on.
    await send("three");
    await waitFor(() => received.length === 3);
    expect(bodies()).toEqual(["one", "two", "three"]);
    expect(r.state()).toMatchObject({ transport: "sse", connected: true, consecutiveFailures: 0 });
    expect(r.state().lastMessageAt).toBeGreaterThan(0);
  });

  it("resumes after the server restarts on the same port and data, without a gap", async () => {
    start();
    await send("before");
    await waitFor(() => received.length === 1);
    await server.restart();
    await send("after");
    await waitFor(() => received.length === 2, 10_000);
    expect(bodies()).toEqual(["before", "after"]);
  });

  it("gets back at once what the daemon refused, by resuming with Last-Event-ID", async () => {
    let refuseOnce = true;
    const client = bobClient();
    start({
      client,
      onMessages: async (messages) => {
        if (messages.some((m) => m.body === "two") && refuseOnce) {
          refuseOnce = false;
          throw new Error("disk busy");
        }
        received.push(...messages);
        await client.ack(messages.map((m) => m.id));
      },
    });
    await send("one");
    await waitFor(() => received.length === 1);
    await send("two");
    // The server hides a handed-out message for 60 s; only the resume brings it back within this wait.
    await waitFor(() => received.length === 2, 5000);
    expect(bodies()).toEqual(["one", "two"]);
    expect(receiver?.state().lastError).toMatchObject({ message: "disk busy" });
  });

  it("reconnects after a dropped stream with the id of the last message handed on, handing each message on once", async () => {
    const headers: Array<string | undefined> = [];
    stub = await startHttpStub((req, res) => {
      headers.push(req.headers["last-event-id"] as string | undefined);
      openSse(res);
      if (headers.length === 1) {
        res.write(connectedEvent() + sseEvent("message", wireMessage("m1")) + sseEvent("message", wireMessage("m1")));
        setTimeout(() => res.socket?.destroy(), 20);
      } else {
        res.write(connectedEvent("m1") + sseEvent("message", wireMessage("m2")));
        res.on("close", () => undefined);
      }
    });
    const calls: string[][] = [];
    const r = start({
      client: bobClient(stub.url),
      onMessages: async (messages) => {
        calls.push(messages.map((m) => m.id));
        received.push(...messages);
      },
    });
    await waitFor(() => received.length === 2);
    expect(calls).toEqual([["m1"], ["m2"]]);
    expect(headers).toEqual([undefined, "m1"]);
    expect(r.state()).toMatchObject({ transport: "sse", connected: true, consecutiveFailures: 0 });
  });

  it("counts a stream that ends without `timeout` as a failure, and backs off", async () => {
    stub = await startHttpStub((_req, res) => {
      openSse(res);
      res.end(connectedEvent());
    });
    const clock = hurriedClock();
    const r = start({ client: bobClient(stub.url), clock, random: () => 0.5, maxBackoffMs: 30_000, fallbackAfterFailures: 10 });
    await waitFor(() => r.state().consecutiveFailures >= 3);
    expect(clock.waits.filter((ms) => ms < 100_000).slice(0, 3)).toEqual([2000, 4000, 6000]);
    expect(r.state().lastError?.code).toBe("CT_API_UNREACHABLE");
  });

  it("falls back to long polling when the stream keeps failing, and returns to it", async () => {
    stub = await startHttpStub((_req, res) => sendJson(res, 503, { error: "stream host down" }));
    // The fallback period is long enough for a poll to happen inside it on a busy machine; the test then waits it out.
    const r = start({ client: bobClient(stub.url), fallbackDurationMs: 3_000, pollTimeoutS: 1 });
    await waitFor(() => r.state().transport === "fallback-longpoll");
    expect(stub.requests.length).toBe(3);
    await send("via poll");
    await waitFor(() => received.length === 1);
    expect(r.state()).toMatchObject({ transport: "fallback-longpoll", connected: true });
    // The stream host comes back (a proxy to the real server): after the fallback period the receiver uses it again.
    stub.setHandler(proxyTo(server.url));
    await waitFor(() => r.state().transport === "sse" && r.state().connected, 15_000);
    await send("via stream");
    await waitFor(() => received.length === 2);
    expect(bodies()).toEqual(["via poll", "via stream"]);
    expect(stub.requests.filter((q) => q.url.startsWith("/v1/stream")).length).toBeGreaterThan(3);
  });

  it("waits as long as Retry-After says on 429 and does not fall back for it", async () => {
    stub = await startHttpStub((_req, res) => {
      if (stub !== undefined && stub.requests.length <= 4) return sendJson(res, 429, { error: "slow down" }, { "retry-after": "7" });
      healthyStream()(_req, res);
    });
    const clock = hurriedClock();
    const transports = new Set<string>();
    const r = start({ client: bobClient(stub.url), clock });
    await waitFor(() => {
      transports.add(r.state().transport);
      return r.state().connected;
    });
    expect(clock.waits.filter((ms) => ms === 7000).length).toBe(4);
    expect([...transports]).not.toContain("fallback-longpoll");
  });

  it("reports a rejected key as a configuration error instead of hammering, and recovers when it works again", async () => {
    stub = await startHttpStub((_req, res) => sendJson(res, 401, { error: "Invalid API key" }));
    const clock = hurriedClock();
    const r = start({ client: bobClient(stub.url), clock });
    await waitFor(() => r.state().transport === "config_error");
    expect(r.state()).toMatchObject({ connected: false, lastError: { code: "CT_AUTH_FAILED", message: "Invalid API key" } });
    await waitFor(() => clock.waits.includes(300_000));
    // One slow wait after each refusal, never a fallback to polling with the same bad key.
    expect(clock.waits.filter((ms) => ms < 100_000 && ms !== 200)).toEqual([]);
    stub.setHandler(healthyStream());
    await waitFor(() => r.state().transport === "sse" && r.state().connected);
  });

  it("pulls nothing while onMessages runs, then carries on", async () => {
    let release: () => void = () => undefined;
    let running = 0;
    let maxRunning = 0;
    const client = bobClient();
    start({
      client,
      onMessages: async (messages) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (messages.some((m) => m.body === "slow")) await new Promise<void>((r) => (release = r));
        received.push(...messages);
        await client.ack(messages.map((m) => m.id));
        running--;
      },
    });
    await send("slow");
    await waitFor(() => running === 1);
    await send("next 1");
    await send("next 2");
    await pause(100);
    expect(received).toEqual([]);
    release();
    await waitFor(() => received.length === 3);
    expect(bodies()).toEqual(["slow", "next 1", "next 2"]);
    expect(maxRunning).toBe(1);
  });

  for (const transport of ["sse", "longpoll"] as const) {
    it(`pulls nothing while paused by pause() or isPaused (${transport}), and takes everything after`, async () => {
      let pausedByDaemon = true;
      const r = start({ transport, pollTimeoutS: 1, isPaused: () => pausedByDaemon, pauseCheckMs: 10 });
      await send("held");
      await pause(100);
      expect(received).toEqual([]);
      expect(r.state().paused).toBe(true);
      pausedByDaemon = false;
      await waitFor(() => received.length === 1);
      r.pause();
      await send("held again");
      await pause(100);
      expect(bodies()).toEqual(["held"]);
      r.resume();
      await waitFor(() => received.length === 2);
      expect(r.state().paused).toBe(false);
    });

    it(`receives only the key's own name when not account-level (${transport})`, async () => {
      await server.createName("helper", "b@example.com");
      start({ transport, account: false, pollTimeoutS: 1 });
      await send("for helper", "helper");
      await send("for bob");
      await waitFor(() => received.length === 1);
      await pause(100);
      expect(bodies()).toEqual(["for bob"]);
      expect(receiver?.state().transport).toBe(transport);
    });
  }

  it("leaves messages on the server when the daemon does not take them", async () => {
    let failing = true;
    const client = bobClient();
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
    await waitFor(() => receiver?.state().lastError?.message === "disk full");
    failing = false;
    // Unacked, it comes back after the server's visibility timeout (60 s by default; a restart drops leases).
    await server.restart();
    await waitFor(() => received.length === 1, 10_000);
    expect(bodies()).toEqual(["kept"]);
  });

  it("stops promptly from stop() or its signal, even in the middle of a held poll or stream", async () => {
    for (const transport of ["longpoll", "sse"] as const) {
      const controller = new AbortController();
      const r = start({ transport, pollTimeoutS: 30, streamTimeoutS: 30, signal: controller.signal });
      await waitFor(() => r.state().connected || transport === "longpoll");
      await pause(50);
      const started = Date.now();
      controller.abort();
      await waitFor(() => r.state().transport === "stopped");
      await r.stop();
      expect(Date.now() - started).toBeLessThan(15_000); // a held poll or stream would run 30 s;
    }
    receiver = undefined;
  });
});
