// The durable file store on real files in a temp dir: the contract, durability, group commit, corruption, disk full,
// dedupe across reopen, dead-letter overflow export, compaction crash window and file modes.
import { appendFile, chmod, mkdtemp, open as openFile, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openFileQueueStore, type FileQueueStoreOptions, type QueueAlarm, type QueueStore, type WriteKind } from "../../../src/daemon/queue/index.js";
import { createManualClock, createSilentLogger, writeFileDurable } from "../../../src/infra/index.js";
import { TEST_POLICY, makeNewJob } from "../../helpers/jobs.js";
import { describeQueueStoreContract } from "../../unit/daemon/queue-store-contract.js";

const boom = { code: "CT_SINK_FAILED", message: "boom" };
const logger = createSilentLogger();
const diskFull = (): Error => Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });

/** A real append + fsync, for tests that wrap the journal append. */
async function appendSynced(path: string, data: string): Promise<void> {
  const handle = await openFile(path, "a", 0o600);
  try {
    await handle.write(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-queue-"));
  path = join(dir, "queue-default.json");
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const opened: QueueStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
});
const track = (store: QueueStore): QueueStore => {
  opened.push(store);
  return store;
};
const open = async (overrides: Partial<FileQueueStoreOptions> = {}) => track(await openFileQueueStore({ path, policy: TEST_POLICY, logger, ...overrides }));
/** A look at the files as another process sees them while the writer holds them. */
const peek = () => open({ readOnly: true });

describeQueueStoreContract("file", async (deps) => track(await openFileQueueStore({ path: join(dir, `q-${Math.random().toString(36).slice(2)}.json`), logger, ...deps })));

describe("file queue store", () => {
  it("resolves an enqueue only after the journal line holding it is synced, and the file then has it", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const store = await open({ append: async (p, data) => {
      await gate;
      await appendSynced(p, data);
    } });
    let resolved = false;
    const pending = store.enqueueMany([makeNewJob("durable")]).then(() => (resolved = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    release();
    await pending;
    expect(await readFile(`${path}.journal`, "utf8")).toContain('"id":"durable"');
    // Another process reading the files now (as after a crash) finds it.
    const reader = await peek();
    expect(reader.list().map((j) => j.id)).toEqual(["durable"]);
  });

  it("keeps every file owner-only (0600)", async () => {
    const store = await open({ compactAfterLines: 2, policy: { ...TEST_POLICY, deadLetterMaxCount: 1 } });
    await store.enqueueMany([makeNewJob("m1"), makeNewJob("m2")]);
    store.claimDue(2, 1000);
    await store.fail("m1", boom, false);
    await store.fail("m2", boom, false);
    await store.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(["queue-default.json", "queue-default.json.dead-letters.overflow.jsonl", "queue-default.json.journal"]);
    for (const file of files) expect((await stat(join(dir, file))).mode & 0o777, file).toBe(0o600);
  });

  it("commits 100 concurrent enqueues in a handful of writes (counted by the write hook)", async () => {
    const kinds: WriteKind[] = [];
    const store = await open({ onWrite: (kind) => kinds.push(kind) });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.enqueueMany([makeNewJob(`g${i}`)])));
    expect(kinds.length).toBeGreaterThanOrEqual(1);
    expect(kinds.length).toBeLessThanOrEqual(3);
    expect((await peek()).pendingCount()).toBe(100);
  });

  it("keeps jobs, dead letters and dedupe across reopen, and redelivers what was being delivered with the attempt counted", async () => {
    const first = await open();
    await first.enqueueMany(["r1", "r2", "r3", "r4"].map((id) => makeNewJob(id)));
    first.claimDue(3, 60_000);
    await first.complete("r1");
    await first.fail("r2", boom, false);
    // r3 is left `delivering`, as if the daemon were killed during its delivery, after its agent had answered.
    await first.markAnswered("r3", "the answer, not yet sent");
    await first.close();
    const second = await open();
    expect(second.list().map((j) => [j.id, j.state, j.attempts])).toEqual([["r3", "queued", 1], ["r4", "queued", 0]]);
    expect(second.get("r3")?.answer).toBe("the answer, not yet sent");
    expect(second.deadLetters().map((j) => j.id)).toEqual(["r2"]);
    expect(await second.enqueueMany(["r1", "r2", "r3", "r5"].map((id) => makeNewJob(id)))).toEqual({ accepted: ["r5"], duplicates: ["r1", "r2", "r3"] });
  });

  for (const [label, content] of [
    ["truncated JSON", '{"version":1,"jobs":[{"id":'],
    ["an empty file", ""],
    ["a flipped byte", '{"version":1,"jobs":[],"dead":[],"seen":[["a",1]}'],
    ["an unknown version", '{"version":2,"jobs":[],"dead":[],"seen":[]}'],
  ] as const) {
    it(`moves a state file with ${label} aside, raises CT_STATE_CORRUPT's alarm and carries on (never a silent wipe)`, async () => {
      await writeFile(path, content);
      const alarms: QueueAlarm[] = [];
      const store = await open({ onAlarm: (a) => alarms.push(a) });
      expect(alarms).toMatchObject([{ kind: "state_corrupt", report: { path } }]);
      const aside = (await readdir(dir)).find((f) => f.startsWith("queue-default.json.corrupt-")) ?? "missing";
      expect(await readFile(join(dir, aside), "utf8")).toBe(content);
      await store.enqueueMany([makeNewJob("after")]);
      await store.close();
      expect((await open()).list().map((j) => j.id)).toEqual(["after"]);
    });
  }

  it("recovers the journal's jobs when the snapshot beside it is corrupt", async () => {
    const first = await open();
    await first.enqueueMany([makeNewJob("in-journal")]);
    await first.close();
    await writeFile(path, "garbage");
    const alarms: QueueAlarm[] = [];
    expect((await open({ onAlarm: (a) => alarms.push(a) })).list().map((j) => j.id)).toEqual(["in-journal"]);
    expect(alarms).toHaveLength(1);
  });

  it("rejects an enqueue whose write fails with CT_STATE_WRITE_FAILED, forgets it so the redelivery is taken, and recovers", async () => {
    let failing = true;
    const store = await open({
      write: async (p, data) => {
        if (failing) throw diskFull();
        await writeFileDurable(p, data);
      },
      append: async (p, data) => {
        if (failing) throw diskFull();
        await appendSynced(p, data);
      },
    });
    const attempt = store.enqueueMany([makeNewJob("full")]);
    // Not durable yet, so not claimable either.
    expect(store.claimDue(10, 1000)).toEqual([]);
    await expect(attempt).rejects.toMatchObject({ code: "CT_STATE_WRITE_FAILED" });
    await expect(store.enqueueMany([makeNewJob("full")])).rejects.toMatchObject({ code: "CT_STATE_WRITE_FAILED" });
    expect(store.pendingCount()).toBe(0);
    failing = false;
    expect(await store.enqueueMany([makeNewJob("full")])).toEqual({ accepted: ["full"], duplicates: [] });
    await store.close();
    expect((await open()).list().map((j) => j.id)).toEqual(["full"]);
  });

  it("keeps a change whose write failed in memory and writes it with the next change", async () => {
    let failing = false;
    const store = await open({ append: async (p, data) => {
      if (failing) throw diskFull();
      await appendSynced(p, data);
    } });
    await store.enqueueMany([makeNewJob("done"), makeNewJob("other")]);
    store.claimDue(1, 1000);
    failing = true;
    await expect(store.complete("done")).rejects.toMatchObject({ code: "CT_STATE_WRITE_FAILED" });
    expect(store.get("done")).toBeUndefined();
    failing = false;
    await store.enqueueMany([makeNewJob("next")]);
    await store.close();
    const reopened = await open();
    expect(reopened.list().map((j) => j.id)).toEqual(["other", "next"]);
    expect((await reopened.enqueueMany([makeNewJob("done")])).duplicates).toEqual(["done"]);
  });

  it("exports the oldest dead letters to the overflow file before dropping them, and says where in the alarm", async () => {
    const alarms: QueueAlarm[] = [];
    const store = await open({ policy: { ...TEST_POLICY, deadLetterMaxCount: 2 }, onAlarm: (a) => alarms.push(a) });
    await store.enqueueMany(["d1", "d2", "d3", "d4"].map((id) => makeNewJob(id)));
    store.claimDue(4, 1000);
    for (const id of ["d1", "d2", "d3", "d4"]) await store.fail(id, boom, false);
    const overflow = `${path}.dead-letters.overflow.jsonl`;
    expect(alarms).toEqual([
      { kind: "dead_letters_overflow", exported: 1, exportedTo: overflow, ids: ["d1"] },
      { kind: "dead_letters_overflow", exported: 1, exportedTo: overflow, ids: ["d2"] },
    ]);
    const exported = (await readFile(overflow, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { id: string; state: string; lastError: unknown });
    expect(exported.map((j) => [j.id, j.state])).toEqual([["d1", "dead"], ["d2", "dead"]]);
    expect(exported[0]?.lastError).toEqual(boom);
    await store.close();
    expect((await open()).deadLetters().map((j) => j.id)).toEqual(["d3", "d4"]);
  });

  it("does not drop a dead letter when its export fails: the write fails and the export is tried again", async () => {
    const store = await open({ policy: { ...TEST_POLICY, deadLetterMaxCount: 1 } });
    await store.enqueueMany([makeNewJob("e1"), makeNewJob("e2")]);
    store.claimDue(2, 1000);
    await store.fail("e1", boom, false);
    const overflow = `${path}.dead-letters.overflow.jsonl`;
    await writeFile(overflow, "");
    await chmod(overflow, 0o400);
    if (process.getuid?.() === 0) {
      // root ignores file modes: make the path a directory instead so the append fails.
      await rm(overflow);
      await (await import("node:fs/promises")).mkdir(overflow);
    }
    await expect(store.fail("e2", boom, false)).rejects.toMatchObject({ code: "CT_STATE_WRITE_FAILED" });
    // The file still holds e1 as a dead letter.
    expect((await peek()).deadLetters().map((j) => j.id)).toEqual(["e1"]);
    await rm(overflow, { recursive: true, force: true });
    await store.enqueueMany([makeNewJob("e3")]);
    expect((await readFile(overflow, "utf8")).trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(["e1"]);
    expect((await peek()).deadLetters().map((j) => j.id)).toEqual(["e2"]);
  });

  it("appends only changes to the journal and folds it into the snapshot now and then", async () => {
    const kinds: WriteKind[] = [];
    const store = await open({ compactAfterLines: 10, onWrite: (k) => kinds.push(k) });
    for (let i = 0; i < 25; i++) await store.enqueueMany([makeNewJob(`c${i}`)]);
    expect(kinds.filter((k) => k === "snapshot").length).toBeGreaterThanOrEqual(2);
    const snapshot = JSON.parse(await readFile(path, "utf8")) as { jobs: unknown[]; generation: number };
    expect(snapshot.jobs.length).toBeGreaterThanOrEqual(10);
    expect((await readFile(`${path}.journal`, "utf8")).trim().split("\n").length).toBeLessThanOrEqual(10);
    expect((await peek()).pendingCount()).toBe(25);
  });

  it("never replays an old journal over a newer snapshot (crash between compaction and journal restart)", async () => {
    const store = await open({ compactAfterLines: 4 });
    await store.enqueueMany([makeNewJob("x")]);
    const oldJournal = await readFile(`${path}.journal`, "utf8");
    expect(oldJournal).toContain('"put"');
    store.claimDue(1, 1000);
    await store.complete("x");
    for (const id of ["y", "z", "w"]) await store.enqueueMany([makeNewJob(id)]); // the fourth line makes a compaction
    await store.close();
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ generation: 1 });
    // As if the daemon died right after the new snapshot was renamed in, before the journal was restarted:
    // replaying that journal would bring the delivered x back.
    await writeFile(`${path}.journal`, oldJournal);
    const reopened = await open();
    expect(reopened.list().map((j) => j.id)).toEqual(["y", "z", "w"]);
    expect((await reopened.enqueueMany([makeNewJob("x")])).duplicates).toEqual(["x"]);
  });

  it("ignores a torn last journal line from an interrupted write, and never appends after it", async () => {
    const store = await open();
    await store.enqueueMany([makeNewJob("kept")]);
    await store.close();
    await appendFile(`${path}.journal`, '{"seen":[["torn",1]],"put":[{"id":"torn"');
    const next = await open();
    expect(next.list().map((j) => j.id)).toEqual(["kept"]);
    // The torn write was never confirmed, so its message must be taken when the server sends it again.
    expect((await next.enqueueMany([makeNewJob("torn")])).accepted).toEqual(["torn"]);
    await next.enqueueMany([makeNewJob("after-crash")]);
    expect((await peek()).list().map((j) => j.id)).toEqual(["kept", "torn", "after-crash"]);
  });

  it("remembers delivered ids across reopen within the dedupe window, and forgets them after it", async () => {
    const clock = createManualClock(1_000);
    const first = await open({ clock, dedupeTtlMs: 1_000_000 });
    await first.enqueueMany([makeNewJob("seen")]);
    first.claimDue(1, 1000);
    await first.complete("seen");
    await first.close();
    const second = await open({ clock, dedupeTtlMs: 1_000_000 });
    expect(second.pendingCount()).toBe(0);
    expect((await second.enqueueMany([makeNewJob("seen")])).duplicates).toEqual(["seen"]);
    await second.close();
    await clock.advance(1_000_001);
    expect((await (await open({ clock, dedupeTtlMs: 1_000_000 })).enqueueMany([makeNewJob("seen")])).accepted).toEqual(["seen"]);
  });

  it("lets a reader open the files while the writer keeps working, without writing anything itself", async () => {
    const writer = await open({ compactAfterLines: 3 });
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 30; i++) writes.push(writer.enqueueMany([makeNewJob(`w${i}`)]));
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) counts.push((await peek()).pendingCount());
    await Promise.all(writes);
    for (const count of counts) expect(count).toBeLessThanOrEqual(30);
    expect((await peek()).pendingCount()).toBe(30);
    const names = await readdir(dir);
    expect(names.filter((n) => n.includes("corrupt"))).toEqual([]);
  });
});
