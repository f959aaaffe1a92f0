// The private Redis killed by its PID under two server processes: /readyz answers 503 while it is down, sends still
// succeed, and a message sent meanwhile through one process reaches a long poll parked on the other during that same
// long poll (the fallback polling). Once Redis is back, both processes subscribe again, /readyz answers 200, and
// wake-ups go through Redis again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CHANNEL } from "../../../src/server/notifier.js";
import type { ServerProcess } from "../../helpers/cli-process.js";
import { withRedis } from "../../helpers/redis-server.js";
import { call, messagesIn, servicesOrSkip, startFleet, until, waitForParked, type Fleet } from "./cluster.js";

const services = await servicesOrSkip("redis-kill.test.ts");

describe.skipIf(services === undefined)("Redis killed under two server processes", () => {
  let fleet: Fleet;
  let aliceKey: string;
  let bobKey: string;

  beforeAll(async () => {
    if (services === undefined) return;
    const database = await services.database("redis");
    fleet = await startFleet({ database, redis: services.redis.url, count: 2 });
    aliceKey = await fleet.name("alice");
    bobKey = await fleet.name("bob");
  });
  afterAll(async () => {
    try {
      await fleet?.close();
    } finally {
      await services?.dispose();
    }
  });

  const proc = (i: number): ServerProcess => fleet.processes[i] as ServerProcess;
  const readyz = async (p: ServerProcess): Promise<number> => (await call(p.url, "GET", "/readyz")).status;

  /** A long poll on process 1 (timeout 30 s), a send through process 0 once it is parked: what the poll answered. */
  const sendDuringLongPoll = async (body: string): Promise<{ id: string; got: string[] }> => {
    expect(await waitForParked(proc(1), 0)).toBe(0);
    const poll = call(proc(1).url, "GET", "/api/messages/poll?timeout=30", { key: bobKey });
    expect(await waitForParked(proc(1), 1)).toBe(1);
    const sent = await call(proc(0).url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const answer = await poll;
    expect(answer.status).toBe(200);
    const got = messagesIn(answer).map((m) => m.id);
    await call(proc(1).url, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: got } });
    return { id: String(sent.body["messageId"]), got };
  };

  it("falls back to polling while Redis is down and wakes through Redis again once it is back", { timeout: 90_000 }, async () => {
    if (services === undefined) return;
    for (const p of [proc(0), proc(1)]) expect(await until(async () => (await readyz(p)) === 200)).toBe(true);
    // Both processes are subscribed (the channel counts their subscriptions).
    const subscribers = (): Promise<number> =>
      withRedis(services.redis.url, async (redis) => Number(((await redis.pubsub("NUMSUB", DEFAULT_CHANNEL)) as [string, number])[1]));
    expect(await subscribers()).toBe(2);

    await services.redis.kill();
    for (const p of [proc(0), proc(1)]) expect(await until(async () => (await readyz(p)) === 503)).toBe(true);
    const ready = await call(proc(0).url, "GET", "/readyz");
    expect(ready.body).toMatchObject({ code: "CT_UNAVAILABLE", ready: false });

    // Sent while Redis is down: the same long poll (30 s, far longer than the 1 s fallback interval) gets it.
    const whileDown = await sendDuringLongPoll("while redis is down");
    expect(whileDown.got).toEqual([whileDown.id]);

    await services.redis.restart();
    for (const p of [proc(0), proc(1)]) expect(await until(async () => (await readyz(p)) === 200, 30_000)).toBe(true);
    expect(await until(async () => (await subscribers()) === 2)).toBe(true);

    // The wake-up of the next send goes through Redis again: it is published on the channel the processes share.
    const published: string[] = [];
    const after = await withRedis(services.redis.url, async (redis) => {
      redis.on("message", (_channel: string, text: string) => published.push(text));
      await redis.subscribe(DEFAULT_CHANNEL);
      const result = await sendDuringLongPoll("after redis is back");
      expect(await until(() => published.length > 0)).toBe(true);
      return result;
    });
    expect(after.got).toEqual([after.id]);
    expect(published.length).toBeGreaterThan(0);
  });
});
