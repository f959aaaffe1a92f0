import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { createManualClock, foregroundClock, systemClock } from "../../../src/infra/index.js";

const SLEEPS = 50;

describe("manual clock", () => {
  it("leaves no abort listener behind after sleeps that woke normally", async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    for (let i = 0; i < SLEEPS; i++) {
      const slept = clock.sleep(10, controller.signal);
      await clock.advance(10);
      await slept;
    }
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("leaves no abort listener behind after an aborted sleep, and rejects with the reason", async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const slept = clock.sleep(10, controller.signal);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    await clock.advance(10);
  });

  it("wakes sleepers in the order of their times", async () => {
    const clock = createManualClock();
    const woke: number[] = [];
    const sleeps = [30, 10, 20].map((ms) => clock.sleep(ms).then(() => woke.push(ms)));
    await clock.advance(30);
    await Promise.all(sleeps);
    expect(woke).toEqual([10, 20, 30]);
  });
});

describe("system clock", () => {
  it("leaves no abort listener behind after sleeps that woke normally", async () => {
    const controller = new AbortController();
    for (let i = 0; i < SLEEPS; i++) await systemClock.sleep(0, controller.signal);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("leaves no abort listener behind after an aborted sleep", async () => {
    const controller = new AbortController();
    const slept = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("does not keep the process alive while it sleeps", async () => {
    const controller = new AbortController();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const slept = systemClock.sleep(60_000, controller.signal);
    expect(timers()).toBe(before);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
  });
});

describe("foreground clock", () => {
  it("keeps the process alive while it sleeps, and leaves no abort listener behind", async () => {
    const controller = new AbortController();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const slept = foregroundClock.sleep(60_000, controller.signal);
    expect(timers()).toBe(before + 1);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    const running = new AbortController();
    for (let i = 0; i < SLEEPS; i++) await foregroundClock.sleep(0, running.signal);
    expect(getEventListeners(running.signal, "abort")).toHaveLength(0);
  });
});
