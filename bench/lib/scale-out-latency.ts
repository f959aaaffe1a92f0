/**
 * Send → receive latency for the scale-out benchmark: a paced sender through one server process, and two receivers
 * on a server process (the same or another): bob by long poll (acking each batch in the background, as the daemon
 * does) and carol by SSE stream (acking each message). Messages alternate between bob and carol. The receivers run
 * in a process of their own (scale-out-receivers.ts), so a receive time is not late behind the sender's own work;
 * both processes read the same wall clock (`performance.timeOrigin + performance.now()`).
 */
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Pool } from "undici";
import { spawnUntil } from "./children.js";
import { cpuUseBetween, snapshotCpu, type CpuSnapshot, type CpuUse, type Role } from "./cpu-use.js";
import { percentile, requestJson, watchOwnEventLoop } from "./harness.js";
import type { Keys } from "./scale-out-targets.js";

/**
 * The paced sender's connections: a send issued while all are busy waits in the generator, and that wait counts in
 * its latency (`queuedSends` says how many did). 64 were used until December 2026: under load a commit took 50–100 ms,
 * 500 sends a second then needed more than 64 at once, and the queue grew for the rest of the phase (seconds).
 */
const SENDER_CONNECTIONS = 256;
const ROOT = resolve(import.meta.dirname, "../..");
/** The sampling interval of the sender's event-loop histogram (harness.ts); lateness is what goes beyond it. */
const LOOP_RESOLUTION_MS = 5;
/** Seconds of sends at the rate before the counted ones (BENCH_WARM_SECONDS). */
export const WARM_SECONDS = Number(process.env["BENCH_WARM_SECONDS"] ?? 2);

export interface LatencyRun {
  /** Send issued → received, ms, sorted: by long poll (bob), by stream (carol), both. */
  poll: number[];
  stream: number[];
  all: number[];
  /** Send issued → its 200 (stored in PostgreSQL), ms, sorted. */
  send: number[];
  expected: number;
  /**
   * Messages received a second time (a stream that reconnects is sent again what it had not acked yet: its acks were
   * still on their way). Only the first arrival of a message counts in the latencies.
   */
  again: number;
  /** Sends issued while every sender connection was busy (they waited in the generator), and the most waiting at once. */
  queuedSends: number;
  maxQueued: number;
  /** How late the sender's and the receivers' event loops ran at p99, ms (beyond the sampling interval). */
  senderLoopLateP99Ms: number;
  receiverLoopLateP99Ms: number;
  /** Where the machine's CPU went from the first counted send to the last one's answer. */
  cpu: CpuUse;
}

