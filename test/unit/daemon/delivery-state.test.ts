import { describe, expect, it } from "vitest";
import { ALLOWED_EVENTS, DELIVERY_STATES, transition, type DeliveryState, type Job, type JobEvent } from "../../../src/daemon/queue/index.js";
import { ClawTellError } from "../../../src/infra/index.js";
import { TEST_POLICY, makeJob } from "../../helpers/jobs.js";

const policy = { ...TEST_POLICY, random: () => 0.5 };
const boom = { code: "CT_SINK_FAILED", message: "boom" };

const EVENTS: JobEvent[] = [
  { type: "claimed", leaseMs: 1000 },
  { type: "forwarded" },
  { type: "dispatched" },
  { type: "answered", text: "the agent's answer" },
  { type: "succeeded" },
  { type: "failed", error: boom, retryable: true },
  { type: "lease_expired" },
  { type: "due" },
  { type: "retried_by_operator" },
];

/** What each allowed (state, event) pair must produce, from a job with 3 attempts made, due at 100, now = 200. */
const EXPECTED: Record<DeliveryState, Partial<Record<JobEvent["type"], Partial<Job>>>> = {
  queued: {
    claimed: { state: "delivering", leaseUntil: 1200, attempts: 3 },
    forwarded: { state: "queued", forwardedAt: 200 },
    dispatched: { state: "queued", dispatchedAt: 200 },
    answered: { state: "queued", answer: "the agent's answer" },
  },
  delivering: {
    forwarded: { state: "delivering", forwardedAt: 200 },
    dispatched: { state: "delivering", dispatchedAt: 200 },
    answered: { state: "delivering", answer: "the agent's answer" },
    succeeded: { state: "delivered", attempts: 4 },
    failed: { state: "retry_wait", attempts: 4, nextAttemptAt: 200 + 40_000, lastError: boom },
    lease_expired: { state: "queued", attempts: 4, nextAttemptAt: 200, lastError: { code: "CT_TIMEOUT", message: expect.any(String) as string } },
  },
  retry_wait: {
    due: { state: "queued", nextAttemptAt: 100 },
    forwarded: { state: "retry_wait", forwardedAt: 200 },
    dispatched: { state: "retry_wait", dispatchedAt: 200 },
    answered: { state: "retry_wait", answer: "the agent's answer" },
  },
  delivered: {},
  dead: { retried_by_operator: { state: "queued", attempts: 0, nextAttemptAt: 200 } },
};

describe("delivery state machine", () => {
  it("defines every state and event pair: the allowed ones give the expected job, all others throw CT_CONFLICT", () => {
    let checked = 0;
    for (const state of DELIVERY_STATES) {
      const job = makeJob({ state, attempts: 3, nextAttemptAt: 100, leaseUntil: 150, ...(state === "dead" ? { deadAt: 90, lastError: boom } : {}) });
      for (const event of EVENTS) {
        const expected = EXPECTED[state][event.type];
        expect(ALLOWED_EVENTS[state].includes(event.type), `${state} + ${event.type}`).toBe(expected !== undefined);
        if (expected === undefined) {
          const run = (): Job => transition(job, event, 200, policy);
          expect(run, `${state} + ${event.type}`).toThrow(ClawTellError);
          expect(run, `${state} + ${event.type}`).toThrow(expect.objectContaining({ code: "CT_CONFLICT" }) as Error);
        } else {
          const next = transition(job, event, 200, policy);
          expect(next, `${state} + ${event.type}`).toMatchObject({ ...expected, updatedAt: 200, id: job.id, message: job.message });
        }
        checked++;
      }
    }
    expect(checked).toBe(DELIVERY_STATES.length * EVENTS.length);
  });

  it("never mutates the job it is given", () => {
    const job = makeJob({ state: "delivering", leaseUntil: 5 });
    const copy = structuredClone(job);
    transition(job, { type: "failed", error: boom, retryable: true }, 10, policy);
    expect(job).toEqual(copy);
  });

  it("keeps a lease only while delivering", () => {
    const claimed = transition(makeJob(), { type: "claimed", leaseMs: 1000 }, 10, policy);
    expect(claimed.leaseUntil).toBe(1010);
    for (const event of [{ type: "succeeded" }, { type: "failed", error: boom, retryable: true }, { type: "lease_expired" }] as const) {
      expect(transition(claimed, event, 20, policy).leaseUntil, event.type).toBeUndefined();
    }
  });

  it("does not claim a job, or end its wait, before it is due", () => {
    expect(() => transition(makeJob({ nextAttemptAt: 100 }), { type: "claimed", leaseMs: 1 }, 99, policy)).toThrow(expect.objectContaining({ code: "CT_CONFLICT" }) as Error);
    expect(() => transition(makeJob({ state: "retry_wait", nextAttemptAt: 100 }), { type: "due" }, 99, policy)).toThrow(expect.objectContaining({ code: "CT_CONFLICT" }) as Error);
    expect(transition(makeJob({ state: "retry_wait", nextAttemptAt: 100 }), { type: "due" }, 100, policy).state).toBe("queued");
  });

  it("retries with backoff until the tenth attempt fails, then dead-letters", () => {
    let job = makeJob();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 10; attempt++) {
      const at = job.nextAttemptAt;
      if (job.state === "retry_wait") job = transition(job, { type: "due" }, at, policy);
      job = transition(job, { type: "claimed", leaseMs: 1 }, at, policy);
      job = transition(job, { type: "failed", error: boom, retryable: true }, at, policy);
      expect(job.attempts).toBe(attempt);
      if (job.state === "retry_wait") waits.push(job.nextAttemptAt - at);
    }
    expect(waits.map((w) => w / 1000)).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900]);
    expect(waits.reduce((a, b) => a + b, 0) / 60_000).toBeCloseTo(36.25, 2);
    expect(job).toMatchObject({ state: "dead", attempts: 10, lastError: boom });
  });

  it("dead-letters a non-retryable failure at once (unknown route, auth failures)", () => {
    for (const code of ["CT_ROUTE_UNKNOWN", "CT_AUTH_FAILED", "CT_FORBIDDEN"]) {
      const job = transition(makeJob({ state: "delivering" }), { type: "failed", error: { code, message: "x" }, retryable: false }, 5, policy);
      expect(job, code).toMatchObject({ state: "dead", attempts: 1, deadAt: 5 });
    }
  });

  it("passes Retry-After to the backoff", () => {
    const job = transition(makeJob({ state: "delivering" }), { type: "failed", error: boom, retryable: true, retryAfterMs: 120_000 }, 0, policy);
    expect(job.nextAttemptAt).toBe(120_000);
  });

  it("dead-letters a job whose lease expired on its last attempt (a message that crashes the daemon ends)", () => {
    const job = transition(makeJob({ state: "delivering", attempts: 9, leaseUntil: 3 }), { type: "lease_expired" }, 4, policy);
    expect(job).toMatchObject({ state: "dead", attempts: 10, deadAt: 4, lastError: { code: "CT_TIMEOUT" } });
  });

  it("an operator retry revives a dead letter with a fresh budget, keeping the effects already done", () => {
    const revived = transition(makeJob({ state: "dead", attempts: 10, deadAt: 1, lastError: boom, forwardedAt: 1 }), { type: "retried_by_operator" }, 7, policy);
    expect(revived).toMatchObject({ state: "queued", attempts: 0, nextAttemptAt: 7, forwardedAt: 1 });
    expect(revived.deadAt).toBeUndefined();
    expect(revived.lastError).toBeUndefined();
  });
});
