import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openQueueStore, type QueueAlarm, type QueueStore, type QueueStoreOptions } from "../../../src/daemon/queue/index.js";
import { createManualClock, createSilentLogger, writeFileDurable } from "../../../src/infra/index.js";
import { TEST_POLICY, makeNewJob } from "../../helpers/jobs.js";

const boom = { code: "CT_SINK_FAILED", message: "boom" };

/** The same behaviour is required of the file store and its in-memory twin. */
function describeQueueStoreContract(label: string, open: (overrides?: Partial<QueueStoreOptions>) => Promise<QueueStore>): void {
  describe(`${label}: queue store contract`, () => {
    it("takes messages in once, claims them in order, and completes them", async () => {
      const store = await open();
      expect(await store.enqueueMany([makeNewJob("a"), makeNewJob("b"), makeNewJob("a")])).toEqual({ accepted: ["a", "b"], duplicates: ["a"] });
      expect(store.claimDue(10, 1000).map((j) => j.id)).toEqual(["a", "b"]);
      expect(store.claimDue(10, 1000)).toEqual([]);
      await store.complete("a");
      expect(store.pendingCount()).toBe(1);
      expect((await store.enqueueMany([makeNewJob("a")])).duplicates).toEqual(["a"]);
    });

    it("retries failures after their backoff and dead-letters at the budget", async () => {
      const clock = createManualClock(0);
      const store = await open({ clock, policy: { ...TEST_POLICY, maxAttempts: 2 } });
      await store.enqueueMany([makeNewJob("x")]);
      store.claimDue(1, 1000);
      expect((await store.fail("x", boom, true)).state).toBe("retry_wait");
      expect(store.claimDue(1, 1000)).toEqual([]);
      await clock.advance(store.nextDueAt() ?? 0);
      expect(store.claimDue(1, 1000).map((j) => j.id)).toEqual(["x"]);
      expect((await store.fail("x", boom, true)).state).toBe("dead");
      expect(store.pendingCount()).toBe(0);
      expect(store.deadLetters().map((j) => [j.id, j.attempts, j.lastError?.code])).toEqual([["x", 2, "CT_SINK_FAILED"]]);
      expect(await store.retryDead("x")).toBe(true);
      expect(store.claimDue(1, 1000).map((j) => [j.id, j.attempts])).toEqual([["x", 0]]);
    });

    it("reclaims a job whose lease expired", async () => {
      const clock = createManualClock(0);
      const store = await open({ clock });
      await store.enqueueMany([makeNewJob("l")]);
      store.claimDue(1, 500);
      await clock.advance(501);
      expect(store.claimDue(1, 500).map((j) => j.id)).toEqual(["l"]);
    });

    it("purges dead letters on request", async () => {
      const store = await open();
      await store.enqueueMany([makeNewJob("p1"), makeNewJob("p2")]);
      store.claimDue(2, 1000);
      await store.fail("p1", boom, false);
      await store.fail("p2", boom, false);
      expect(await store.purgeDead("p1")).toBe(1);
      expect(await store.retryAllDead()).toBe(1);
      expect(await store.purgeDead()).toBe(0);
    });
  });
}

describeQueueStoreContract("memory", (overrides) => openQueueStore({ policy: TEST_POLICY, logger: createSilentLogger(), ...overrides }));

