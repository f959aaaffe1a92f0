/**
 * A child process of the scale-out latency benchmark (scale-out-latency.ts): the two receivers, so that the receive
 * times are taken in a process of their own and not behind the paced sender's work (its sends, their answers, the
 * load generator's timers). bob receives by long poll (acking each batch in the background, as the daemon does), carol
 * by SSE stream (acking each message). Times are wall-clock milliseconds with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), comparable with the sender's in another process on the same host.
 * Run through tsx: `node --import tsx bench/lib/scale-out-receivers.ts <url> <poller key> <streamer key> <out file>`.
 * Prints `ready` once carol's stream is connected. Reads `expect <n>` on stdin (sent once the sends are done): when n
 * distinct messages have arrived, or 5 s later, it stops the receivers, waits for its acks, writes JSON to the out file
 * (`{ poll: [[body, ms]…], stream: […], loopLateP99Ms }`) and exits. Exits too when its parent goes away (stdin closes).
 */
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { createParser } from "eventsource-parser";
import { Pool } from "undici";
import { requestJson } from "./request-json.js";

const [url = "", pollerKey = "", streamerKey = "", outFile = ""] = process.argv.slice(2);
const DRAIN_DEADLINE_MS = 5000;
const LOOP_RESOLUTION_MS = 5;

type Received = Array<[string, number]>;
const poll: Received = [];
const stream: Received = [];
/** Bodies received at least once (a message may arrive again: see scale-out-latency.ts). */
const distinct = new Set<string>();
const wall = (): number => performance.timeOrigin + performance.now();

function pollReceiver(): { stop(): Promise<void> } {
  const pool = new Pool(url, { connections: 4 });
  let receiving = true;
  const acks: Array<Promise<unknown>> = [];
  const running = (async () => {
    while (receiving) {
      const res = await requestJson(pool, "GET", "/api/messages/poll?timeout=1&limit=100", pollerKey);
      const at = wall();
      const messages = res["messages"] as Array<{ id: string; body: string }>;
      for (const m of messages) {
        poll.push([m.body, at]);
        distinct.add(m.body);
      }
      if (messages.length > 0) acks.push(requestJson(pool, "POST", "/api/messages/ack", pollerKey, { messageIds: messages.map((m) => m.id) }));
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

function streamReceiver(): { ready: Promise<void>; stop(): Promise<void> } {
  const pool = new Pool(url, { connections: 4 });
  const abort = new AbortController();
  const acks: Array<Promise<unknown>> = [];
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const running = (async () => {
    // The server ends a stream after `limit` message events; a reader connects again, as every client does.
    while (!abort.signal.aborted) {
      const response = await fetch(`${url}/v1/stream?timeout=600&limit=1000`, { headers: { authorization: `Bearer ${streamerKey}` }, signal: abort.signal });
      const parser = createParser({
        onEvent(event) {
          if (event.event === "connected") markReady();
          if (event.event !== "message") return;
          const at = wall();
          const message = JSON.parse(event.data) as { id: string; body: string };
          stream.push([message.body, at]);
          distinct.add(message.body);
          acks.push(requestJson(pool, "POST", "/v1/ack", streamerKey, { messageIds: [message.id] }));
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

const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
const bob = pollReceiver();
const carol = streamReceiver();
await carol.ready;
loop.enable();
process.stdout.write("ready\n");

const lines = createInterface({ input: process.stdin });
let finishing = false;
lines.on("line", (line) => {
  const match = /^expect (\d+)$/.exec(line);
  if (match === null || finishing) return;
  finishing = true;
  void finish(Number(match[1]));
});
lines.on("close", () => {
  if (!finishing) process.exit(1);
});

async function finish(expected: number): Promise<void> {
  const deadline = Date.now() + DRAIN_DEADLINE_MS;
  while (distinct.size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  loop.disable();
  await Promise.all([bob.stop(), carol.stop()]);
  // The histogram counts each sampling interval whole: lateness is what goes beyond it.
  const loopLateP99Ms = Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS);
  writeFileSync(outFile, JSON.stringify({ poll, stream, loopLateP99Ms }));
  process.exit(0);
}
