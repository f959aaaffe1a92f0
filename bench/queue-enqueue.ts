/**
 * Durable enqueue into the daemon's file queue (`tsx bench/queue-enqueue.ts`), each figure with its baseline from the
 * same run on the same disk:
 *   group commit — many concurrent single-message enqueues sharing writes — goal ≥ 5 000 msg/s, against one write
 *   (one fsync) per message, i.e. each enqueue awaited before the next;
 *   receiver-sized batches of 50 awaited one after another;
 *   RSS with 10 000 messages queued — goal ≤ 150 MB.
 * Prints one JSON line per figure. Loopback only; never part of `npm test`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileQueueStore, type NewJob, type QueueStore } from "../src/daemon/queue/index.js";
import { createSilentLogger } from "../src/infra/index.js";

const QUEUED = 10_000;
const SERIAL = 1_000;
const CONCURRENCY = 64;
const logger = createSilentLogger();
const BODY = "a typical short agent message of about eighty characters, give or take a few";

let counter = 0;
const job = (): NewJob => {
  const id = `m-${process.pid}-${counter++}`;
  return { id, accountId: "default", recipient: "bob", routeKey: "bob", message: { id, from: `tell/sender-${counter % 20}`, to_name: "bob", subject: "Message", body: BODY, createdAt: new Date().toISOString(), attachments: [] } };
};
const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const rate = (count: number, startedMs: number): number => Math.round((count / (performance.now() - startedMs)) * 1000);
const print = (figure: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(figure)}\n`);

async function withStore<T>(dir: string, name: string, run: (store: QueueStore, writes: () => number) => Promise<T>): Promise<T> {
  let writes = 0;
  const store = await openFileQueueStore({ path: join(dir, name), logger, onWrite: () => void writes++ });
  try {
    return await run(store, () => writes);
  } finally {
    await store.close();
  }
}

/** One fsync per message: every enqueue is awaited before the next, so none can share a write. */
const perMessage = (dir: string) =>
  withStore(dir, "serial.json", async (store, writes) => {
    const started = performance.now();
    for (let i = 0; i < SERIAL; i++) await store.enqueueMany([job()]);
    return { msgsPerS: rate(SERIAL, started), writes: writes() };
  });

/** Group commit: `CONCURRENCY` producers enqueue one message at a time; changes made during a write share the next. */
const grouped = (dir: string) =>
  withStore(dir, "grouped.json", async (store, writes) => {
    const started = performance.now();
    let left = QUEUED;
    const producer = async (): Promise<void> => {
      while (left-- > 0) await store.enqueueMany([job()]);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, producer));
    return { msgsPerS: rate(QUEUED, started), writes: writes(), pending: store.pendingCount() };
  });

/** The receiver's shape: batches of 50 (one poll or SSE burst), each awaited before acking. */
const batches = (dir: string) =>
  withStore(dir, "batches.json", async (store, writes) => {
    const started = performance.now();
    for (let i = 0; i < QUEUED; i += 50) await store.enqueueMany(Array.from({ length: 50 }, job));
    return { msgsPerS: rate(QUEUED, started), writes: writes() };
  });

/** Resident memory of this process with `QUEUED` messages in one store (after a GC when `--expose-gc` is given). */
async function memory(dir: string): Promise<{ rssBeforeMb: number; rssQueuedMb: number; heapQueuedMb: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBeforeMb = mb(process.memoryUsage().rss);
  return withStore(dir, "memory.json", async (store) => {
    for (let i = 0; i < QUEUED; i += 500) await store.enqueueMany(Array.from({ length: 500 }, job));
    gc?.();
    const usage = process.memoryUsage();
    if (store.pendingCount() !== QUEUED) throw new Error(`expected ${QUEUED} queued, found ${store.pendingCount()}`);
    return { rssBeforeMb, rssQueuedMb: mb(usage.rss), heapQueuedMb: mb(usage.heapUsed) };
  });
}

export async function runQueueEnqueueBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "clawtell-qenq-"));
  try {
    const mem = await memory(dir);
    const serial = await perMessage(dir);
    const group = await grouped(dir);
    const batch = await batches(dir);
    print({ bench: "queue-enqueue", mode: "one-fsync-per-message", messages: SERIAL, ...serial });
    print({ bench: "queue-enqueue", mode: "group-commit", producers: CONCURRENCY, messages: QUEUED, ...group, ratioVsPerMessage: Math.round((group.msgsPerS / serial.msgsPerS) * 10) / 10, goalMsgsPerS: 5000, goalMet: group.msgsPerS >= 5000 });
    print({ bench: "queue-enqueue", mode: "batches-of-50", messages: QUEUED, ...batch });
    print({ bench: "queue-enqueue", mode: "rss-10k-queued", ...mem, goalMb: 150, goalMet: mem.rssQueuedMb <= 150 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) await runQueueEnqueueBench();