describe("file queue store", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-queue-"));
    path = join(dir, "queue.json");
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const open = (overrides: Partial<QueueStoreOptions> = {}) => openQueueStore({ path, policy: TEST_POLICY, logger: createSilentLogger(), ...overrides });

  describeQueueStoreContract("file", (overrides) => openQueueStore({ path: join(dir, `q-${Math.random()}.json`), policy: TEST_POLICY, logger: createSilentLogger(), ...overrides }));

  it("has the message on disk, owner-only, by the time enqueue resolves", async () => {
    const store = await open();
    await store.enqueueMany([makeNewJob("durable")]);
    // Another process reading the files now (as after a crash) finds it.
    const reader = await open();
    expect(reader.list().map((j) => j.id)).toEqual(["durable"]);
    expect((await stat(`${path}.journal`)).mode & 0o777).toBe(0o600);
  });

  it("appends only changes to the journal and folds it into the snapshot now and then", async () => {
    const store = await open({ compactAfterLines: 10 });
    for (let i = 0; i < 12; i++) await store.enqueueMany([makeNewJob(`c${i}`)]);
    await store.enqueueMany([makeNewJob("last")]);
    const snapshot = JSON.parse(await readFile(path, "utf8")) as { jobs: unknown[] };
    expect(snapshot.jobs.length).toBeGreaterThanOrEqual(10);
    expect((await readFile(`${path}.journal`, "utf8")).trim().split("\n").length).toBeLessThan(10);
    expect((await open()).pendingCount()).toBe(13);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("ignores a torn last journal line from an interrupted write, and never appends after it", async () => {
    const store = await open();
    await store.enqueueMany([makeNewJob("kept")]);
    await appendFile(`${path}.journal`, '{"seen":[["torn",1]],"put":[{"id":"torn"');
    const next = await open();
    expect(next.list().map((j) => j.id)).toEqual(["kept"]);
    // The torn write was never confirmed, so its message must be taken when the server sends it again.
    expect((await next.enqueueMany([makeNewJob("torn")])).accepted).toEqual(["torn"]);
    await next.enqueueMany([makeNewJob("after-crash")]);
    expect((await open()).list().map((j) => j.id)).toEqual(["kept", "torn", "after-crash"]);
  });

  it("commits a burst of enqueues in a handful of writes", async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.enqueueMany([makeNewJob(`g${i}`)])));
    expect(store.pendingCount()).toBe(100);
    expect(store.writes()).toBeLessThanOrEqual(3);
  });

  it("keeps jobs, dead letters and dedupe across reopen, and redelivers what was being delivered", async () => {
    const first = await open();
    await first.enqueueMany([makeNewJob("r1"), makeNewJob("r2"), makeNewJob("r3")]);
    first.claimDue(2, 60_000);
    await first.complete("r1");
    await first.fail("r2", boom, false);
    await first.close();
    const second = await open();
    expect(second.list().map((j) => [j.id, j.state])).toEqual([["r3", "queued"]]);
    expect(second.deadLetters().map((j) => j.id)).toEqual(["r2"]);
    expect((await second.enqueueMany([makeNewJob("r1"), makeNewJob("r2")])).duplicates).toEqual(["r1", "r2"]);
  });

  it("moves a corrupt state file aside, raises an alarm and carries on", async () => {
    await writeFile(path, '{"version":1,"jobs":[{"id":');
    const alarms: QueueAlarm[] = [];
    const store = await open({ onAlarm: (a) => alarms.push(a) });
    expect(alarms).toMatchObject([{ kind: "state_corrupt", report: { path } }]);
    const files = await readdir(dir);
    expect(files.some((f) => f.startsWith("queue.json.corrupt-"))).toBe(true);
    const aside = files.find((f) => f.startsWith("queue.json.corrupt-")) ?? "";
    expect(await readFile(join(dir, aside), "utf8")).toBe('{"version":1,"jobs":[{"id":');
    await store.enqueueMany([makeNewJob("after")]);
    expect(store.pendingCount()).toBe(1);
  });

  it("rejects an enqueue whose write fails, forgets it so the redelivery is taken, and recovers", async () => {
    let failing = true;
    const full = () => Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    const store = await open({
      write: async (p, data) => {
        if (failing) throw full();
        await writeFileDurable(p, data);
      },
      append: async () => {
        if (failing) throw full();
      },
    });
    await expect(store.enqueueMany([makeNewJob("full")])).rejects.toMatchObject({ code: "CT_STATE_WRITE_FAILED" });
    expect(store.pendingCount()).toBe(0);
    failing = false;
    expect(await store.enqueueMany([makeNewJob("full")])).toEqual({ accepted: ["full"], duplicates: [] });
  });

  it("bounds dead letters: the oldest are exported, never silently dropped, with an alarm", async () => {
    const alarms: QueueAlarm[] = [];
    const store = await open({ policy: { ...TEST_POLICY, deadLetterMaxCount: 2 }, onAlarm: (a) => alarms.push(a) });
    await store.enqueueMany([makeNewJob("d1"), makeNewJob("d2"), makeNewJob("d3")]);
    store.claimDue(3, 1000);
    for (const id of ["d1", "d2", "d3"]) await store.fail(id, boom, false);
    expect(store.deadLetters().map((j) => j.id)).toEqual(["d2", "d3"]);
    expect(alarms).toMatchObject([{ kind: "dead_letters_overflow", exported: 1 }]);
    const exported = await readFile(`${path}.dead-letters.overflow.jsonl`, "utf8");
    expect(exported.trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(["d1"]);
  });

});
