// Group commit: the works of one tick share one transaction; a failing one does not take the others down.
import { describe, expect, it } from "vitest";
import { createGroupCommitter } from "../../../src/server/store/group-commit.js";

describe("group commit", () => {
  it("runs the works of one tick in one transaction and answers each caller with its own result", async () => {
    const transactions: string[][] = [];
    let current: string[] = [];
    const committer = createGroupCommitter(<T>(work: () => T): T => {
      current = [];
      const result = work();
      transactions.push(current);
      return result;
    });
    const results = await Promise.all(["a", "b", "c"].map((name) => committer.run(() => (current.push(name), name.toUpperCase()))));
    expect(results).toEqual(["A", "B", "C"]);
    expect(transactions).toEqual([["a", "b", "c"]]);
    expect(await committer.run(() => (current.push("d"), "D"))).toBe("D");
    expect(transactions).toEqual([["a", "b", "c"], ["d"]]);
  });

  it("retries each work alone when the shared transaction fails, so only the failing one is rejected", async () => {
    let transactions = 0;
    const committer = createGroupCommitter(<T>(work: () => T): T => {
      transactions++;
      return work();
    });
    const settled = await Promise.allSettled([
      committer.run(() => "first"),
      committer.run(() => {
        throw new Error("disk full");
      }),
      committer.run(() => "third"),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(settled[0]).toMatchObject({ value: "first" });
    expect(settled[1]).toMatchObject({ reason: new Error("disk full") });
    // One shared attempt, then one each.
    expect(transactions).toBe(4);
  });

  it("commits what waits when flushed synchronously (on close)", () => {
    const done: string[] = [];
    const committer = createGroupCommitter(<T>(work: () => T): T => work());
    void committer.run(() => done.push("waiting"));
    expect(done).toEqual([]);
    committer.flushSync();
    expect(done).toEqual(["waiting"]);
  });
});
