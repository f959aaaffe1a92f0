import { describe, expect, it } from "vitest";
import { withRetry } from "../../../src/client/with-retry.js";
import { ClawTellError, type Clock } from "../../../src/infra/index.js";

/** A clock whose sleeps return at once and are written down. */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => 0,
    sleep: async (ms, signal) => {
      if (signal?.aborted === true) throw signal.reason;
      waits.push(ms);
    },
  };
}

/** A call that fails with `errors` in turn, then answers "ok". */
function scripted(errors: unknown[]) {
  const calls: number[] = [];
  return {
    calls,
    call: async (attempt: number) => {
      calls.push(attempt);
      const next = errors.shift();
      if (next !== undefined) throw next;
      return "ok";
    },
  };
}

const random = () => 0.5;

describe("withRetry", () => {
  it("retries network failures, timeouts and 5xx with doubling delays", async () => {
    const clock = recordingClock();
    const s = scripted([
      new ClawTellError("CT_API_UNREACHABLE", "refused"),
      new ClawTellError("CT_TIMEOUT", "slow"),
      new ClawTellError("CT_API_SERVER_ERROR", "503", { status: 503 }),
    ]);
    expect(await withRetry(s.call, { clock, random })).toBe("ok");
    expect(s.calls).toEqual([1, 2, 3, 4]);
    expect(clock.waits).toEqual([1000, 2000, 4000]);
  });

  it("waits exactly what Retry-After asks on 429", async () => {
    const clock = recordingClock();
    const s = scripted([new ClawTellError("CT_RATE_LIMITED", "slow down", { status: 429, retryAfterMs: 7000 })]);
    expect(await withRetry(s.call, { clock, random })).toBe("ok");
    expect(clock.waits).toEqual([7000]);
  });

  it("gives the error back at once when Retry-After is longer than it may wait", async () => {
    const clock = recordingClock();
    const limited = new ClawTellError("CT_RATE_LIMITED", "slow down", { status: 429, retryAfterMs: 120_000 });
    const s = scripted([limited]);
    await expect(withRetry(s.call, { clock, maxRetryAfterMs: 60_000 })).rejects.toBe(limited);
    expect(s.calls).toEqual([1]);
    expect(clock.waits).toEqual([]);
  });

  it("never retries what the API refused", async () => {
    for (const code of ["CT_BAD_REQUEST", "CT_AUTH_FAILED", "CT_FORBIDDEN", "CT_NOT_FOUND", "CT_API_REJECTED"] as const) {
      const clock = recordingClock();
      const s = scripted([new ClawTellError(code, "no")]);
      await expect(withRetry(s.call, { clock })).rejects.toMatchObject({ code });
      expect(s.calls).toEqual([1]);
    }
  });

  it("does not retry errors that are not ClawTellErrors", async () => {
    const s = scripted([new TypeError("bug")]);
    await expect(withRetry(s.call, { clock: recordingClock() })).rejects.toBeInstanceOf(TypeError);
    expect(s.calls).toEqual([1]);
  });

  it("stops after the last attempt with the last error", async () => {
    const clock = recordingClock();
    const last = new ClawTellError("CT_API_SERVER_ERROR", "third");
    const s = scripted([new ClawTellError("CT_API_SERVER_ERROR", "first"), new ClawTellError("CT_API_SERVER_ERROR", "second"), last]);
    await expect(withRetry(s.call, { clock, attempts: 3, random })).rejects.toBe(last);
    expect(s.calls).toEqual([1, 2, 3]);
  });

  it("ends with CT_ABORTED when aborted while waiting, and reports each wait", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const clock: Clock = {
      now: () => 0,
      sleep: async () => {
        controller.abort();
        throw new Error("aborted");
      },
    };
    const s = scripted([new ClawTellError("CT_API_UNREACHABLE", "refused"), new ClawTellError("CT_API_UNREACHABLE", "refused")]);
    await expect(withRetry(s.call, { clock, signal: controller.signal, onRetry: (i) => seen.push(i.waitMs), random })).rejects.toMatchObject({ code: "CT_ABORTED" });
    expect(s.calls).toEqual([1]);
    expect(seen).toEqual([1000]);
  });
});
