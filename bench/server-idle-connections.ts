/**
 * Benchmarks (b) and (c): with 10 000 idle connections parked on the server (half long polls, half SSE streams;
 * the baseline, which has no SSE, holds 10 000 long polls), measure
 *   (b) send → receive latency p50/p99 at 500 msg/s (receiver on a long poll, acking each batch) — goal p99 ≤ 10 ms;
 *   (c) the server's RSS — goal ≤ 300 MB.
 */
import { Agent, request, type ClientRequest } from "node:http";
import { Pool } from "undici";
import { fmt, percentile, requestJson, rssMb, startBaseline, startClawTell, type BenchTarget } from "./lib/harness.js";

const IDLE = Number(process.env["BENCH_IDLE"] ?? 10_000);
const RATE = 500;
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 10);

interface Parked {
  close(): void;
  count(): number;
}

/** Opens `n` idle connections in ramps; each long poll is re-issued when it returns. */
async function parkIdle(target: BenchTarget, n: number, withStreams: boolean): Promise<Parked> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const url = new URL(target.url);
  const open = new Set<ClientRequest>();
  let stopped = false;
  let established = 0;
  const issue = (path: string, again: boolean): void => {
    if (stopped) return;
    const req = request(
      { host: url.hostname, port: url.port, path, agent, headers: { authorization: `Bearer ${target.idleKey}`, "content-type": "application/json" } },
      (res) => {
        established++;
        res.on("data", () => undefined);
        res.on("end", () => {
          open.delete(req);
          established--;
          if (again) issue(path, again);
        });
      },
    );
    req.on("error", () => open.delete(req));
    req.end();
    open.add(req);
  };
  for (let i = 0; i < n; i++) {
    const stream = withStreams && i % 2 === 1;
    issue(stream ? "/v1/stream?timeout=600" : "/api/messages/poll?timeout=30", !stream);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 150));
  }
  // Long polls answer only at their timeout; streams answer at once. Count sockets instead of responses.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const sockets = Object.values(agent.sockets).reduce((sum, list) => sum + (list?.length ?? 0), 0);
    if (sockets >= n) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    close() {
      stopped = true;
      for (const req of open) req.destroy();
      agent.destroy();
    },
    count: () => Object.values(agent.sockets).reduce((sum, list) => sum + (list?.length ?? 0), 0) + established * 0,
  };
}

async function measureLatency(target: BenchTarget): Promise<number[]> {
  const pool = new Pool(target.url, { connections: 16 });
  const receiverPool = new Pool(target.url, { connections: 4 });
  // Warm-up: each key pays its one bcrypt check, and both pools open their connections, before timing starts.
  await Promise.all(Array.from({ length: 16 }, () => requestJson(pool, "POST", "/api/messages/send", target.senderKey, { to: "bob", body: "warm-up" })));
  for (;;) {
    const warm = await requestJson(receiverPool, "GET", "/api/messages/poll?timeout=0&limit=100", target.receiverKey);
    const ids = (warm["messages"] as Array<{ id: string }>).map((m) => m.id);
    if (ids.length === 0) break;
    await requestJson(receiverPool, "POST", "/api/messages/ack", target.receiverKey, { messageIds: ids });
  }
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let receiving = true;
  const acks: Array<Promise<unknown>> = [];
  const receiver = (async () => {
    while (receiving) {
      const res = await requestJson(receiverPool, "GET", "/api/messages/poll?timeout=1&limit=100", target.receiverKey);
      const messages = res["messages"] as Array<{ id: string; body: string }>;
      const now = performance.now();
      for (const m of messages) {
        const started = sentAt.get(m.body);
        if (started !== undefined) latencies.push(now - started);
      }
      // Like the routing daemon, ack in the background and keep receiving.
      if (messages.length > 0) {
        acks.push(requestJson(receiverPool, "POST", "/api/messages/ack", target.receiverKey, { messageIds: messages.map((m) => m.id) }));
      }
    }
    await Promise.all(acks);
  })();
  const total = RATE * SECONDS;
  const start = performance.now();
  const sends: Array<Promise<unknown>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = `latency-${i}`;
    sentAt.set(body, performance.now());
    sends.push(requestJson(pool, "POST", "/api/messages/send", target.senderKey, { to: "bob", body }));
  }
  await Promise.all(sends);
  const deadline = performance.now() + 5000;
  while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  receiving = false;
  await receiver;
  await pool.close();
  await receiverPool.close();
  return latencies.sort((a, b) => a - b);
}

async function runOne(target: BenchTarget, withStreams: boolean): Promise<{ rssIdle: number; rssBefore: number; p50: number; p90: number; p99: number; max: number; parked: number; received: number }> {
  try {
    const rssBefore = await rssMb(target.pid);
    const parked = await parkIdle(target, IDLE, withStreams);
    const rssIdle = await rssMb(target.pid);
    const latencies = await measureLatency(target);
    const result = { rssBefore, rssIdle, parked: parked.count(), p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN, received: latencies.length };
    parked.close();
    return result;
  } finally {
    await target.stop();
  }
}

export async function runIdleConnectionsBench(): Promise<void> {
  const baseline = await runOne(await startBaseline(), false);
  const ours = await runOne(await startClawTell(), true);
  const line = (label: string, r: typeof ours): string =>
    `${label}: parked ${r.parked}, RSS ${fmt(r.rssBefore)} MB → ${fmt(r.rssIdle)} MB idle; latency at ${RATE} msg/s p50 ${fmt(r.p50, 2)} ms, p90 ${fmt(r.p90, 2)} ms, p99 ${fmt(r.p99, 2)} ms, max ${fmt(r.max, 2)} ms (${r.received}/${RATE * SECONDS} received)`;
  process.stdout.write(
    [
      `## (b) latency and (c) memory with ${IDLE} idle connections`,
      line("baseline (in-memory node:http, long polls only)", baseline),
      line("clawtell (half long polls, half SSE)", ours),
      `(b) p99 ${fmt(ours.p99, 2)} ms (goal <= 10 ms); ratio clawtell/baseline p99: ${fmt(ours.p99 / baseline.p99, 2)}`,
      `(c) RSS ${fmt(ours.rssIdle)} MB (goal <= 300 MB); ratio clawtell/baseline RSS: ${fmt(ours.rssIdle / baseline.rssIdle, 2)}`,
      "",
    ].join("\n"),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await runIdleConnectionsBench();
