import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ClawTellError } from "../../../src/infra/index.js";
import { createNotifier } from "../../../src/server/notifier.js";

describe("in-process notifier", () => {
  it("wakes the waiters of a notified name and no others", async () => {
    const notifier = createNotifier();
    const bob = notifier.wait([1], 30_000);
    const carol = notifier.wait([2], 50);
    expect(notifier.waiting()).toBe(2);
    notifier.notify(1);
    expect(await bob).toBe(true);
    expect(await carol).toBe(false);
    expect(notifier.waiting()).toBe(0);
  });

  it("wakes a waiter of several names when any of them is notified", async () => {
    const notifier = createNotifier();
    const account = notifier.wait([1, 2, 3], 30_000);
    notifier.notify(3);
    expect(await account).toBe(true);
    expect(notifier.waiting()).toBe(0);
  });

  it("wakes every waiter of one name", async () => {
    const notifier = createNotifier();
    const waits = Array.from({ length: 500 }, () => notifier.wait([7], 30_000));
    expect(notifier.waiting()).toBe(500);
    notifier.notify(7);
    expect(await Promise.all(waits)).toEqual(waits.map(() => true));
    expect(notifier.waiting()).toBe(0);
  });

  it("does not lose a notification that arrives between the mark and the wait", async () => {
    const notifier = createNotifier();
    const mark = notifier.generation();
    notifier.notify(4);
    expect(await notifier.wait([4], 30_000, undefined, mark)).toBe(true);
    expect(notifier.waiting()).toBe(0);
  });

  it("parks a waiter whose names were not notified since the mark", async () => {
    const notifier = createNotifier();
    notifier.notify(4);
    const mark = notifier.generation();
    notifier.notify(5);
    const waiting = notifier.wait([4], 30_000, undefined, mark);
    expect(notifier.waiting()).toBe(1);
    notifier.notify(4);
    expect(await waiting).toBe(true);
  });

  it("answers 'maybe' for a mark older than the history it keeps", async () => {
    const notifier = createNotifier();
    const mark = notifier.generation();
    for (let i = 0; i < 10_000; i++) notifier.notify(100 + i);
    expect(await notifier.wait([1], 30_000, undefined, mark)).toBe(true);
  });

  it("removes the waiter, its timer and its abort listener on abort", async () => {
    const notifier = createNotifier();
    const gone = new AbortController();
    const waits = [notifier.wait([1], 30_000, gone.signal), notifier.wait([1, 2], 30_000, gone.signal)];
    expect(getEventListeners(gone.signal, "abort")).toHaveLength(2);
    gone.abort();
    expect(await Promise.all(waits)).toEqual([false, false]);
    expect(notifier.waiting()).toBe(0);
    expect(getEventListeners(gone.signal, "abort")).toHaveLength(0);
  });

  it("removes the waiter and its abort listener at the timeout", async () => {
    const notifier = createNotifier();
    const open = new AbortController();
    expect(await notifier.wait([1, 2], 20, open.signal)).toBe(false);
    expect(notifier.waiting()).toBe(0);
    expect(getEventListeners(open.signal, "abort")).toHaveLength(0);
    notifier.notify(1);
    expect(notifier.waiting()).toBe(0);
  });

  it("answers false at once for an aborted signal and parks nothing", async () => {
    const notifier = createNotifier();
    expect(await notifier.wait([1], 30_000, AbortSignal.abort())).toBe(false);
    expect(notifier.waiting()).toBe(0);
  });

  it("is always healthy and closes without connections", async () => {
    const notifier = createNotifier();
    expect(notifier.healthy()).toBe(true);
    await notifier.close();
  });

  it("refuses a channel name that is not a plain identifier", () => {
    expect(() => createNotifier({ redisUrl: "redis://127.0.0.1:1", channel: 'x"; DROP' })).toThrow(ClawTellError);
  });
});
