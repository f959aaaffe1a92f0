// The command sink with real child processes (`node <script>` in a temp dir): stdin payload, exit-code mapping,
// stderr tail, timeout with SIGTERM then SIGKILL, cancellation, and a command that cannot start.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualClock, type ClawTellError } from "../../../src/infra/index.js";
import { createCommandSink, STDERR_TAIL_CHARS, type ResolvedRoute } from "../../../src/daemon/index.js";
import type { Message } from "../../../src/protocol/index.js";

let dir: string;
/** Reads stdin into argv[2], writes argv[4] to stderr, exits with argv[3]. */
let echoScript: string;
/** Ignores SIGTERM and never exits on its own; writes its pid to argv[2] first. */
let stubbornScript: string;
/** Exits on SIGTERM; writes its pid to argv[2] first. */
let sleeperScript: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ct-command-sink-"));
  echoScript = join(dir, "echo.mjs");
  await writeFile(
    echoScript,
    `let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", async () => {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.argv[2], input);
  if (process.argv[4]) process.stderr.write(process.argv[4]);
  process.exitCode = Number(process.argv[3] ?? 0);
});
`,
  );
  stubbornScript = join(dir, "stubborn.mjs");
  await writeFile(
    stubbornScript,
    `import { writeFileSync } from "node:fs";
process.on("SIGTERM", () => undefined);
writeFileSync(process.argv[2], String(process.pid));
setInterval(() => undefined, 1000);
`,
  );
  sleeperScript = join(dir, "sleeper.mjs");
  await writeFile(
    sleeperScript,
    `import { writeFileSync } from "node:fs";
writeFileSync(process.argv[2], String(process.pid));
setInterval(() => undefined, 1000);
`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const message: Message = { id: "msg-7", from: "alice", to_name: "bob", subject: "Hi", body: "line 1\nline 2 🦞", createdAt: "2026-01-02T03:04:05Z", attachments: [] };

function makeRoute(args: string[], timeoutMs = 5_000, command = process.execPath): ResolvedRoute {
  return { accountId: "work", recipient: "bob", routeKey: "bob", forward: false, target: { kind: "command", command, args, timeoutMs } };
}

async function failure(promise: Promise<unknown>): Promise<ClawTellError> {
  try {
    await promise;
  } catch (err) {
    return err as ClawTellError;
  }
  throw new Error("expected the delivery to fail");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("command sink", () => {
  const signal = new AbortController().signal;

  it("hands the message JSON to the command on stdin and treats exit 0 as delivered", async () => {
    const out = join(dir, "stdin-0.json");
    await createCommandSink().deliver({ message, route: makeRoute([echoScript, out, "0"]), attempt: 2, signal, files: [] });
    expect(JSON.parse(await readFile(out, "utf8"))).toEqual({ ...message, to_name: "bob", accountId: "work", deliveryId: "msg-7", attempt: 2 });
  });

  it("retries a non-zero exit and names the end of stderr", async () => {
    const err = await failure(createCommandSink().deliver({ message, route: makeRoute([echoScript, join(dir, "o1"), "3", "disk full"]), attempt: 1, signal, files: [] }));
    expect(err).toMatchObject({ code: "CT_SINK_FAILED", retryable: true });
    expect(err.message).toContain("exited with 3: disk full");
  });

  it("refuses for good on exit 65 (EX_DATAERR)", async () => {
    const err = await failure(createCommandSink().deliver({ message, route: makeRoute([echoScript, join(dir, "o2"), "65", "bad message"]), attempt: 1, signal, files: [] }));
    expect(err).toMatchObject({ code: "CT_SINK_FAILED", retryable: false });
    expect(err.message).toContain("bad message");
  });

  it("keeps only a bounded tail of stderr", async () => {
    const noise = `${"x".repeat(STDERR_TAIL_CHARS * 3)}END`;
    const err = await failure(createCommandSink().deliver({ message, route: makeRoute([echoScript, join(dir, "o3"), "1", noise]), attempt: 1, signal, files: [] }));
    expect(err.message).toMatch(/xEND$/);
    expect(err.message.length).toBeLessThan(STDERR_TAIL_CHARS + 300);
  });

  it("kills a command that overruns its timeout (SIGTERM, then SIGKILL) and retries", async () => {
    const pidFile = join(dir, "stubborn.pid");
    const sink = createCommandSink({ killGraceMs: 100 });
    const delivery = failure(sink.deliver({ message, route: makeRoute([stubbornScript, pidFile], 1_000), attempt: 1, signal, files: [] }));
    await expect.poll(() => readFile(pidFile, "utf8").then(Number, () => 0), { timeout: 5_000, interval: 20 }).toBeGreaterThan(0);
    const pid = Number(await readFile(pidFile, "utf8"));
    expect(await delivery).toMatchObject({ code: "CT_TIMEOUT", retryable: true });
    await expect.poll(() => isAlive(pid), { timeout: 2_000, interval: 20 }).toBe(false);
  });

  it("times the command out on the sink's clock: SIGTERM when the timeout has passed on it, SIGKILL after the grace", async () => {
    const pidFile = join(dir, "stubborn-clocked.pid");
    const clock = createManualClock(0);
    const sink = createCommandSink({ clock, killGraceMs: 2_000 });
    let settled = false;
    // Far longer than the test may run: only the clock can end it.
    const delivery = failure(sink.deliver({ message, route: makeRoute([stubbornScript, pidFile], 600_000), attempt: 1, signal, files: [] })).finally(() => (settled = true));
    await expect.poll(() => readFile(pidFile, "utf8").then(Number, () => 0), { timeout: 5_000, interval: 20 }).toBeGreaterThan(0);
    const pid = Number(await readFile(pidFile, "utf8"));
    try {
      await clock.advance(599_999);
      await clock.advance(1);
      // SIGTERM is ignored by this command; the grace is the clock's too.
      await clock.advance(1_999);
      expect([isAlive(pid), settled]).toEqual([true, false]);
      await clock.advance(1);
      expect(await delivery).toMatchObject({ code: "CT_TIMEOUT", retryable: true });
      expect(isAlive(pid)).toBe(false);
    } finally {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("stops the command when the delivery is cancelled", async () => {
    const pidFile = join(dir, "sleeper.pid");
    const controller = new AbortController();
    const delivery = createCommandSink().deliver({ message, route: makeRoute([sleeperScript, pidFile], 10_000), attempt: 1, signal: controller.signal, files: [] });
    await expect.poll(() => readFile(pidFile, "utf8").then(Number, () => 0), { timeout: 5_000, interval: 20 }).toBeGreaterThan(0);
    controller.abort();
    expect(await failure(delivery)).toMatchObject({ code: "CT_ABORTED", retryable: false });
    const pid = Number(await readFile(pidFile, "utf8"));
    await expect.poll(() => isAlive(pid), { timeout: 2_000, interval: 20 }).toBe(false);
  });

  it("reports a command that cannot start as a retryable failure, without a shell", async () => {
    const err = await failure(createCommandSink().deliver({ message, route: makeRoute([], 1_000, join(dir, "no such command; echo hi")), attempt: 1, signal, files: [] }));
    expect(err).toMatchObject({ code: "CT_SINK_FAILED", retryable: true });
    expect(err.message).toContain("could not run");
  });
});
