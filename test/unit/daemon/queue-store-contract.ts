// The behaviour every QueueStore must have: run against the in-memory twin (unit) and the file store (integration).
import { describe, expect, it } from "vitest";
import type { Job, QueueAlarm, QueuePolicy, QueueStore } from "../../../src/daemon/queue/index.js";
import { createManualClock } from "../../../src/infra/index.js";

export type ManualClock = ReturnType<typeof createManualClock>;
import { TEST_POLICY, makeNewJob } from "../../helpers/jobs.js";

export interface ContractDeps {
  readonly clock: ManualClock;
  readonly policy: QueuePolicy;
  readonly random: () => number;
  readonly onAlarm: (alarm: QueueAlarm) => void;
  readonly onDeadLetter: (job: Job) => void;
  readonly dedupeTtlMs?: number;
  readonly dedupeMaxCount?: number;
}

export type QueueStoreFactory = (deps: ContractDeps) => Promise<QueueStore>;

const DAY_MS = 24 * 60 * 60 * 1000;
const boom = { code: "CT_SINK_FAILED", message: "boom" };

interface Harness {
  readonly store: QueueStore;
  readonly clock: ManualClock;
  readonly alarms: QueueAlarm[];
  readonly dead: Job[];
}

export function describeQueueStoreContract(label: string, factory: QueueStoreFactory): void {
  const open = async (overrides: Partial<Omit<ContractDeps, "onAlarm" | "onDeadLetter">> = {}): Promise<Harness> => {
    const alarms: QueueAlarm[] = [];
    const dead: Job[] = [];
    const clock = overrides.clock ?? createManualClock(1_000_000);
    const store = await factory({
      clock,
      policy: TEST_POLICY,
      random: () => 0.5,
      ...overrides,
      onAlarm: (a) => alarms.push(a),
      onDeadLetter: (j) => dead.push(j),
    });
    return { store, clock, alarms, dead };
  };

  describe(`${label}: queue store contract`, () => {
    it("takes messages in once, claims them in enqueue order under a lease, and completes them", async () => {
      const { store, clock } = await open();
      expect(await store.enqueueMany([makeNewJob("a"), makeNewJob("b"), makeNewJob("a")])).toEqual({ accepted: ["a", "b"], duplicates: ["a"] });
      const claimed = store.claimDue(10, 1000);
      expect(claimed.map((j) => [j.id, j.state, j.leaseUntil])).toEqual([["a", "delivering", clock.now() + 1000], ["b", "delivering", clock.now() + 1000]]);
      expect(store.claimDue(10, 1000)).toEqual([]);
      await store.complete("a");
      expect(store.pendingCount()).toBe(1);
      expect(store.get("a")).toBeUndefined();
      // Delivered and gone, but its id is remembered: a redelivery is a duplicate.
      expect(await store.enqueueMany([makeNewJob("a"), makeNewJob("c")])).toEqual({ accepted: ["c"], duplicates: ["a"] });
      await store.close();
    });

    it("names the message taken in last (a restarted receiver resumes after it), and has its claims written on request", async () => {
      const { store } = await open();
      expect(store.lastTaken()).toBeUndefined();
      await store.enqueueMany([makeNewJob("a"), makeNewJob("b")]);
      await store.enqueueMany([makeNewJob("a")]);
      expect(store.lastTaken()).toBe("b");
      const writes = store.writes();
      store.claimDue(1, 1000);
      await store.claimsWritten();
      expect(store.writes()).toBeGreaterThan(writes);
      await store.complete("a");
      expect(store.lastTaken()).toBe("b");
      await store.close();
    });

    it("claims no more than the limit and only what the filter accepts", async () => {
      const { store } = await open();
      await store.enqueueMany(["f1", "f2", "f3", "f4"].map((id) => makeNewJob(id)));
      expect(store.claimDue(1, 1000).map((j) => j.id)).toEqual(["f1"]);
      expect(store.claimDue(10, 1000, (j) => j.id !== "f2").map((j) => j.id)).toEqual(["f3", "f4"]);
      expect(store.list({ state: "queued" }).map((j) => j.id)).toEqual(["f2"]);
      expect(store.list({ state: "delivering" }).map((j) => j.id)).toEqual(["f1", "f3", "f4"]);
      await store.close();
    });

    it("retries a retryable failure after its backoff, and dead-letters it when the attempts are spent", async () => {
      const { store, clock, dead } = await open({ policy: { ...TEST_POLICY, maxAttempts: 3 } });
      await store.enqueueMany([makeNewJob("x")]);
      store.claimDue(1, 1000);
      const first = await store.fail("x", boom, true);
      expect(first).toMatchObject({ state: "retry_wait", attempts: 1, lastError: boom, nextAttemptAt: clock.now() + 5_000 });
      expect(store.nextDueAt()).toBe(clock.now() + 5_000);
      await clock.advance(4_999);
      expect(store.claimDue(1, 1000)).toEqual([]);
      await clock.advance(1);
      expect(store.claimDue(1, 1000).map((j) => j.id)).toEqual(["x"]);
      expect((await store.fail("x", boom, true)).nextAttemptAt).toBe(clock.now() + 10_000);
      await clock.advance(10_000);
      store.claimDue(1, 1000);
      expect(await store.fail("x", boom, true)).toMatchObject({ state: "dead", attempts: 3, deadAt: clock.now() });
      expect(store.pendingCount()).toBe(0);
      expect(store.nextDueAt()).toBeUndefined();
      expect(store.deadLetters().map((j) => [j.id, j.attempts, j.lastError?.code])).toEqual([["x", 3, "CT_SINK_FAILED"]]);
      expect(dead.map((j) => j.id)).toEqual(["x"]);
      expect(store.get("x")?.state).toBe("dead");
      await store.close();
    });

    it("honours a longer Retry-After from the target", async () => {
      const { store, clock } = await open();
      await store.enqueueMany([makeNewJob("r")]);
      store.claimDue(1, 1000);
      expect((await store.fail("r", { code: "CT_RATE_LIMITED", message: "429" }, true, 60_000)).nextAttemptAt).toBe(clock.now() + 60_000);
      await store.close();
    });

    it("dead-letters a non-retryable failure at once", async () => {
      const { store, dead } = await open();
      await store.enqueueMany([makeNewJob("n")]);
      store.claimDue(1, 1000);
      expect(await store.fail("n", { code: "CT_ROUTE_UNKNOWN", message: "no route" }, false)).toMatchObject({ state: "dead", attempts: 1 });
      expect(dead.map((j) => j.id)).toEqual(["n"]);
      await store.close();
    });

    it("puts a job whose lease expired back, counting the attempt, and dead-letters it when that was the last", async () => {
      const { store, clock, dead } = await open({ policy: { ...TEST_POLICY, maxAttempts: 2 } });
      await store.enqueueMany([makeNewJob("l")]);
      store.claimDue(1, 500);
      await clock.advance(499);
      expect(store.claimDue(1, 500)).toEqual([]);
      expect(store.nextDueAt()).toBe(clock.now() + 1);
      await clock.advance(1);
      expect(store.claimDue(1, 500).map((j) => [j.id, j.attempts])).toEqual([["l", 1]]);
      await clock.advance(500);
      expect(store.claimDue(1, 500)).toEqual([]);
      expect(store.deadLetters().map((j) => [j.id, j.attempts, j.lastError?.code])).toEqual([["l", 2, "CT_TIMEOUT"]]);
      expect(dead.map((j) => j.id)).toEqual(["l"]);
      await store.close();
    });

    it("remembers the 🦞 forward and the hand-over across retries and an operator retry", async () => {
      const { store, clock } = await open({ policy: { ...TEST_POLICY, maxAttempts: 1 } });
      await store.enqueueMany([makeNewJob("fw")]);
      store.claimDue(1, 1000);
      await clock.advance(5);
      await store.markForwarded("fw");
      await store.markDispatched("fw");
      await store.fail("fw", boom, true);
      expect(await store.retryDead("fw")).toBe(true);
      expect(store.get("fw")).toMatchObject({ state: "queued", attempts: 0, forwardedAt: clock.now(), dispatchedAt: clock.now() });
      expect(store.get("fw")?.lastError).toBeUndefined();
      await store.close();
    });

    it("retries, purges and lists dead letters on request", async () => {
      const { store } = await open();
      await store.enqueueMany([makeNewJob("p1"), makeNewJob("p2"), makeNewJob("p3")]);
      store.claimDue(3, 1000);
      for (const id of ["p1", "p2", "p3"]) await store.fail(id, boom, false);
      expect(store.list({ state: "dead" }).map((j) => j.id)).toEqual(["p1", "p2", "p3"]);
      expect(await store.retryDead("missing")).toBe(false);
      expect(await store.purgeDead("p1")).toBe(1);
      expect(await store.purgeDead("p1")).toBe(0);
      expect(await store.retryAllDead()).toBe(2);
      expect(store.list().map((j) => [j.id, j.state, j.attempts])).toEqual([["p2", "queued", 0], ["p3", "queued", 0]]);
      expect(store.claimDue(5, 1000).map((j) => j.id)).toEqual(["p2", "p3"]);
      for (const id of ["p2", "p3"]) await store.fail(id, boom, false);
      expect(await store.purgeDead()).toBe(2);
      expect(store.deadLetters()).toEqual([]);
      // Purged letters are still known: the server's redelivery is not taken again.
      expect((await store.enqueueMany([makeNewJob("p1"), makeNewJob("p2")])).duplicates).toEqual(["p1", "p2"]);
      await store.close();
    });

    it("bounds the dead letters by count, oldest out first, with an alarm naming them", async () => {
      const { store, alarms } = await open({ policy: { ...TEST_POLICY, deadLetterMaxCount: 2 } });
      await store.enqueueMany(["d1", "d2", "d3"].map((id) => makeNewJob(id)));
      store.claimDue(3, 1000);
      for (const id of ["d1", "d2", "d3"]) await store.fail(id, boom, false);
      expect(store.deadLetters().map((j) => j.id)).toEqual(["d2", "d3"]);
      expect(alarms).toMatchObject([{ kind: "dead_letters_overflow", exported: 1, ids: ["d1"] }]);
      // A letter exported off the shelf is still a known id.
      expect((await store.enqueueMany([makeNewJob("d1")])).duplicates).toEqual(["d1"]);
      await store.close();
    });

    it("removes dead letters past their retention", async () => {
      const { store, clock } = await open({ policy: { ...TEST_POLICY, deadLetterRetentionDays: 30 } });
      await store.enqueueMany([makeNewJob("old"), makeNewJob("young")]);
      store.claimDue(1, 1000);
      await store.fail("old", boom, false);
      await clock.advance(10 * DAY_MS);
      store.claimDue(1, 1000);
      await store.fail("young", boom, false);
      await clock.advance(20 * DAY_MS + 1);
      store.claimDue(1, 1000);
      expect(store.deadLetters().map((j) => j.id)).toEqual(["young"]);
      await store.close();
    });

    it("forgets ids after the dedupe window, and the oldest first beyond the count", async () => {
      const { store, clock } = await open({ dedupeTtlMs: 14 * DAY_MS, dedupeMaxCount: 3 });
      await store.enqueueMany([makeNewJob("t1")]);
      store.claimDue(1, 1000);
      await store.complete("t1");
      await clock.advance(14 * DAY_MS - 1);
      expect((await store.enqueueMany([makeNewJob("t1")])).duplicates).toEqual(["t1"]);
      await clock.advance(2);
      expect((await store.enqueueMany([makeNewJob("t1")])).accepted).toEqual(["t1"]);
      store.claimDue(1, 1000);
      await store.complete("t1");
      for (const id of ["c1", "c2", "c3"]) {
        await store.enqueueMany([makeNewJob(id)]);
        store.claimDue(1, 1000);
        await store.complete(id);
      }
      // Only three ids are kept: t1 is forgotten, c1..c3 are not.
      expect(await store.enqueueMany(["c1", "c2", "c3", "t1"].map((id) => makeNewJob(id)))).toEqual({ accepted: ["t1"], duplicates: ["c1", "c2", "c3"] });
      await store.close();
    });

    it("commits a burst of concurrent changes in a handful of writes, each resolving after its write", async () => {
      const { store } = await open();
      const before = store.writes();
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.enqueueMany([makeNewJob(`g${i}`)]).then((r) => [r, store.writes()] as const)));
      expect(store.pendingCount()).toBe(100);
      expect(store.writes() - before).toBeGreaterThanOrEqual(1);
      expect(store.writes() - before).toBeLessThanOrEqual(3);
      for (const [result, writesWhenResolved] of results) {
        expect(result.accepted).toHaveLength(1);
        expect(writesWhenResolved).toBeGreaterThan(before);
      }
      await store.close();
    });

    it("refuses changes to unknown jobs and changes the state does not allow", async () => {
      const { store } = await open();
      await expect(store.complete("nope")).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
      await store.enqueueMany([makeNewJob("q")]);
      await expect(store.complete("q")).rejects.toMatchObject({ code: "CT_CONFLICT" });
      expect(store.get("q")?.state).toBe("queued");
      await store.close();
    });

    it("never stores an API key or anything but the job fields", async () => {
      const { store } = await open();
      const withKey = { ...makeNewJob("k"), apiKey: "claw_secret_key" } as ReturnType<typeof makeNewJob>;
      await store.enqueueMany([withKey]);
      expect(JSON.stringify(store.get("k"))).not.toContain("claw_secret_key");
      await store.close();
    });
  });
}
