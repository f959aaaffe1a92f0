// The standalone Slack sender against a fake Slack on loopback (Web API, external file upload, incoming webhook), and
// the standalone forwarder sending a 🦞 copy to Slack.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSlackSender, createStandaloneChatForwarder, type ChatSender } from "../../../src/chat/index.js";
import { parseOpenClawConfig } from "../../../src/config/index.js";
import { ClawTellError, createManualClock, type Clock } from "../../../src/infra/index.js";
import { startFakeSlack, type FakeSlack } from "../../helpers/fake-slack.js";

/** A manual clock that records every requested sleep and lets it pass at once. */
function recordingClock(): Clock & { sleeps: number[] } {
  const manual = createManualClock(0);
  const sleeps: number[] = [];
  return {
    now: manual.now,
    sleeps,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      const slept = manual.sleep(ms, signal);
      await manual.advance(ms);
      return slept;
    },
  };
}

describe("Slack sender", () => {
  let slack: FakeSlack;
  let clock: ReturnType<typeof recordingClock>;
  const sender = (overrides: { botToken?: string; maxRetryAfterMs?: number } = {}): ChatSender =>
    createSlackSender({
      botToken: overrides.botToken ?? slack.token,
      apiRoot: slack.apiRoot,
      clock,
      ...(overrides.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: overrides.maxRetryAfterMs }),
    });

  beforeEach(async () => {
    slack = await startFakeSlack();
    clock = recordingClock();
  });
  afterEach(async () => slack.close());

  it("posts with chat.postMessage to a channel or user id, escaped, in parts of at most 4000, in its thread", async () => {
    const text = `🦞🦞 *ClawTell Delivery* 🦞🦞\n\nfrom *tell/bob*\n\n<!channel> look at <https://evil.example|this> & that\n${"x".repeat(4500)}`;
    const receipt = await sender().sendText("channel:C0123456789", text, { threadId: "1700000000.000100" });
    await sender().sendText("slack:user:U0HUMAN", "direct");
    expect(slack.posted.map((p) => [p.channel, p.text.length, p.threadTs, p.via])).toEqual([
      ["C0123456789", expect.any(Number), "1700000000.000100", "chat.postMessage"],
      ["C0123456789", expect.any(Number), "1700000000.000100", "chat.postMessage"],
      ["U0HUMAN", 6, undefined, "chat.postMessage"],
    ]);
    // Parts of at most 4000 characters of the text (Slack advises that much and cuts at 40 000), escaped after the cut.
    const unescape = (t: string): string => t.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    expect(slack.posted.slice(0, 2).every((p) => unescape(p.text).length <= 4000)).toBe(true);
    expect(slack.posted.slice(0, 2).map((p) => unescape(p.text)).join("") === text).toBe(true);
    // No mention and no link made up by a stranger: Slack's three control characters are escaped.
    expect(slack.posted[0]?.text).toContain("&lt;!channel&gt; look at &lt;https://evil.example|this&gt; &amp; that");
    expect(slack.calls.filter((c) => c.path === "/api/chat.postMessage").every((c) => c.token === slack.token)).toBe(true);
    expect(receipt.messageIds).toHaveLength(2);
    expect(receipt.messageIds.every((id) => /^\d+\.\d+$/.test(id))).toBe(true);
  });

  it("posts to an incoming webhook when the target is its URL, with no token at all", async () => {
    const webhookOnly = createSlackSender({ clock });
    await webhookOnly.sendText(slack.webhookUrl, "🦞 via webhook <b>");
    expect(slack.posted).toEqual([{ channel: "C0WEBHOOK", text: "🦞 via webhook &lt;b&gt;", via: "webhook" }]);
    expect(slack.calls[0]?.token).toBe("");
    // A channel id needs the bot token; a webhook that is gone is refused for good.
    await expect(webhookOnly.sendText("C0123456789", "x")).rejects.toMatchObject({ code: "CT_CONFIG_INVALID", retryable: false });
    await expect(webhookOnly.sendText(slack.webhookUrl.replace("webhooksecret", "gone"), "x")).rejects.toMatchObject({
      code: "CT_API_REJECTED",
      retryable: false,
      message: expect.stringContaining("no_service"),
    });
  });

  it("waits out a 429 for its Retry-After seconds on the clock, then sends; a longer wait goes back to the caller", async () => {
    slack.rateLimitNext(2, 3);
    await sender().sendText("C0123456789", "after the limit");
    expect(clock.sleeps).toEqual([3000, 3000]);
    expect(slack.posted.map((p) => p.text)).toEqual(["after the limit"]);

    slack.rateLimitNext(1, 120);
    const err = await sender({ maxRetryAfterMs: 60_000 }).sendText("C0123456789", "too long a wait").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClawTellError);
    expect(err).toMatchObject({ code: "CT_RATE_LIMITED", retryable: true, retryAfterMs: 120_000 });

    slack.rateLimitNext(1, 2);
    await createSlackSender({ clock }).sendText(slack.webhookUrl, "webhook after the limit");
    expect(clock.sleeps.at(-1)).toBe(2000);
    expect(slack.posted.at(-1)?.text).toBe("webhook after the limit");
  });

  it("turns Slack's ok:false into a final error naming Slack's reason, never the token", async () => {
    const unknownChannel = await sender().sendText("C0NOPE", "x").catch((e: unknown) => e);
    expect(unknownChannel).toMatchObject({ code: "CT_API_REJECTED", retryable: false, message: "Slack chat.postMessage refused: channel_not_found" });
    const badToken = await sender({ botToken: "xoxb-wrong-token" }).sendText("C0123456789", "x").catch((e: unknown) => e);
    expect(badToken).toMatchObject({ code: "CT_AUTH_FAILED", retryable: false, message: "Slack chat.postMessage refused: invalid_auth" });
    expect(String((badToken as Error).message)).not.toContain("xoxb-wrong-token");
    await expect(sender().sendText("#general with spaces", "x")).rejects.toMatchObject({ code: "CT_BAD_REQUEST" });
  });

  it("uploads a file with Slack's external upload into the chat, and refuses files for a webhook", async () => {
    const dir = await mkdtemp(join(tmpdir(), "clawtell-slack-"));
    try {
      const path = join(dir, "plan.txt");
      await writeFile(path, "the plan\n");
      const file = { path, filename: "plan.txt", mimeType: "text/plain" };
      const receipt = await sender().sendFile("channel:C0123456789", file, { threadId: "1700000000.000100" });
      expect(slack.files).toEqual([{ channel: "C0123456789", title: "plan.txt", bytes: Buffer.from("the plan\n"), threadTs: "1700000000.000100" }]);
      expect(receipt.messageIds).toEqual([expect.stringMatching(/^F0/)]);
      expect(slack.calls.map((c) => c.path.replace(/F0\d+/, "F"))).toEqual(["/api/files.getUploadURLExternal", "/upload/v1/F", "/api/files.completeUploadExternal"]);
      await expect(sender().sendFile(slack.webhookUrl, file)).rejects.toMatchObject({ code: "CT_API_REJECTED", retryable: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("carries a 🦞 copy from the standalone forwarder to Slack: forwardTo a channel, or an incoming-webhook URL", async () => {
    const forwarder = createStandaloneChatForwarder({ resolver: { resolve: async () => undefined }, senders: [sender()] });
    await forwarder.send({ kind: "delivery", accountId: "default", text: "🦞 to the channel", forwardTo: { channel: "slack", to: "C0123456789" } });
    await forwarder.send({ kind: "delivery", accountId: "default", text: "🦞 to the webhook", forwardTo: { channel: "slack", to: slack.webhookUrl } });
    expect(slack.posted.map((p) => [p.via, p.channel, p.text])).toEqual([
      ["chat.postMessage", "C0123456789", "🦞 to the channel"],
      ["webhook", "C0WEBHOOK", "🦞 to the webhook"],
    ]);
    // A channel the standalone daemon has no sender for is refused, naming the channels it has.
    await expect(
      forwarder.send({ kind: "delivery", accountId: "default", text: "x", forwardTo: { channel: "signal", to: "+15551234567" } }),
    ).rejects.toMatchObject({ code: "CT_ROUTE_UNKNOWN", retryable: false, message: expect.stringContaining("telegram, discord or slack") });
  });

  it("reads the Slack bot token and API root from openclaw.json", () => {
    const loaded = parseOpenClawConfig(`{ channels: { slack: { botToken: "xoxb-1", apiRoot: "http://127.0.0.1:9/api", appToken: "xapp-1" }, clawtell: { name: "a", apiKey: "k" } } }`, "openclaw.json");
    expect(loaded.slack).toEqual({ botToken: "xoxb-1", apiRoot: "http://127.0.0.1:9/api" });
  });
});
