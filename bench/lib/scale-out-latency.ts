/**
 * Send → receive latency for the scale-out benchmark: a paced sender through one server process, and two receivers
 * on a server process (the same or another): bob by long poll (acking each batch in the background, as the daemon
 * does) and carol by SSE stream (acking each message). Messages alternate between bob and carol.
 */
import { createParser } from "eventsource-parser";
import { Pool } from "undici";
import { percentile, requestJson, watchOwnEventLoop } from "./harness.js";
import type { Keys } from "./scale-out-targets.js";

const DRAIN_DEADLINE_MS = 5000;
const SENDER_CONNECTIONS = 64;

export interface LatencyRun {
  /** Send issued → received, ms, sorted: by long poll (bob), by stream (carol), both. */
  poll: number[];
  stream: number[];
  all: number[];
  /** Send issued → its 200 (stored in PostgreSQL), ms, sorted. */
  send: number[];
  expected: number;
  generatorLoopP99Ms: number;
}

type OnReceived = (body: string) => void;

function pollReceiver(url: string, key: string, onReceived: OnReceived): { stop(): Promise<void> } {
  const pool = new Pool(url, { connections: 4 });
  let receiving = true;
  const acks: Array<Promise<unknown>> = [];
  const running = (async () => {
    while (receiving) {
      const res = await requestJson(pool, "GET", "/api/messages/poll?timeout=1&limit=100", key);
      const messages = res["messages"] as Array<{ id: string; body: string }>;
      for (const m of messages) onReceived(m.body);
      if (messages.length > 0) acks.push(requestJson(pool, "POST", "/api/messages/ack", key, { messageIds: messages.map((m) => m.id) }));
    }
    await Promise.all(acks);
  })();
  return {
    async stop() {
      receiving = false;
      await running;
      await pool.close();
    },
  };
}

function streamReceiver(url: string, key: string, onReceived: OnReceived): { ready: Promise<void>; stop(): Promise<void> } {
  const pool = new Pool(url, { connections: 4 });
  const abort = new AbortController();
  const acks: Array<Promise<unknown>> = [];
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const running = (async () => {
    // The server ends a stream after `limit` message events; a reader connects again, as every client does.
    while (!abort.signal.aborted) {
      const response = await fetch(`${url}/v1/stream?timeout=600&limit=1000`, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal });
      const parser = createParser({
        onEvent(event) {
          if (event.event === "connected") markReady();
          if (event.event !== "message") return;
          const message = JSON.parse(event.data) as { id: string; body: string };
          onReceived(message.body);
          acks.push(requestJson(pool, "POST", "/v1/ack", key, { messageIds: [message.id] }));
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  });
  return {
    ready,
    async stop() {
      abort.abort();
      await running;
      await Promise.all(acks);
      await pool.close();
    },
  };
}

/** Takes what waits for `key` (warm-up messages) so the timed run starts empty. */
async function drain(pool: Pool, key: string): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const res = await requestJson(pool, "GET", "/api/messages/poll?timeout=0&limit=100", key);
    const ids = (res["messages"] as Array<{ id: string }>).map((m) => m.id);
    if (ids.length === 0) return;
    await requestJson(pool, "POST", "/api/messages/ack", key, { messageIds: ids });
  }
}

/** `rate` msg/s for `seconds` through `senderUrl`; bob and carol receive on `receiverUrl`. */
export async function measureLatency(senderUrl: string, receiverUrl: string, keys: Keys, rate: number, seconds: number): Promise<LatencyRun> {
  // Paced (open loop): enough connections that a send never waits for a free one at 500 msg/s even when the server
  // answers in 100 ms, so send → 200 is the server's time, not a queue in the generator (16 connections capped the
  // generator at 16 / latency sends a second, and a slow spell turned into a backlog of seconds).
  const pool = new Pool(senderUrl, { connections: SENDER_CONNECTIONS });
  const receiverPool = new Pool(receiverUrl, { connections: 2 });
  const sender = keys.senders[0] ?? "";
  // Warm-up: every key's one slow check on both processes, the pools' connections; then both inboxes empty.
  await requestJson(pool, "POST", "/api/messages/send", sender, { to: "bob", body: "warm-up" });
  await Promise.all(
    Array.from({ length: 16 }, (_, i) => requestJson(pool, "POST", "/api/messages/send", sender, { to: i % 2 === 0 ? "bob" : "carol", body: "warm-up" })),
  );
  await drain(receiverPool, keys.poller);
  await drain(receiverPool, keys.streamer);
  await receiverPool.close();

  const sentAt = new Map<string, number>();
  const poll: number[] = [];
  const stream: number[] = [];
  const record = (into: number[]) => (body: string) => {
    const started = sentAt.get(body);
    if (started !== undefined) into.push(performance.now() - started);
  };
  const bob = pollReceiver(receiverUrl, keys.poller, record(poll));
  const carol = streamReceiver(receiverUrl, keys.streamer, record(stream));
  await carol.ready;

  const loop = watchOwnEventLoop();
  const total = rate * seconds;
  const sendTimes: number[] = [];
  const sends: Array<Promise<unknown>> = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = `latency-${i}`;
    const issued = performance.now();
    sentAt.set(body, issued);
    sends.push(
      requestJson(pool, "POST", "/api/messages/send", sender, { to: i % 2 === 0 ? "bob" : "carol", body }).then(() => sendTimes.push(performance.now() - issued)),
    );
  }
  await Promise.all(sends);
  const deadline = performance.now() + DRAIN_DEADLINE_MS;
  while (poll.length + stream.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const generator = loop.stop();
  await Promise.all([bob.stop(), carol.stop()]);
  await pool.close();
  const sorted = (values: number[]): number[] => [...values].sort((x, y) => x - y);
  return {
    poll: sorted(poll),
    stream: sorted(stream),
    all: sorted([...poll, ...stream]),
    send: sorted(sendTimes),
    expected: total,
    generatorLoopP99Ms: generator.p99Ms,
  };
}

export const p = (sorted: readonly number[], q: number): number => percentile(sorted, q);
