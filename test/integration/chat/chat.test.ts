import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createChatResolver,
  createDiscordSender,
  createSessionsFileSource,
  createStandaloneChatForwarder,
  createTelegramSender,
  pickActiveChat,
  splitText,
} from "../../../src/chat/index.js";
import { createSilentLogger, type Clock } from "../../../src/infra/index.js";
import { startFakeDiscord, startFakeTelegram, type FakeChat } from "../../helpers/fake-chat.js";

const waits: number[] = [];
const clock: Clock = { now: () => Date.now(), sleep: async (ms) => void waits.push(ms) };

describe("chat senders", () => {
  let fake: FakeChat | undefined;
  afterEach(async () => {
    await fake?.close();
    waits.length = 0;
  });

  it("splits long texts into Telegram-sized parts, on line boundaries, keeping emoji whole", async () => {
    fake = await startFakeTelegram("123:abc");
    const sender = createTelegramSender({ botToken: "123:abc", apiRoot: fake.apiRoot, clock });
    const text = `${"🦞".repeat(2047)}x\n${"b".repeat(5000)}`;
    await sender.sendText("telegram:4242", text);
    expect(fake.sent.map((m) => m.text.length)).toEqual([4095, 4096, 904]);
    // The first cut falls on the line break (which is dropped), the second inside the run of b's.
    expect(fake.sent.map((m) => m.text).join("")).toBe(text.replace("\n", ""));
    expect(fake.sent.every((m) => m.to === "telegram:4242")).toBe(true);
  });

  it("waits out Telegram's 429 retry_after, and refuses a bad token without retrying", async () => {
    fake = await startFakeTelegram("123:abc");
    fake.rateLimitNext(2, 3);
    await createTelegramSender({ botToken: "123:abc", apiRoot: fake.apiRoot, clock }).sendText("4242", "hi", { threadId: "7" });
    expect(waits).toEqual([3000, 3000]);
    expect(fake.sent).toEqual([{ to: "4242", text: "hi", threadId: 7 }]);
    await expect(createTelegramSender({ botToken: "wrong", apiRoot: fake.apiRoot, clock }).sendText("4242", "hi")).rejects.toMatchObject({
      code: "CT_AUTH_FAILED",
      retryable: false,
    });
  });

  it("sends Discord messages in 2000-character parts and honours its retry_after", async () => {
    fake = await startFakeDiscord("disc-token");
    fake.rateLimitNext(1, 2);
    await createDiscordSender({ token: "disc-token", apiRoot: fake.apiRoot, clock }).sendText("998877", "d".repeat(4500));
    expect(fake.sent.map((m) => m.text.length)).toEqual([2000, 2000, 500]);
    expect(waits).toEqual([2000]);
  });

  it("never splits inside a surrogate pair", () => {
    for (const part of splitText("a🦞".repeat(3000), 4096)) expect(/[\uD800-\uDBFF]$/.test(part)).toBe(false);
  });
});

describe("active chat", () => {
  it("picks the newest external Telegram or Discord chat", () => {
    expect(
      pickActiveChat([
        { lastInteractionAt: 5, delivery: { kind: "external", context: { channel: "telegram", to: "telegram:1" } } },
        { lastInteractionAt: 9, delivery: { kind: "external", context: { channel: "discord", to: "channel:2", accountId: "d" } } },
        { lastInteractionAt: 99, delivery: { kind: "external", context: { channel: "clawtell", to: "clawtell:alice" } } },
        { lastInteractionAt: 100, delivery: { kind: "none" } },
        { updatedAt: 7, lastChannel: "telegram", lastTo: "3" },
      ]),
    ).toEqual({ channel: "discord", to: "channel:2", accountId: "d" });
  });

  it("reads and follows the legacy sessions.json, keeping the last good answer when it breaks", async () => {
    const state = await mkdtemp(join(tmpdir(), "clawtell-sessions-"));
    const file = join(state, "agents", "main", "sessions", "sessions.json");
    await mkdir(join(state, "agents", "main", "sessions"), { recursive: true });
    await writeFile(file, JSON.stringify({ "agent:main:main": { updatedAt: 1, deliveryContext: { channel: "telegram", to: "111" } } }));
    const source = createSessionsFileSource(state, createSilentLogger());
    try {
      expect(await source.resolve("main")).toEqual({ channel: "telegram", to: "111" });
      await writeFile(file, JSON.stringify({ "agent:main:main": { updatedAt: 2, lastChannel: "telegram", lastTo: "222" } }));
      await expect.poll(() => source.resolve("main"), { timeout: 5000 }).toEqual({ channel: "telegram", to: "222" });
      await writeFile(file, "{ broken");
      await new Promise((r) => setTimeout(r, 300));
      expect(await source.resolve("main")).toEqual({ channel: "telegram", to: "222" });
      expect(await source.resolve("nobody")).toBeUndefined();
    } finally {
      await source.close();
      await rm(state, { recursive: true, force: true });
    }
  });

  it("forwards to an explicit forwardTo first, else the active chat, and says which key is missing", async () => {
    const fake = await startFakeTelegram("t");
    try {
      const forwarder = createStandaloneChatForwarder({
        resolver: createChatResolver([{ resolve: async (agentId) => (agentId === "main" ? { channel: "telegram", to: "telegram:42" } : undefined) }]),
        senders: [createTelegramSender({ botToken: "t", apiRoot: fake.apiRoot, clock })],
      });
      await forwarder.send({ kind: "delivery", accountId: "default", agentId: "main", text: "a" });
      await forwarder.send({ kind: "delivery", accountId: "default", agentId: "main", text: "b", forwardTo: { channel: "telegram", to: "77" } });
      expect(fake.sent.map((m) => [m.to, m.text])).toEqual([["42", "a"], ["77", "b"]]);
      await expect(forwarder.send({ kind: "delivery", accountId: "default", agentId: "helper", text: "c" })).rejects.toMatchObject({ code: "CT_ROUTE_UNKNOWN" });
      await expect(forwarder.send({ kind: "delivery", accountId: "default", text: "d", forwardTo: { channel: "discord", to: "1" } })).rejects.toThrow(
        "channels.discord.token is not set",
      );
    } finally {
      await fake.close();
    }
  });
});
