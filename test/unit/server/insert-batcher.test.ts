// The PostgreSQL backend's group commit for sends and acks: one write at a time, the calls that arrive meanwhile
// gathered into one group; a failing group written again call by call; an unreachable database failing them all.
import { describe, expect, it } from "vitest";
import { ClawTellError } from "../../../src/infra/index.js";
import { createInsertBatcher } from "../../../src/server/store/postgres/insert-batcher.js";

/** A write the test finishes by hand: each call's items, and its resolve/reject. */
function manualWrite() {
  const writes: Array<{ items: readonly string[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  const write = (items: readonly string[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      writes.push({ items, resolve, reject });
    });
  return { write, writes };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("insert batcher", () => {
  it("writes one group at a time and gathers every call that arrives meanwhile into the next", async () => {
    const { write, writes } = manualWrite();
    const batcher = createInsertBatcher(write);
    const answered: string[] = [];
    const calls = ["a", "b", "c", "d"].map((item) => batcher.add([item]).then(() => void answered.push(item)));
    await tick();
    expect(writes.map((w) => w.items)).toEqual([["a"]]);

    writes[0]?.resolve();
    await tick();
    expect(answered).toEqual(["a"]);
    expect(writes.map((w) => w.items)).toEqual([["a"], ["b", "c", "d"]]);

    const late = batcher.add(["e"]).then(() => void answered.push("e"));
    await tick();
    expect(writes).toHaveLength(2);
    writes[1]?.resolve();
    await tick();
    expect(writes.map((w) => w.items)).toEqual([["a"], ["b", "c", "d"], ["e"]]);
    writes[2]?.resolve();
    await Promise.all([...calls, late]);
    expect(answered).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("writes as many groups at once as it is given", async () => {
    const { write, writes } = manualWrite();
    const batcher = createInsertBatcher(write, 3);
    const calls = ["a", "b", "c", "d", "e"].map((item) => batcher.add([item]));
    await tick();
    expect(writes.map((w) => w.items)).toEqual([["a"], ["b"], ["c"]]);
    for (const w of writes.splice(0)) w.resolve();
    await tick();
    expect(writes.map((w) => w.items)).toEqual([["d", "e"]]);
    writes[0]?.resolve();
    await Promise.all(calls);
  });

  it("writes a failed group again call by call, so that only the call that fails is refused", async () => {
    const written: string[][] = [];
    const batcher = createInsertBatcher<string>(async (items) => {
      written.push([...items]);
      if (items.includes("bad")) throw new ClawTellError("CT_STATE_CORRUPT", "refused");
    }, 1);
    const first = batcher.add(["x"]);
    const group = [batcher.add(["y"]), batcher.add(["bad"]), batcher.add(["z"])];
    await first;
    const results = await Promise.allSettled(group);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(written).toEqual([["x"], ["y", "bad", "z"], ["y"], ["bad"], ["z"]]);
  });

  it("fails every call of a group at once when the database cannot be reached", async () => {
    let writes = 0;
    const batcher = createInsertBatcher<string>(async () => {
      writes++;
      throw new ClawTellError("CT_UNAVAILABLE", "the database is gone");
    }, 1);
    const first = batcher.add(["x"]);
    const group = [batcher.add(["y"]), batcher.add(["z"])];
    await expect(first).rejects.toMatchObject({ code: "CT_UNAVAILABLE" });
    const results = await Promise.allSettled(group);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(writes).toBe(2);
  });

  it("drains: resolves once every write under way has settled", async () => {
    const { write, writes } = manualWrite();
    const batcher = createInsertBatcher(write, 2);
    void batcher.add(["a"]);
    void batcher.add(["b"]);
    void batcher.add(["c"]);
    await tick();
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    writes[0]?.resolve();
    writes[1]?.resolve();
    await tick();
    expect(drained).toBe(false);
    expect(writes.map((w) => w.items)).toEqual([["a"], ["b"], ["c"]]);
    writes[2]?.resolve();
    await draining;
    expect(drained).toBe(true);
  });
});