interface Received {
  poll: Array<[string, number]>;
  stream: Array<[string, number]>;
  loopLateP99Ms: number;
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
export async function measureLatency(
  senderUrl: string,
  receiverUrl: string,
  keys: Keys,
  rate: number,
  seconds: number,
  /** Started halfway through the warm-up, and awaited with the sends. */
  midWarm?: () => Promise<void>,
  /** Processes whose CPU is told apart (besides the sender's and the receivers' own, and PostgreSQL's). */
  cpuRoles: ReadonlyMap<string, Role> = new Map(),
): Promise<LatencyRun> {
  // Paced (open loop): enough connections that a send never waits for a free one at 500 msg/s even when the server
  // answers in 500 ms, so send → 200 is the server's time, not a queue in the generator (16 connections capped the
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

  const dir = mkdtempSync(join(tmpdir(), "clawtell-receivers-"));
  const outFile = join(dir, "received.json");
  const receivers = await spawnUntil(process.execPath, ["--import", "tsx", join(ROOT, "bench/lib/scale-out-receivers.ts"), receiverUrl, keys.poller, keys.streamer, outFile], /ready/, {
    cwd: ROOT,
    stdin: "pipe",
  });
  try {
    const sentAt = new Map<string, number>();
    let loop = watchOwnEventLoop();
    const total = rate * seconds;
    // The first `warm` sends run the same way but are not counted: the run measures the steady state, not the
    // sender's connections opening, the receivers' first requests and the servers' code compiling.
    const warm = Math.round(rate * WARM_SECONDS);
    const sendTimes: number[] = [];
    const sendTook: number[] = [];
    let queuedSends = 0;
    let maxQueued = 0;
    const sends: Array<Promise<unknown>> = [];
    const roles = new Map<string, Role>([
      ["postgres", { command: "postgres" }],
      ...cpuRoles,
      ["sender", { pids: [process.pid] }],
      ["receivers", { pids: [receivers.child.pid ?? 0] }],
    ]);
    let cpuBefore: CpuSnapshot | undefined;
    let countedFrom = 0;
    const start = performance.now();
    for (let j = 0; j < warm + total; j++) {
      const wait = start + (j * 1000) / rate - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const i = j - warm;
      if (i === 0) {
        loop.stop();
        loop = watchOwnEventLoop();
        // A few milliseconds: the sends due meanwhile go out right after it.
        cpuBefore = snapshotCpu(roles);
        countedFrom = performance.now();
      }
      if (i < 0) {
        if (j === Math.floor(warm / 2) && midWarm !== undefined) sends.push(midWarm());
        sends.push(requestJson(pool, "POST", "/api/messages/send", sender, { to: j % 2 === 0 ? "bob" : "carol", body: `warm-${j}` }));
        continue;
      }
      const body = `latency-${i}`;
      const waiting = pool.stats.size - SENDER_CONNECTIONS + 1;
      if (waiting > 0) {
        queuedSends++;
        maxQueued = Math.max(maxQueued, waiting);
      }
      const issued = performance.now();
      sentAt.set(body, performance.timeOrigin + issued);
      sends.push(
        requestJson(pool, "POST", "/api/messages/send", sender, { to: i % 2 === 0 ? "bob" : "carol", body }).then(() => {
          const took = performance.now() - issued;
          sendTimes.push(took);
          sendTook[i] = took;
        }),
      );
    }
    await Promise.all(sends);
    const cpuAfter = snapshotCpu(roles);
    const cpu = cpuUseBetween(cpuBefore ?? cpuAfter, cpuAfter, performance.now() - countedFrom);
    const senderLoop = loop.stop();
    const exited = once(receivers.child, "exit");
    receivers.child.stdin?.write(`expect ${warm + total}\n`);
    await exited;
    const received = JSON.parse(readFileSync(outFile, "utf8")) as Received;
    const seen = new Set<string>();
    let again = 0;
    const latencies = (list: Array<[string, number]>): number[] =>
      list.flatMap(([body, at]) => {
        const issued = sentAt.get(body);
        if (issued === undefined) return [];
        if (seen.has(body)) {
          again++;
          return [];
        }
        seen.add(body);
        return [at - issued];
      });
    const dump = process.env["BENCH_LATENCY_DUMP"];
    if (dump !== undefined) {
      const arrived = new Map([...received.poll, ...received.stream]);
      const lines = [...sentAt].map(([body, issued], i) => `${i} ${(issued - performance.timeOrigin - start).toFixed(1)} ${((arrived.get(body) ?? Number.NaN) - issued).toFixed(1)} ${(sendTook[i] ?? Number.NaN).toFixed(1)}`);
      writeFileSync(`${dump}-${receiverUrl === senderUrl ? "same" : "cross"}.txt`, `${lines.join("\n")}\n`);
    }
    const poll = latencies(received.poll);
    const stream = latencies(received.stream);
    const sorted = (values: number[]): number[] => [...values].sort((x, y) => x - y);
    return {
      poll: sorted(poll),
      stream: sorted(stream),
      all: sorted([...poll, ...stream]),
      send: sorted(sendTimes),
      expected: total,
      again,
      queuedSends,
      maxQueued,
      senderLoopLateP99Ms: Math.max(0, senderLoop.p99Ms - LOOP_RESOLUTION_MS),
      receiverLoopLateP99Ms: received.loopLateP99Ms,
      cpu,
    };
  } finally {
    await receivers.stop();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const p = (sorted: readonly number[], q: number): number => percentile(sorted, q);
