// The mailbox's queries around a long poll's wait, on the embedded storage: what a parked poll costs the store.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/infra/index.js";
import { openEmbeddedStorage, type Storage } from "../../../src/server/index.js";
import { createMailbox, spreadLongWait, type Mailbox } from "../../../src/server/mailbox.js";
import { createInProcessNotifier } from "../../../src/server/notify/in-process.js";
import type { Notifier } from "../../../src/server/notify/port.js";
import type { MessageStore } from "../../../src/server/store/index.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

describe("the mailbox's long poll", () => {
  let dir: string;
  let storage: Storage;
  let claims: number;
  let states: number;
  /** Runs inside the next pendingState, after the store has answered and before the mailbox sees the answer. */
  let duringState: (() => Promise<void>) | undefined;
  let notifier: Notifier;
  let mailbox: Mailbox;
  let bob: number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-mailbox-"));
    storage = await openEmbeddedStorage({ dataDir: dir });
    await storage.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    bob = (await storage.directory.insertName(nameRecord("bob", "acc_1", "bobprefix"))).id;
    claims = 0;
    states = 0;
    duringState = undefined;
    // The real store, with its queries counted.
    const counted: MessageStore = {
      ...storage.messages,
      claim: (ids, request) => {
        claims += 1;
        return storage.messages.claim(ids, request);
      },
      pendingState: async (ids, now) => {
        states += 1;
        const state = await storage.messages.pendingState(ids, now);
        const during = duringState;
        duringState = undefined;
        await during?.();
        return state;
      },
    };
    notifier = createInProcessNotifier(systemClock);
    mailbox = createMailbox({ messages: counted, notifier, clock: systemClock, visibilityTimeoutMs: 60_000 });
  });
  afterEach(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("claims once and not again when its wait times out with nothing sent", async () => {
    expect(await mailbox.pullWaiting([bob], 10, 50)).toEqual([]);
    expect(claims).toBe(1);
  });

  it("claims again when a send wakes it, and answers the message", async () => {
    const polled = mailbox.pullWaiting([bob], 10, 60_000);
    await expect.poll(() => claims).toBe(1);
    await mailbox.deliver(newMessage("m1", { id: bob, name: "bob" }, 10));
    expect((await polled).map((m) => m.id)).toEqual(["m1"]);
    expect(claims).toBe(2);
  });

  it("claims again when a lease ends during the wait, and answers the message whose lease ended", async () => {
    await mailbox.deliver(newMessage("m1", { id: bob, name: "bob" }, 10));
    const now = systemClock.now();
    // Another consumer holds m1 for 100 ms and never acks.
    expect((await storage.messages.claim([bob], { limit: 10, now, leaseUntil: now + 100 })).map((m) => m.id)).toEqual(["m1"]);
    expect((await mailbox.pullWaiting([bob], 10, 60_000)).map((m) => m.id)).toEqual(["m1"]);
    expect(claims).toBe(2);
    // It had an unacked message (leased) all along: never remembered empty.
    expect(notifier.knownEmpty([bob])).toBe(false);
  });

  it("parks the next polls of a name found empty without any query, until a send", async () => {
    expect(await mailbox.pullWaiting([bob], 10, 20)).toEqual([]);
    expect([claims, states]).toEqual([1, 1]);
    expect(notifier.knownEmpty([bob])).toBe(true);
    for (let i = 0; i < 5; i++) expect(await mailbox.pullWaiting([bob], 10, 10)).toEqual([]);
    expect(await mailbox.pullWaiting([bob], 10, 0)).toEqual([]);
    expect([claims, states]).toEqual([1, 1]);
    const polled = mailbox.pullWaiting([bob], 10, 60_000);
    await expect.poll(() => notifier.waiting()).toBe(1);
    await mailbox.deliver(newMessage("m1", { id: bob, name: "bob" }, 10));
    expect((await polled).map((m) => m.id)).toEqual(["m1"]);
    expect([claims, states]).toEqual([2, 1]);
    // Not empty again until a query finds it so.
    expect(notifier.knownEmpty([bob])).toBe(false);
  });

  it("does not remember a name empty when a send arrives between its claim and the look that found nothing", async () => {
    // The store's answer "nothing unacked" is taken before the send and handed over after it.
    duringState = () => mailbox.deliver(newMessage("m1", { id: bob, name: "bob" }, 10));
    expect((await mailbox.pullWaiting([bob], 10, 60_000)).map((m) => m.id)).toEqual(["m1"]);
    expect([claims, states]).toEqual([2, 1]);
    expect(notifier.knownEmpty([bob])).toBe(false);
  });

  it("remembers the names of a poll-account only together: a poll of a name not remembered queries", async () => {
    const carol = (await storage.directory.insertName(nameRecord("carol", "acc_1", "carolprefix"))).id;
    expect(await mailbox.pullWaiting([bob], 10, 10)).toEqual([]);
    expect(notifier.knownEmpty([bob, carol])).toBe(false);
    expect(await mailbox.pullWaiting([bob, carol], 10, 10)).toEqual([]);
    expect([claims, states]).toEqual([2, 2]);
    expect(notifier.knownEmpty([carol])).toBe(true);
    await mailbox.deliver(newMessage("m1", { id: carol, name: "carol" }, 10));
    expect(notifier.knownEmpty([bob])).toBe(true);
    expect((await mailbox.pullWaiting([bob, carol], 10, 10)).map((m) => m.id)).toEqual(["m1"]);
  });
});

describe("spreadLongWait", () => {
  it("keeps short waits and ends long ones within their last quarter", () => {
    expect(spreadLongWait(1_000, () => 0.99)).toBe(1_000);
    expect(spreadLongWait(9_999, () => 0.99)).toBe(9_999);
    expect(spreadLongWait(30_000, () => 0)).toBe(30_000);
    expect(spreadLongWait(30_000, () => 0.5)).toBe(26_250);
    expect(spreadLongWait(30_000, () => 0.999_999)).toBeGreaterThanOrEqual(22_500);
  });
});
