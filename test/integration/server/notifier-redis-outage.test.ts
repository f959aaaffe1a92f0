// Redis goes away and comes back: a redis-server of this file's own is killed by pid and started again.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNotifier, type Notifier } from "../../../src/server/notifier.js";
import { redisServerUnavailable, startOwnRedis, uniqueChannel, type OwnRedis } from "../../helpers/redis-server.js";

function capturingLogger(): { logger: pino.Logger; lines: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split("\n").filter((l) => l !== ""));
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), lines: () => lines };
}

const count = (lines: string[], text: string): number => lines.filter((l) => l.includes(text)).length;

describe("notifier over Redis when Redis goes away", () => {
  let skipReason: string | undefined;
  let redis: OwnRedis | undefined;
  const opened: Notifier[] = [];

  beforeAll(async () => {
    skipReason = await redisServerUnavailable();
    if (skipReason !== undefined) process.stderr.write(`notifier Redis outage: skipping: ${skipReason}\n`);
    else redis = await startOwnRedis();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((n) => n.close()));
  });
  afterAll(async () => {
    await redis?.kill();
  });

  function make(fallbackPollMs: number, logger?: pino.Logger, channel = uniqueChannel("outage")): Notifier {
    if (redis === undefined) throw new Error("no redis");
    const notifier = createNotifier({ redisUrl: redis.url, channel, fallbackPollMs, ...(logger === undefined ? {} : { logger }) });
    opened.push(notifier);
    return notifier;
  }
  const state = (notifier: Notifier, healthy: boolean) =>
    expect.poll(() => notifier.healthy(), { timeout: 15_000, interval: 20 }).toBe(healthy);

  it("polls while Redis is down, logs the outage once, then stops polling when it is back", async (context) => {
    if (skipReason !== undefined || redis === undefined) return context.skip();
    const channel = uniqueChannel("outage");
    const log = capturingLogger();
    const a = make(200, log.logger, channel);
    const b = make(200, undefined, channel);
    await Promise.all([state(a, true), state(b, true)]);

    await redis.kill();
    await Promise.all([state(a, false), state(b, false)]);
    // A send while Redis is down does not throw; the waiter in the other process finds it on its next look.
    const parked = b.wait([1], 120_000);
    for (let i = 0; i < 5; i++) a.notify(1);
    expect(await parked).toBe(true);
    // Every waiter keeps looking on each poll until Redis is back.
    expect(await b.wait([2], 120_000)).toBe(true);
    await expect.poll(() => count(log.lines(), "publishing fails"), { timeout: 10_000 }).toBe(1);
    for (let i = 0; i < 5; i++) a.notify(1);
    expect(count(log.lines(), "subscription lost")).toBe(1);

    await redis.restart();
    await Promise.all([state(a, true), state(b, true)]);
    expect(count(log.lines(), "subscription back")).toBe(1);
    // Polling has stopped: a waiter nobody notifies sleeps through five poll intervals.
    expect(await b.wait([3], 1000)).toBe(false);
    const woken = b.wait([4], 120_000);
    a.notify(4);
    expect(await woken).toBe(true);
    expect(count(log.lines(), "publishing fails")).toBe(1);
    expect(b.waiting()).toBe(0);
  });

  it("wakes every parked waiter once when the subscription is back", async (context) => {
    if (skipReason !== undefined || redis === undefined) return context.skip();
    const b = make(600_000);
    await state(b, true);
    await redis.kill();
    await state(b, false);
    const parked = [b.wait([10], 600_000), b.wait([11, 12], 600_000)];
    expect(b.waiting()).toBe(2);
    await redis.restart();
    expect(await Promise.all(parked)).toEqual([true, true]);
    expect(b.healthy()).toBe(true);
    expect(b.waiting()).toBe(0);
  });

  it("starts while Redis is down: polls, then subscribes once Redis is up", async (context) => {
    if (skipReason !== undefined || redis === undefined) return context.skip();
    await redis.kill();
    const channel = uniqueChannel("startup");
    const b = make(100, undefined, channel);
    const a = make(100, undefined, channel);
    expect(b.healthy()).toBe(false);
    expect(await b.wait([30], 120_000)).toBe(true);
    await redis.restart();
    await Promise.all([state(a, true), state(b, true)]);
    const woken = b.wait([31], 120_000);
    a.notify(31);
    expect(await woken).toBe(true);
  });
});
