import { describe, expect, it } from "vitest";
import { apiUrl, chunk, clampPoll, normalizeOrigin, sseAckUrl, streamUrl } from "../../../src/client/endpoints.js";

describe("endpoints", () => {
  it("strips trailing slashes from an origin", () => {
    expect(normalizeOrigin("https://www.clawtell.com/")).toBe("https://www.clawtell.com");
    expect(normalizeOrigin(" http://127.0.0.1:8787// ")).toBe("http://127.0.0.1:8787");
  });

  it("puts REST calls under /api and encodes the query", () => {
    expect(apiUrl("http://h", "/messages/poll", { timeout: 30, limit: 50 })).toBe("http://h/api/messages/poll?timeout=30&limit=50");
    expect(apiUrl("http://h", "/me")).toBe("http://h/api/me");
  });

  it("builds stream URLs with account=true only for account streams, and the ack URL under /v1", () => {
    expect(streamUrl("http://s", { account: true, timeoutS: 120, limit: 50 })).toBe("http://s/v1/stream?timeout=120&limit=50&account=true");
    expect(streamUrl("http://s", { account: false, timeoutS: 5, limit: 1 })).toBe("http://s/v1/stream?timeout=5&limit=1");
    expect(sseAckUrl("http://s")).toBe("http://s/v1/ack");
  });

  it("clamps poll values into the API's range", () => {
    expect(clampPoll(undefined, undefined)).toEqual({ timeoutS: 30, limit: 50 });
    expect(clampPoll(90, 500)).toEqual({ timeoutS: 30, limit: 100 });
    expect(clampPoll(-3, 0)).toEqual({ timeoutS: 0, limit: 1 });
    expect(clampPoll(2.7, 10.2)).toEqual({ timeoutS: 2, limit: 10 });
    expect(clampPoll(Number.NaN, 5)).toEqual({ timeoutS: 30, limit: 5 });
  });

  it("splits ids into request-sized chunks", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
  });
});
