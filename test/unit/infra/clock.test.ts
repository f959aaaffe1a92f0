import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { createManualClock, foregroundClock, systemClock, timerOn, type Clock } from "../../../src/infra/index.js";

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

describe("timers (after, timerOn)", () => {
  it("fire once at their time on the manual clock, and a cancelled one never", async () => {
    const clock = createManualClock();
    const fired: string[] = [];
    timerOn(clock, 20, () => fired.push("b"));
    timerOn(clock, 10, () => fired.push("a"));
    const cancel = timerOn(clock, 15, () => fired.push("cancelled"));
    cancel();
    await clock.advance(9);
    expect(fired).toEqual([]);
    await clock.advance(11);
    expect(fired).toEqual(["a", "b"]);
    await clock.advance(100);
    expect(fired).toEqual(["a", "b"]);
  });

  it("are built on sleep for a clock without after, cancelled through its signal", async () => {
    const manual = createManualClock();
    // A clock that only has now and sleep, as some tests give.
    const plain: Clock = { now: () => manual.now(), sleep: (ms, signal) => manual.sleep(ms, signal) };
    const fired: string[] = [];
    timerOn(plain, 10, () => fired.push("kept"));
    const cancel = timerOn(plain, 10, () => fired.push("cancelled"));
    cancel();
    await manual.advance(10);
    expect(fired).toEqual(["kept"]);
  });

  it("on the system clock fire, and do not keep the process alive; the foreground clock's do", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const cancelIdle = timerOn(systemClock, 60_000, () => undefined);
    expect(timers()).toBe(before);
    const cancelForeground = timerOn(foregroundClock, 60_000, () => undefined);
    expect(timers()).toBe(before + 1);
    cancelIdle();
    cancelForeground();
    expect(timers()).toBe(before);
    await new Promise<void>((resolve) => timerOn(systemClock, 1, resolve));
  });
});
