import { describe, expect, it } from "vitest";
import { InvalidTransitionError, nextRetryDelayMs, transition, type DeliveryState, type JobEvent } from "../../../src/daemon/queue/index.js";
import { TEST_POLICY, makeJob } from "../../helpers/jobs.js";

const policy = { ...TEST_POLICY, random: () => 0.5 };
const boom = { code: "CT_SINK_FAILED", message: "boom" };

describe("delivery state machine", () => {
  it("claims a due job under a lease and completes it", () => {
    const claimed = transition(makeJob(), { type: "claimed", leaseMs: 1000 }, 10, policy);
    expect(claimed).toMatchObject({ state: "delivering", leaseUntil: 1010 });
    const done = transition(claimed, { type: "succeeded" }, 20, policy);
    expect(done).toMatchObject({ state: "delivered", attempts: 1 });
    expect(done.leaseUntil).toBeUndefined();
  });

  it("does not claim a job before it is due", () => {
    expect(() => transition(makeJob({ state: "retry_wait", nextAttemptAt: 100 }), { type: "claimed", leaseMs: 1 }, 99, policy)).toThrow(InvalidTransitionError);
  });

  it("schedules a retryable failure with backoff, and dead-letters after the last attempt", () => {
    let job = makeJob();
    for (let attempt = 1; attempt <= 9; attempt++) {
      job = transition(transition(job, { type: "claimed", leaseMs: 1 }, job.nextAttemptAt, policy), { type: "failed", error: boom, retryable: true }, job.nextAttemptAt, policy);
      expect(job.state).toBe("retry_wait");
      expect(job.attempts).toBe(attempt);
    }
    job = transition(transition(job, { type: "claimed", leaseMs: 1 }, job.nextAttemptAt, policy), { type: "failed", error: boom, retryable: true }, job.nextAttemptAt, policy);
    expect(job).toMatchObject({ state: "dead", attempts: 10, lastError: boom });
  });

  it("dead-letters a non-retryable failure at once", () => {
    const job = transition(makeJob({ state: "delivering" }), { type: "failed", error: { code: "CT_ROUTE_UNKNOWN", message: "x" }, retryable: false }, 5, policy);
    expect(job).toMatchObject({ state: "dead", attempts: 1, deadAt: 5 });
  });

  it("returns a job whose lease expired to the queue, and an operator retry revives a dead letter", () => {
    expect(transition(makeJob({ state: "delivering", leaseUntil: 3 }), { type: "lease_expired" }, 4, policy)).toMatchObject({ state: "queued", nextAttemptAt: 4 });
    const revived = transition(makeJob({ state: "dead", attempts: 10, deadAt: 1, lastError: boom }), { type: "retried_by_operator" }, 7, policy);
    expect(revived).toMatchObject({ state: "queued", attempts: 0, nextAttemptAt: 7 });
    expect(revived.deadAt).toBeUndefined();
  });

  it("records forward and dispatch effects while delivering", () => {
    const delivering = makeJob({ state: "delivering" });
    expect(transition(delivering, { type: "forwarded" }, 3, policy).forwardedAt).toBe(3);
    expect(transition(delivering, { type: "dispatched" }, 4, policy).dispatchedAt).toBe(4);
  });

  it("refuses every event that is not allowed in a state", () => {
    const events: JobEvent[] = [
      { type: "claimed", leaseMs: 1 },
      { type: "forwarded" },
      { type: "dispatched" },
      { type: "succeeded" },
      { type: "failed", error: boom, retryable: true },
      { type: "lease_expired" },
      { type: "retried_by_operator" },
    ];
    const allowed: Record<DeliveryState, string[]> = {
      queued: ["claimed"],
      retry_wait: ["claimed"],
      delivering: ["forwarded", "dispatched", "succeeded", "failed", "lease_expired"],
      dead: ["retried_by_operator"],
      delivered: [],
    };
    for (const state of Object.keys(allowed) as DeliveryState[]) {
      for (const event of events) {
        const run = () => transition(makeJob({ state }), event, 0, policy);
        if (allowed[state].includes(event.type)) expect(run, `${state} + ${event.type}`).not.toThrow();
        else expect(run, `${state} + ${event.type}`).toThrow(InvalidTransitionError);
      }
    }
  });
});

describe("retry backoff", () => {
  it("doubles from 5 s up to the 15 min cap, within ±20 % jitter", () => {
    const waits = Array.from({ length: 10 }, (_, i) => nextRetryDelayMs(i + 1, TEST_POLICY, 0.5));
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 900_000, 900_000]);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0)).toBe(4_000);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.999_999)).toBe(6_000);
  });

  it("honours a longer Retry-After, never beyond the cap", () => {
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.5, 60_000)).toBe(60_000);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.5, 1_000)).toBe(5_000);
    expect(nextRetryDelayMs(1, TEST_POLICY, 0.5, 10 * 60 * 60_000)).toBe(1_080_000);
  });
});
