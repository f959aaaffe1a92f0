import { describe, expect, it } from "vitest";
import { startInactivityWatchdog } from "../../../src/client/inactivity-watchdog.js";
import { createManualClock } from "../../../src/infra/index.js";

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("inactivity watchdog", () => {
  it("fires once the silence reaches the limit, and not before", async () => {
    const clock = createManualClock();
    let fired = 0;
    const dog = startInactivityWatchdog(clock, 1000, () => fired++);
    await clock.advance(999);
    await flush();
    expect(fired).toBe(0);
    await clock.advance(1);
    await flush();
    expect(fired).toBe(1);
    await clock.advance(5000);
    await flush();
    expect(fired).toBe(1);
    dog.stop();
  });

  it("starts the silence again on every touch", async () => {
    const clock = createManualClock();
    let fired = 0;
    const dog = startInactivityWatchdog(clock, 1000, () => fired++);
    for (let i = 0; i < 5; i++) {
      await clock.advance(600);
      dog.touch();
      await flush();
    }
    expect(fired).toBe(0);
    await clock.advance(1000);
    await flush();
    expect(fired).toBe(1);
    dog.stop();
  });

  it("does not count the time a consumer holds a batch", async () => {
    const clock = createManualClock();
    let fired = 0;
    const dog = startInactivityWatchdog(clock, 1000, () => fired++);
    dog.hold();
    await clock.advance(10_000);
    await flush();
    expect(fired).toBe(0);
    dog.release();
    await clock.advance(999);
    await flush();
    expect(fired).toBe(0);
    await clock.advance(1001);
    await flush();
    expect(fired).toBe(1);
    dog.stop();
  });

  it("never fires after stop", async () => {
    const clock = createManualClock();
    let fired = 0;
    startInactivityWatchdog(clock, 1000, () => fired++).stop();
    await clock.advance(5000);
    await flush();
    expect(fired).toBe(0);
  });
});
