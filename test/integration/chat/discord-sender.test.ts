// The standalone Discord sender against the fake Discord REST API on loopback.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDiscordSender, type ChatSender } from "../../../src/chat/index.js";
import { createManualClock, type Clock } from "../../../src/infra/index.js";
import { startFakeDiscord, type FakeDiscord } from "../../helpers/fake-discord.js";

describe("Discord sender", () => {
  let dc: FakeDiscord;
  const manual = createManualClock(0);
  const sleeps: number[] = [];
  const clock: Clock = {
    now: manual.now,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return manual.sleep(ms, signal);
    },
  };
  const sender = (token?: string): ChatSender => createDiscordSender({ token: token ?? dc.token, apiRoot: dc.apiRoot, clock });

  afterEach(async () => {
    sleeps.length = 0;
    await dc.close();
  });

  it("sends 2000-character parts to the bare channel id, with mentions disabled", async () => {
    dc = await startFakeDiscord();
    const receipt = await sender().sendText("discord:channel:998877", "word ".repeat(900));
    expect(dc.sentMessages("998877").map((m) => m.content.length)).toEqual([1999, 1999, 500]);
    expect(receipt.messageIds).toEqual(dc.sentMessages().map((m) => m.id));
    expect(dc.calls.every((c) => c.path === "/channels/998877/messages" && c.token === dc.token)).toBe(true);
    expect(dc.calls[0]?.body["allowed_mentions"]).toEqual({ parse: [] });
  });

  it("waits out retry_after (float seconds) before sending the part again", async () => {
    dc = await startFakeDiscord();
    dc.failNext(1, { retryAfterS: 1.5 });
    const sending = sender().sendText("998877", "hello");
    await vi.waitFor(() => expect(sleeps).toEqual([1500]));
    expect(dc.calls).toHaveLength(1);
    await manual.advance(1500);
    await sending;
    expect(dc.sentMessages().map((m) => m.content)).toEqual(["hello"]);
    expect(dc.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it("opens a DM channel once for user: targets and reuses it", async () => {
    dc = await startFakeDiscord();
    const dms = sender();
    await dms.sendText("user:555", "one");
    await dms.sendText("discord:user:555", "two");
    expect(dc.sentMessages(dc.dmChannelOf("555")).map((m) => m.content)).toEqual(["one", "two"]);
    expect(dc.calls.filter((c) => c.path === "/users/@me/channels")).toHaveLength(1);
  });

  it("sends to a thread (a channel of its own) when a thread id is given", async () => {
    dc = await startFakeDiscord();
    await sender().sendText("channel:1", "in thread", { threadId: "4444" });
    expect(dc.sentMessages("4444").map((m) => m.content)).toEqual(["in thread"]);
  });

  it("does not retry a bad token or a missing channel; keeps 5xx retryable", async () => {
    dc = await startFakeDiscord();
    const error = await sender("stolen-looking-token").sendText("1", "x").catch((err: unknown) => err);
    expect(error).toMatchObject({ code: "CT_AUTH_FAILED", retryable: false, status: 401 });
    expect((error as Error).message).not.toContain("stolen-looking-token");
    dc.failNext(1, { status: 404 });
    await expect(sender().sendText("1", "x")).rejects.toMatchObject({ code: "CT_API_REJECTED", retryable: false, message: expect.stringContaining("Unknown Channel") });
    dc.failNext(1, { status: 503 });
    await expect(sender().sendText("1", "x")).rejects.toMatchObject({ code: "CT_API_SERVER_ERROR", retryable: true });
    await expect(sender().sendText("not-an-id", "x")).rejects.toMatchObject({ code: "CT_BAD_REQUEST" });
    expect(dc.calls).toHaveLength(3);
    expect(sleeps).toEqual([]);
  });
});
