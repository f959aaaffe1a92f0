// Names remembered empty (a poll of them parks without a query): what makes the notifier forget them, in one process
// and over a shared channel, whose transport is played here by a channel the test drives.
import { describe, expect, it } from "vitest";
import { createSilentLogger, systemClock } from "../../../src/infra/index.js";
import { createNotifier } from "../../../src/server/notifier.js";
import { createRemoteNotifier, type NotifyTransport, type TransportEvents } from "../../../src/server/notify/remote.js";

describe("in-process notifier: names remembered empty", () => {
  it("remembers names until one of them is notified", () => {
    const notifier = createNotifier();
    expect(notifier.knownEmpty([1])).toBe(false);
    notifier.rememberEmpty([1, 2], notifier.generation());
    expect(notifier.knownEmpty([1])).toBe(true);
    expect(notifier.knownEmpty([1, 2])).toBe(true);
    expect(notifier.knownEmpty([1, 3])).toBe(false);
    expect(notifier.knownEmpty([])).toBe(false);
    notifier.notify(2);
    expect(notifier.knownEmpty([1])).toBe(true);
    expect(notifier.knownEmpty([2])).toBe(false);
  });

  it("remembers nothing of a query during which one of the names was notified", () => {
    const notifier = createNotifier();
    const mark = notifier.generation();
    notifier.notify(5);
    notifier.rememberEmpty([4, 5], mark);
    expect(notifier.knownEmpty([4])).toBe(false);
    notifier.rememberEmpty([4], mark);
    expect(notifier.knownEmpty([4])).toBe(true);
  });

  it("remembers nothing when its history no longer reaches back to the mark", () => {
    const notifier = createNotifier();
    const mark = notifier.generation();
    for (let i = 0; i < 10_000; i++) notifier.notify(100 + i);
    notifier.rememberEmpty([1], mark);
    expect(notifier.knownEmpty([1])).toBe(false);
  });
});

/** A transport whose subscription and incoming messages the test decides; it records what is published. */
function drivenTransport(): NotifyTransport & { events(): TransportEvents; published: string[] } {
  let events: TransportEvents | undefined;
  const published: string[] = [];
  return {
    kind: "test",
    published,
    start(given) {
      events = given;
    },
    publish: async (payload) => {
      published.push(payload);
    },
    close: async () => {},
    events: () => events ?? (undefined as never),
  };
}

describe("shared-channel notifier: names remembered empty", () => {
  const open = (transport: NotifyTransport) => createRemoteNotifier(transport, { logger: createSilentLogger(), clock: systemClock, fallbackPollMs: 60_000 });

  it("remembers nothing before its subscription is in place", async () => {
    const transport = drivenTransport();
    const notifier = open(transport);
    notifier.rememberEmpty([1], notifier.generation());
    expect(notifier.knownEmpty([1])).toBe(false);
    transport.events().up();
    notifier.rememberEmpty([1], notifier.generation());
    expect(notifier.knownEmpty([1])).toBe(true);
    await notifier.close();
    expect(notifier.knownEmpty([1])).toBe(false);
  });

  it("forgets a name another process notifies, and every name when another process says 'every name'", async () => {
    const transport = drivenTransport();
    const notifier = open(transport);
    transport.events().up();
    notifier.rememberEmpty([1, 2, 3], notifier.generation());
    transport.events().message("otherprocess 2,3");
    expect([notifier.knownEmpty([1]), notifier.knownEmpty([2]), notifier.knownEmpty([3])]).toEqual([true, false, false]);
    transport.events().message("otherprocess *");
    expect(notifier.knownEmpty([1])).toBe(false);
    await notifier.close();
  });

  it("forgets a name it notifies itself", async () => {
    const transport = drivenTransport();
    const notifier = open(transport);
    transport.events().up();
    notifier.rememberEmpty([7], notifier.generation());
    notifier.notify(7);
    expect(notifier.knownEmpty([7])).toBe(false);
    await notifier.close();
  });

  it("forgets everything when the subscription is lost, also what a query under way then finds", async () => {
    const transport = drivenTransport();
    const notifier = open(transport);
    transport.events().up();
    notifier.rememberEmpty([1], notifier.generation());
    const mark = notifier.generation();
    transport.events().down(new Error("connection reset"));
    expect(notifier.knownEmpty([1])).toBe(false);
    notifier.rememberEmpty([2], notifier.generation());
    expect(notifier.knownEmpty([2])).toBe(false);
    transport.events().up();
    // A query that began before the loss finds "empty" after the subscription is back: messages sent meanwhile
    // reached no notification here, so nothing is remembered.
    notifier.rememberEmpty([3], mark);
    expect(notifier.knownEmpty([3])).toBe(false);
    notifier.rememberEmpty([3], notifier.generation());
    expect(notifier.knownEmpty([3])).toBe(true);
    await notifier.close();
  });
});
