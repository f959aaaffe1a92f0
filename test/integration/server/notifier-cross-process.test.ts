// Two notifier instances stand for two server processes on one Redis or one PostgreSQL database.
import { getEventListeners } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openEmbeddedStorage } from "../../../src/server/index.js";
import { createNotifier, type Notifier, type NotifierOptions } from "../../../src/server/notifier.js";
import { createMailbox } from "../../../src/server/mailbox.js";
import { systemClock } from "../../../src/infra/index.js";
import { redisUnavailable, TEST_REDIS_URL, uniqueChannel } from "../../helpers/redis-server.js";
import { postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/test-database.js";

interface Kind {
  readonly name: string;
  unavailable(): Promise<string | undefined>;
  options(): NotifierOptions;
}

const KINDS: readonly Kind[] = [
  { name: "redis", unavailable: () => redisUnavailable(), options: () => ({ redisUrl: TEST_REDIS_URL }) },
  { name: "postgres", unavailable: () => postgresUnavailable(), options: () => ({ databaseUrl: TEST_DATABASE_URL }) },
];

const opened: Notifier[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((n) => n.close()));
});

/** Waits (bounded) until the notifier's subscription is in place. */
async function healthy(notifier: Notifier): Promise<void> {
  await expect.poll(() => notifier.healthy(), { timeout: 10_000, interval: 20 }).toBe(true);
}

describe.each(KINDS)("notifier over $name", (kind) => {
  let skipReason: string | undefined;
  beforeAll(async () => {
    skipReason = await kind.unavailable();
    if (skipReason !== undefined) process.stderr.write(`notifier over ${kind.name}: skipping: ${skipReason}\n`);
  });

  /** Two "processes" on one channel of their own, both subscribed. */
  async function pair(extra: Partial<NotifierOptions> = {}): Promise<[Notifier, Notifier, string]> {
    const channel = uniqueChannel(kind.name);
    const a = createNotifier({ ...kind.options(), channel, ...extra });
    const b = createNotifier({ ...kind.options(), channel, ...extra });
    opened.push(a, b);
    await Promise.all([healthy(a), healthy(b)]);
    return [a, b, channel];
  }

  it("wakes a waiter parked in the other process", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const [a, b] = await pair();
    const parked = b.wait([42], 30_000);
    expect(b.waiting()).toBe(1);
    a.notify(42);
    expect(await parked).toBe(true);
    expect(b.waiting()).toBe(0);
  });

  it("wakes only the waiters of the notified name", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const [a, b] = await pair();
    const other = b.wait([43], 30_000);
    const parked = b.wait([42], 30_000);
    a.notify(42);
    expect(await parked).toBe(true);
    expect(b.waiting()).toBe(1);
    a.notify(43);
    expect(await other).toBe(true);
  });

  it("does not lose a notification that arrives between the mark and the wait", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const [a, b] = await pair();
    const mark = b.generation();
    a.notify(9);
    // The notification reaches the other process before it starts to wait.
    await expect.poll(() => b.generation() > mark, { timeout: 10_000, interval: 5 }).toBe(true);
    expect(await b.wait([9], 60_000, undefined, mark)).toBe(true);
    expect(b.waiting()).toBe(0);
  });

  it("wakes every waiter of one name, with one subscription per process", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const [a, b, channel] = await pair();
    const waits = Array.from({ length: 1000 }, (_, i) => b.wait([i % 10 === 0 ? 5 : 1000 + i], 30_000));
    expect(b.waiting()).toBe(1000);
    if (kind.name === "redis") {
      const { withRedis } = await import("../../helpers/redis-server.js");
      const numsub = await withRedis(TEST_REDIS_URL, (redis) => redis.pubsub("NUMSUB", channel));
      expect(numsub).toEqual([channel, 2]);
    } else {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        const listeners = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1", [`LISTEN "${channel}"`]);
        expect(listeners.rows[0]).toEqual({ n: 2 });
      } finally {
        await client.end();
      }
    }
    a.notify(5);
    const woken = await Promise.all(waits.filter((_, i) => i % 10 === 0));
    expect(woken).toEqual(woken.map(() => true));
    expect(b.waiting()).toBe(900);
  });

  it("removes every waiter and listener on abort and at the timeout", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const [, b] = await pair();
    const gone = new AbortController();
    const aborted = [b.wait([1], 30_000, gone.signal), b.wait([1, 2], 30_000, gone.signal)];
    const open = new AbortController();
    const timedOut = b.wait([3], 20, open.signal);
    gone.abort();
    expect(await Promise.all([...aborted, timedOut])).toEqual([false, false, false]);
    expect(b.waiting()).toBe(0);
    expect(getEventListeners(gone.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(open.signal, "abort")).toHaveLength(0);
  });

  it("lets a stream's wait after an empty pull see a send from the other process that arrived in between", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const [a, b] = await pair();
    const dataDir = await mkdtemp(join(tmpdir(), "clawtell-notifier-"));
    const storage = await openEmbeddedStorage({ dataDir });
    try {
      const mailbox = createMailbox({ messages: storage.messages, notifier: b, clock: systemClock, visibilityTimeoutMs: 60_000 });
      const mark = b.generation();
      expect(await mailbox.pull([77], 10)).toEqual([]);
      a.notify(77);
      await expect.poll(() => b.generation() > mark, { timeout: 10_000, interval: 5 }).toBe(true);
      // Without the mark taken by pull this would park for a minute (and fail the test by its timeout).
      await mailbox.waitForWork([77], 60_000);
      expect(b.waiting()).toBe(0);
    } finally {
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
