// Group commit: the works of one tick form one group, written as one record and made durable by one sync; groups
// settle in the order they were written; a failing work or group fails only its own callers.
import { describe, expect, it } from "vitest";
import { createGroupCommitter, type GroupLog } from "../../../src/server/store/group-commit.js";

/** A log whose syncs the test finishes by hand, in any order. */
function manualLog() {
  const writes: string[][] = [];
  const applied: string[][] = [];
  const syncs: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  let failWrite = false;
  const log: GroupLog<string[]> = {
    write(parts) {
      if (failWrite) throw new Error("disk full");
      writes.push(parts.flat());
    },
    sync: () => new Promise<void>((resolve, reject) => syncs.push({ resolve, reject })),
    apply(parts) {
      applied.push(parts.flat());
    },
  };
  return { log, writes, applied, syncs, failWriteNext: (fail: boolean) => (failWrite = fail) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("group commit", () => {
  it("writes the works of one tick as one group and answers each caller with its own result once it is synced", async () => {
    const { log, writes, applied, syncs } = manualLog();
    const committer = createGroupCommitter({ log, newPart: (): string[] => [] });
    let answered = 0;
    const results = Promise.all(
      ["a", "b", "c"].map((name) => committer.run((part) => (part.push(name), name.toUpperCase())).then((r) => (answered++, r))),
    );
    await tick();
    expect(writes).toEqual([["a", "b", "c"]]);
    expect(syncs).toHaveLength(1);
    await tick();
    expect(answered).toBe(0);
    expect(applied).toEqual([]);
    syncs[0]?.resolve();
    expect(await results).toEqual(["A", "B", "C"]);
    expect(applied).toEqual([["a", "b", "c"]]);
  });

  it("forms the next group from what arrives while a sync is on the disk", async () => {
    const { log, writes, syncs } = manualLog();
    const committer = createGroupCommitter({ log, newPart: (): string[] => [] });
    const first = committer.run((part) => part.push("a"));
    await tick();
    const later = [committer.run((part) => part.push("b")), committer.run((part) => part.push("c"))];
    await tick();
    // One sync at a time by default: b and c wait, together.
    expect(writes).toEqual([["a"]]);
    expect(committer.inFlight()).toBe(1);
    syncs[0]?.resolve();
    await first;
    expect(writes).toEqual([["a"], ["b", "c"]]);
    syncs[1]?.resolve();
    await Promise.all(later);
    expect(committer.inFlight()).toBe(0);
  });

  it("applies groups in the order they were written, even when a later sync finishes first", async () => {
    const { log, applied, syncs } = manualLog();
    const committer = createGroupCommitter({ log, newPart: (): string[] => [], maxInFlight: 2 });
    const order: string[] = [];
    const first = committer.run((part) => part.push("a")).then(() => order.push("a"));
    await tick();
    const second = committer.run((part) => part.push("b")).then(() => order.push("b"));
    await tick();
    expect(syncs).toHaveLength(2);
    syncs[1]?.resolve();
    await tick();
    expect(applied).toEqual([]);
    syncs[0]?.resolve();
    await Promise.all([first, second]);
    expect(applied).toEqual([["a"], ["b"]]);
    expect(order).toEqual(["a", "b"]);
  });

  it("fails only the work that throws, and leaves its part out of the group", async () => {
    const { log, writes, syncs } = manualLog();
    const committer = createGroupCommitter({ log, newPart: (): string[] => [] });
    const settled = Promise.allSettled([
      committer.run((part) => (part.push("first"), 1)),
      committer.run((part) => {
        part.push("half-done");
        throw new Error("bad item");
      }),
      committer.run((part) => (part.push("third"), 3)),
    ]);
    await tick();
    syncs[0]?.resolve();
    const outcome = await settled;
    expect(outcome.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(outcome[1]).toMatchObject({ reason: new Error("bad item") });
    expect(writes).toEqual([["first", "third"]]);
  });

  it("rejects a group whose write or sync failed, without applying it, and goes on with the next", async () => {
    const { log, applied, syncs, failWriteNext } = manualLog();
    const committer = createGroupCommitter({ log, newPart: (): string[] => [] });
    failWriteNext(true);
    await expect(committer.run((part) => part.push("unwritten"))).rejects.toThrow("disk full");
    failWriteNext(false);
    const unsynced = committer.run((part) => part.push("unsynced"));
    await tick();
    syncs[0]?.reject(new Error("sync failed"));
    await expect(unsynced).rejects.toThrow("sync failed");
    const next = committer.run((part) => part.push("next"));
    await tick();
    syncs[1]?.resolve();
    await next;
    expect(applied).toEqual([["next"]]);
  });

  it("holds new groups back until released, and drains everything on close", async () => {
    const { log, writes, syncs } = manualLog();
    const committer = createGroupCommitter({ log, newPart: (): string[] => [] });
    committer.hold();
    const held = committer.run((part) => part.push("held"));
    await tick();
    expect(writes).toEqual([]);
    committer.release();
    expect(writes).toEqual([["held"]]);
    const waiting = committer.run((part) => part.push("waiting"));
    let drained = false;
    const drain = committer.drain().then(() => (drained = true));
    syncs[0]?.resolve();
    await held;
    await tick();
    expect(drained).toBe(false);
    syncs[1]?.resolve();
    await Promise.all([waiting, drain]);
    expect(writes).toEqual([["held"], ["waiting"]]);
  });
});
