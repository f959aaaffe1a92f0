/**
 * Benchmarks of the daemon's durable queue, each with a baseline measured in the same run:
 *   durable enqueue (batches of 50, as the receiver hands them over) vs one append + fsync per message — goal ≥ 5 000 msg/s;
 *   a 10 000-message backlog drained through an instant sink — goal ≥ 2 000 msg/s;
 *   received → sink called latency p99 at a steady rate — goal ≤ 20 ms;
 *   RSS with 10 000 messages queued — goal ≤ 150 MB (baseline: the same process before filling the queue).
 */
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDeliveryLoop, openQueueStore, type NewJob } from "../src/daemon/index.js";
import { parseChannelConfig, resolveAccounts } from "../src/config/index.js";
import { createSilentLogger, systemClock } from "../src/infra/index.js";
import { fmt, percentile } from "./lib/harness.js";

const N = 10_000;
const POLICY = { maxAttempts: 10, backoffBaseMs: 5000, backoffCapMs: 900_000, deadLetterMaxCount: 1000, deadLetterRetentionDays: 30 };
const logger = createSilentLogger();

const job = (i: number): NewJob => ({
  id: `m-${i}-${Math.random().toString(36).slice(2)}`,
  accountId: "default",
  recipient: "bob",
  routeKey: "bob",
  message: { id: `m-${i}`, from: `tell/sender-${i % 20}`, to_name: "bob", subject: "Message", body: "a typical short agent message of about eighty characters, give or take", createdAt: new Date().toISOString(), attachments: [] },
});

async function perMessageFsync(dir: string, count: number): Promise<number> {
  const handle = await open(join(dir, "baseline.log"), "a", 0o600);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await handle.write(`${JSON.stringify(job(i))}\n`);
    await handle.sync();
  }
  await handle.close();
  return (count / (performance.now() - started)) * 1000;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "clawtell-qbench-"));
  try {
    const rssStart = process.memoryUsage().rss / 2 ** 20;
    const baseline = await perMessageFsync(dir, 2000);
    const store = await openQueueStore({ path: join(dir, "queue.json"), policy: POLICY, logger });
    let started = performance.now();
    for (let i = 0; i < N; i += 50) await store.enqueueMany(Array.from({ length: 50 }, (_, k) => job(i + k)));
    const enqueueRate = (N / (performance.now() - started)) * 1000;
    const rssQueued = process.memoryUsage().rss / 2 ** 20;

    const [account] = resolveAccounts(parseChannelConfig({ name: "bob", apiKey: "k", routing: { _default: { webhook: { url: "http://127.0.0.1:9/x" }, forward: false } } }));
    if (account === undefined) throw new Error("no account");
    let delivered = 0;
    const latencies: number[] = [];
    const enqueuedAt = new Map<string, number>();
    const instant = { deliver: async ({ message }: { message: { id: string } }) => {
      const at = enqueuedAt.get(message.id);
      if (at !== undefined) latencies.push(performance.now() - at);
    } };
    started = performance.now();
    const loop = startDeliveryLoop({ queue: store, account: () => account, sinks: { webhook: instant }, clock: systemClock, logger, onSettled: () => void delivered++ });
    while (store.pendingCount() > 0) await new Promise((r) => setTimeout(r, 5));
    const drainRate = (N / (performance.now() - started)) * 1000;

    // Steady flow: 200 msg/s arriving in small batches; latency from "received" to "sink called".
    for (let i = 0; i < 1000; i++) {
      const j = job(N + i);
      enqueuedAt.set(j.message.id, performance.now());
      await store.enqueueMany([j]);
      loop.wake();
      await new Promise((r) => setTimeout(r, 5));
    }
    while (store.pendingCount() > 0) await new Promise((r) => setTimeout(r, 5));
    await loop.stop();
    await store.close();
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      [
        "## daemon queue",
        `durable enqueue: ${fmt(enqueueRate, 0)} msg/s (goal >= 5000); baseline one append+fsync per message: ${fmt(baseline, 0)} msg/s; ratio ${fmt(enqueueRate / baseline, 1)}`,
        `backlog of ${N} drained through an instant sink: ${fmt(drainRate, 0)} msg/s (goal >= 2000); ratio to the enqueue baseline ${fmt(drainRate / baseline, 1)}`,
        `received -> sink called: p50 ${fmt(percentile(latencies, 50), 2)} ms, p99 ${fmt(percentile(latencies, 99), 2)} ms (goal <= 20 ms), ${latencies.length} samples`,
        `RSS: ${fmt(rssStart)} MB at start, ${fmt(rssQueued)} MB with ${N} queued (goal <= 150 MB); ratio ${fmt(rssQueued / rssStart, 2)}`,
        "",
      ].join("\n"),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const runDaemonQueueBench = main;
if (import.meta.url === `file://${process.argv[1]}`) await main();
