// The periodic job on a manual clock: it runs once per interval the clock moves, never as a backlog, and leaves
// nothing waiting once stopped.
import { describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { startPeriodicJob } from "../../../src/server/periodic-job.js";

const INTERVAL = 1000;

describe("startPeriodicJob", () => {
  it("runs each time the clock reaches the next turn, and runs one turn only after a long jump", async () => {
    const clock = createManualClock(0);
    const ranAt: number[] = [];
    const job = startPeriodicJob({ clock, intervalMs: INTERVAL, run: async () => void ranAt.push(clock.now()) });
    await clock.advance(INTERVAL);
    await expect.poll(() => ranAt).toEqual([INTERVAL]);
    await clock.advance(10 * INTERVAL);
    await expect.poll(() => ranAt.length).toBe(2);
    await clock.advance(INTERVAL);
    await expect.poll(() => ranAt.length).toBe(3);
    expect(ranAt).toEqual([INTERVAL, 11 * INTERVAL, 12 * INTERVAL]);
    await job.stop();
  });

  it("runs again at once when the clock passed the next turn during a run", async () => {
    const clock = createManualClock(0);
    let release = (): void => undefined;
    const ranAt: number[] = [];
    const job = startPeriodicJob({
      clock,
      intervalMs: INTERVAL,
      run: async () => {
        ranAt.push(clock.now());
        if (ranAt.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    await clock.advance(INTERVAL);
    await expect.poll(() => ranAt.length).toBe(1);
    await clock.advance(5 * INTERVAL);
    release();
    await expect.poll(() => ranAt).toEqual([INTERVAL, 6 * INTERVAL]);
    await job.stop();
  });

  it("stop waits for a run under way, and nothing runs after it", async () => {
    const clock = createManualClock(0);
    let release = (): void => undefined;
    const events: string[] = [];
    const job = startPeriodicJob({
      clock,
      intervalMs: INTERVAL,
      run: async () => {
        events.push("run");
        await new Promise<void>((resolve) => (release = resolve));
        events.push("run ended");
      },
    });
    await clock.advance(INTERVAL);
    await expect.poll(() => events).toEqual(["run"]);
    const stopped = job.stop().then(() => events.push("stopped"));
    release();
    await stopped;
    expect(events).toEqual(["run", "run ended", "stopped"]);
    await clock.advance(10 * INTERVAL);
    expect(events).toEqual(["run", "run ended", "stopped"]);
  });

  it("stops while waiting without running", async () => {
    const clock = createManualClock(0);
    let runs = 0;
    const job = startPeriodicJob({ clock, intervalMs: INTERVAL, run: async () => void runs++ });
    await job.stop();
    await clock.advance(10 * INTERVAL);
    expect(runs).toBe(0);
  });
});
