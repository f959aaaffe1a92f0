// The Redis rate-limit store takes counts in blocks: exact (one count a request) up to limits of 1 000 a window,
// blocks of a thousandth of the limit (at most 64) above; requests arriving together share one block.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockSize, MAX_BLOCK, redisBlockStore } from "../../../src/server/rate-limit-blocks.js";
import { redisUnavailable, TEST_REDIS_URL } from "../../helpers/redis-server.js";

type Counted = { current: number; ttl: number };

const skipReason = await redisUnavailable();
if (skipReason !== undefined) process.stderr.write(`rate-limit blocks: skipping: ${skipReason}\n`);

describe.skipIf(skipReason !== undefined)("rate-limit counts in blocks through Redis", () => {
  const prefix = `clawtell-test:${randomUUID()}:`;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    clients.push(redis);
    return redis;
  };
  let probe: Redis;

  beforeAll(() => {
    probe = client();
  });
  afterAll(async () => {
    const keys = await probe.keys(`${prefix}*`);
    if (keys.length > 0) await probe.del(...keys);
    for (const redis of clients) redis.disconnect();
  });

  /** One server process's store (its own connection, as a process has). */
  const processStore = () => {
    const Store = redisBlockStore(client(), prefix);
    const store = new Store({});
    return (key: string, windowMs: number, max: number): Promise<Counted> =>
      new Promise((resolve, reject) => {
        store.incr(key, (err, result) => (err === null && result !== undefined ? resolve(result) : reject(err ?? new Error("no result"))), windowMs, max);
      });
  };

  it("sizes blocks at one up to 1 000 a window, a thousandth above, at most 64", () => {
    expect([blockSize(0), blockSize(5), blockSize(1_999), blockSize(6_000), blockSize(64_000), blockSize(1_200_000)]).toEqual([1, 1, 1, 6, 64, MAX_BLOCK]);
  });

  it("counts every request in Redis for a small limit, across processes", async () => {
    const [a, b] = [processStore(), processStore()];
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push((await (i % 2 === 0 ? a : b)("key:small", 60_000, 5)).current);
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Number(await probe.get(`${prefix}key:small`))).toBe(6);
    const ttl = await probe.pttl(`${prefix}key:small`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("hands 100 requests arriving together distinct counts from two blocks, and another process counts after them", async () => {
    const [a, b] = [processStore(), processStore()];
    const results = await Promise.all(Array.from({ length: 100 }, () => a("key:busy", 60_000, 64_000)));
    expect(results.map((r) => r.current).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(results.every((r) => r.ttl > 0 && r.ttl <= 60_000)).toBe(true);
    // Two blocks of 64 taken: the shared counter stands as if all 128 had been made.
    expect(Number(await probe.get(`${prefix}key:busy`))).toBe(128);
    expect((await b("key:busy", 60_000, 64_000)).current).toBe(129);
    // The rest of a's second block needs no command.
    expect((await a("key:busy", 60_000, 64_000)).current).toBe(101);
    expect(Number(await probe.get(`${prefix}key:busy`))).toBe(192);
  });

  it("refuses past the limit within a block: counts go on above max", async () => {
    const a = processStore();
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) counts.push((await a("key:over", 60_000, 2)).current);
    expect(counts).toEqual([1, 2, 3]);
  });
});
