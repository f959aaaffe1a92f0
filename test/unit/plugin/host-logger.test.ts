// Our log records inside OpenClaw's log: the right level, readable fields, and secrets still redacted.
import { describe, expect, it } from "vitest";
import { ClawTellError } from "../../../src/infra/index.js";
import { createHostLogger, type HostLogSink } from "../../../src/plugin/index.js";

function recordingSink(): HostLogSink & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  return {
    lines,
    info: (m) => void lines.push(["info", m]),
    warn: (m) => void lines.push(["warn", m]),
    error: (m) => void lines.push(["error", m]),
    debug: (m) => void lines.push(["debug", m]),
  };
}

describe("host logger", () => {
  it("writes each record at the host level with its fields, errors by code and message", () => {
    const sink = recordingSink();
    const log = createHostLogger(sink, "debug").child({ accountId: "default" });
    log.info({ messageId: "m1" }, "delivered to agent");
    log.warn({ err: new ClawTellError("CT_TIMEOUT", "no answer in 10 ms") }, "delivery failed");
    log.error("boom");
    log.debug({ n: 2 }, "detail");
    expect(sink.lines).toEqual([
      ["info", "delivered to agent accountId=default messageId=m1"],
      ["warn", 'delivery failed accountId=default err="CT_TIMEOUT: no answer in 10 ms"'],
      ["error", "boom accountId=default"],
      ["debug", "detail accountId=default n=2"],
    ]);
  });

  it("never lets an API key through", () => {
    const sink = recordingSink();
    createHostLogger(sink).info({ apiKey: "claw_secret_123", route: { apiKey: "claw_other" } }, "settings");
    const line = sink.lines[0]?.[1] ?? "";
    expect(line).not.toContain("claw_secret_123");
    expect(line).not.toContain("claw_other");
    expect(line).toContain("[redacted]");
  });
});
