// The delivery loop's idle wait: it goes through the injected clock, and waking or stopping it leaves no listener
// and no timer behind, however many times the loop idles.
import { afterEach, describe, expect, it } from "vitest";
import { parseChannelConfig, resolveAccounts, type ResolvedAccount } from "../../../src/config/index.js";
import { createMemoryQueueStore, routeAtIntake, startDeliveryLoop, type DeliveryLoopHandle, type Sink } from "../../../src/daemon/index.js";
import { ClawTellError, createManualClock, createSilentLogger } from "../../../src/infra/index.js";
import type { Message } from "../../../src/protocol/index.js";

const account = resolveAccounts(
  parseChannelConfig({ name: "bob", apiKey: "claw_test_key_0000000000", queue: { backoffBaseMs: 60_000, backoffCapMs: 60_000 }, routing: { bob: { command: { command: "unused" }, forward: false } } }),
)[0] as ResolvedAccount;

const messageOf = (n: number): Message => ({ id: `m${n}`, from: "tell/alice", to_name: "bob", subject: "s", body: `body ${n}`, createdAt: new Date(0).toISOString(), attachments: [] });

describe("delivery loop idle wait", () => {
  let loop: DeliveryLoopHandle | undefined;
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });

  it("waits for a retry through the injected clock: the job is delivered when that clock reaches its time", async () => {
    const clock = createManualClock(1_000_000);
    const queue = createMemoryQueueStore({ policy: account.queue, clock, random: () => 0.5 });
    const attempts: number[] = [];
    const command: Sink = {
      async deliver(request) {
        attempts.push(request.attempt);
        if (request.attempt === 1) throw new ClawTellError("CT_SINK_FAILED", "busy", { retryable: true });
      },
    };
    const settled: string[] = [];
    loop = startDeliveryLoop({ queue, account: () => account, sinks: { command }, clock, logger: createSilentLogger(), onSettled: (_job, outcome) => settled.push(outcome) });
    await queue.enqueueMany([routeAtIntake(account, messageOf(1))]);
    loop.wake();
    await expect.poll(() => settled).toEqual(["retry"]);
    // No real time has to pass: the retry is due when the clock says so.
    await clock.advance(60_000);
    await expect.poll(() => settled, { timeout: 5_000 }).toEqual(["retry", "delivered"]);
    expect(attempts).toEqual([1, 2]);
  });

  it("leaves no timer and no listener behind however often it idles and is woken", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const queue = createMemoryQueueStore({ policy: account.queue });
    const delivered: string[] = [];
    const command: Sink = { deliver: async (request) => void delivered.push(request.message.id) };
    const before = timers();
    loop = startDeliveryLoop({ queue, account: () => account, sinks: { command }, clock: createManualClock(), logger: createSilentLogger() });
    // Each message ends one idle wait and starts another: 30 waits in all, each woken before its time.
    for (let n = 1; n <= 30; n++) {
      await queue.enqueueMany([routeAtIntake(account, messageOf(n))]);
      loop.wake();
      await expect.poll(() => delivered.length, { interval: 2 }).toBe(n);
    }
    // The waits went through the injected clock (no timers of their own), and none was left armed.
    expect(timers() - before).toBeLessThan(3);
    await loop.stop();
    loop = undefined;
  });
});
