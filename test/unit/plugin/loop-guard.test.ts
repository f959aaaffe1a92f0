// The loop guard on a manual clock: a sliding window per account, name and sender; the human is told once per window.
import { describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { createLoopGuard } from "../../../src/plugin/loop-guard.js";

const LIMIT = { maxReplies: 3, windowSeconds: 60 };

describe("loop guard", () => {
  it("allows maxReplies within the window, then holds replies back and says so once per window", async () => {
    const clock = createManualClock(1_000_000);
    const guard = createLoopGuard(clock);
    const take = (): string => guard.take("default", "alice", "bob", LIMIT);
    expect([take(), take(), take()]).toEqual(["allowed", "allowed", "allowed"]);
    expect(take()).toBe("held-first");
    await clock.advance(30_000);
    expect(take()).toBe("held");
    // The window slides: the first three replies fall out of it one minute after they were sent.
    await clock.advance(30_000);
    expect(take()).toBe("allowed");
    expect(take()).toBe("allowed");
    expect(take()).toBe("allowed");
    expect(take()).toBe("held-first");
  });

  it("counts each account, name and sender on its own", () => {
    const guard = createLoopGuard(createManualClock(0));
    for (let i = 0; i < 3; i++) guard.take("default", "alice", "bob", LIMIT);
    expect(guard.take("default", "alice", "bob", LIMIT)).toBe("held-first");
    expect(guard.take("default", "alice", "carol", LIMIT)).toBe("allowed");
    expect(guard.take("default", "helper", "bob", LIMIT)).toBe("allowed");
    expect(guard.take("work", "alice", "bob", LIMIT)).toBe("allowed");
  });

  it("forgets only pairs with nothing left in their window when it keeps many", async () => {
    const clock = createManualClock(0);
    const guard = createLoopGuard(clock);
    for (let i = 0; i < 3; i++) guard.take("default", "alice", "bob", LIMIT);
    await clock.advance(61_000);
    for (let i = 0; i < 3; i++) guard.take("default", "alice", "carol", LIMIT);
    // Many other pairs, once each: the next takes sweep; bob's replies are out of the window, carol's are not.
    for (let i = 0; i < 1_200; i++) guard.take("default", "alice", `sender-${i}`, LIMIT);
    expect(guard.take("default", "alice", "carol", LIMIT)).toBe("held-first");
    expect(guard.take("default", "alice", "bob", LIMIT)).toBe("allowed");
  });

  it("is off with maxReplies 0", () => {
    const guard = createLoopGuard(createManualClock(0));
    for (let i = 0; i < 100; i++) expect(guard.take("default", "alice", "bob", { maxReplies: 0, windowSeconds: 60 })).toBe("allowed");
  });
});
