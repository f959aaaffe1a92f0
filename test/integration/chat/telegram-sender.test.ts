// The standalone Telegram sender against the fake Bot API on loopback.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTelegramSender, type ChatSender } from "../../../src/chat/index.js";
import { createManualClock, type Clock } from "../../../src/infra/index.js";
import { startFakeTelegram, type FakeTelegram } from "../../helpers/fake-telegram.js";

/** A manual clock that also records every requested sleep. */
function recordingClock(): Clock & { sleeps: number[]; advance(ms: number): Promise<void> } {
  const manual = createManualClock(0);
  const sleeps: number[] = [];
  return {
    now: manual.now,
    advance: manual.advance,
    sleeps,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return manual.sleep(ms, signal);
    },
  };
}

describe("Telegram sender", () => {
  let tg: FakeTelegram;
  const clock = recordingClock();
  const sender = (overrides: { botToken?: string; maxRetryAfterMs?: number } = {}): ChatSender =>
    createTelegramSender({
      botToken: overrides.botToken ?? tg.token,
      apiRoot: tg.apiRoot,
      clock,
      ...(overrides.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: overrides.maxRetryAfterMs }),
    });

  afterEach(async () => {
    clock.sleeps.length = 0;
    await tg.close();
  });

  it("sends long texts as plain-text parts of at most 4096, in order, cut at a line break when there is one", async () => {
    tg = await startFakeTelegram();
    const banner = "🦞🦞 *ClawTell Delivery* 🦞🦞"; // 29 UTF-16 units; the `*` would break Markdown
    const text = `${banner}\n\n${"a".repeat(4000)}\n${"b".repeat(4200)}`;
    const receipt = await sender().sendText("telegram:4242", text);
    const sent = tg.sentMessages(4242);
    expect(sent.map((m) => m.text.length)).toEqual([4031, 4096, 104]);
    // Cut at the line break (dropped), then inside the run of b's; nothing is lost (compared as booleans: huge strings).
    expect(sent[0]?.text === `${banner}\n\n${"a".repeat(4000)}`).toBe(true);
    expect(`${sent[0]?.text}\n${sent[1]?.text}${sent[2]?.text}` === text).toBe(true);
    expect(sent.every((m) => m.parseMode === undefined)).toBe(true);
    expect(receipt.messageIds).toEqual(sent.map((m) => String(m.messageId)));
    expect(tg.calls.map((c) => c.params["chat_id"])).toEqual(["4242", "4242", "4242"]);
  });

  it("passes the forum topic as message_thread_id, from the option or from a :topic: target", async () => {
    tg = await startFakeTelegram();
    await sender().sendText("-1001234567890", "to topic 7", { threadId: "7" });
    await sender().sendText("telegram:-1001234567890:topic:42", "to topic 42");
    expect(tg.sentMessages("-1001234567890").map((m) => [m.text, m.threadId])).toEqual([
      ["to topic 7", 7],
      ["to topic 42", 42],
    ]);
    expect(tg.calls[1]?.params["message_thread_id"]).toBe(42);
  });

  it("waits out 429 retry_after on the injected clock before sending the same part again", async () => {
    tg = await startFakeTelegram();
    tg.failNext(2, { status: 429, retryAfterS: 3 });
    const sending = sender().sendText("4242", "hi");
    await vi.waitFor(() => expect(clock.sleeps).toEqual([3000]));
    expect(tg.calls).toHaveLength(1); // nothing is sent while waiting
    await clock.advance(3000);
    await vi.waitFor(() => expect(clock.sleeps).toEqual([3000, 3000]));
    expect(tg.calls).toHaveLength(2);
    await clock.advance(3000);
    await expect(sending).resolves.toMatchObject({ messageIds: [expect.any(String)] });
    expect(tg.sentMessages().map((m) => m.text)).toEqual(["hi"]);
  });

  it("reads a proxy's Retry-After header in both forms, an HTTP date as well as seconds", async () => {
    tg = await startFakeTelegram();
    tg.failNext(1, { status: 429, retryAfterHeader: new Date(clock.now() + 7_000).toUTCString() });
    tg.failNext(1, { status: 429, retryAfterHeader: "4" });
    const sending = sender().sendText("4242", "hi");
    await vi.waitFor(() => expect(clock.sleeps).toEqual([7_000]));
    await clock.advance(7_000);
    await vi.waitFor(() => expect(clock.sleeps).toEqual([7_000, 4_000]));
    await clock.advance(4_000);
    await expect(sending).resolves.toMatchObject({ messageIds: [expect.any(String)] });
  });

  it("gives a rate limit longer than it may wait back to the caller as retryable, with retryAfterMs", async () => {
    tg = await startFakeTelegram();
    tg.failNext(1, { status: 429, retryAfterS: 120 });
    await expect(sender({ maxRetryAfterMs: 60_000 }).sendText("4242", "hi")).rejects.toMatchObject({ code: "CT_RATE_LIMITED", retryable: true, retryAfterMs: 120_000 });
    expect(clock.sleeps).toEqual([]);
  });

  it("stops waiting when the signal aborts", async () => {
    tg = await startFakeTelegram();
    tg.failNext(1, { status: 429, retryAfterS: 30 });
    const controller = new AbortController();
    const sending = sender().sendText("4242", "hi", { signal: controller.signal });
    await vi.waitFor(() => expect(clock.sleeps).toEqual([30_000]));
    controller.abort();
    await expect(sending).rejects.toMatchObject({ code: "CT_ABORTED", retryable: false });
    expect(tg.sentMessages()).toEqual([]);
  });

  it("does not retry a bad token, and never puts the token in the error", async () => {
    tg = await startFakeTelegram();
    const error = await sender({ botToken: "999:secret-token" }).sendText("4242", "hi").catch((err: unknown) => err);
    expect(error).toMatchObject({ code: "CT_AUTH_FAILED", retryable: false, status: 401 });
    expect(String((error as Error).message)).not.toContain("secret-token");
    expect(tg.calls).toHaveLength(1);
  });

  it("classifies failures: 400 is final, 5xx and a dropped connection are retryable", async () => {
    tg = await startFakeTelegram();
    tg.failNext(1, { status: 400, description: "Bad Request: chat not found" });
    await expect(sender().sendText("4242", "hi")).rejects.toMatchObject({ code: "CT_API_REJECTED", retryable: false, message: expect.stringContaining("chat not found") });
    tg.failNext(1, { status: 502 });
    await expect(sender().sendText("4242", "hi")).rejects.toMatchObject({ code: "CT_API_SERVER_ERROR", retryable: true });
    tg.failNext(1, { resetConnection: true });
    await expect(sender().sendText("4242", "hi")).rejects.toMatchObject({ code: "CT_API_UNREACHABLE", retryable: true });
    await expect(sender().sendText("4242", " \n ")).rejects.toMatchObject({ code: "CT_BAD_REQUEST" });
    expect(tg.sentMessages()).toEqual([]);
  });
});
