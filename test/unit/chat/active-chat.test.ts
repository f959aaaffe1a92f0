import { describe, expect, it } from "vitest";
import {
  bareChatId,
  createChatResolver,
  createForwardToSource,
  createSessionStoreSource,
  parseDiscordTarget,
  parseTelegramTarget,
  pickActiveChat,
  type ActiveChatResolver,
  type ChatTarget,
  type SessionEntryLike,
} from "../../../src/chat/index.js";

// Rows as OpenClaw 2026.9 stores them (see the plugin SDK notes, §5).
const telegramMain = {
  updatedAt: 1795334528688,
  lastInteractionAt: 1795334521258,
  chatType: "direct",
  delivery: { kind: "external", context: { channel: "telegram", to: "telegram:4242", accountId: "default" } },
};
const clawtellPeer = { updatedAt: 1795334600000, lastInteractionAt: 1795334600000, delivery: { kind: "external", context: { channel: "clawtell", to: "clawtell:alice", accountId: "default" } } };
const cliSmoke = { updatedAt: 1795334700000, delivery: { kind: "none" } };

describe("pickActiveChat", () => {
  it("picks the external Telegram chat over newer ClawTell and internal sessions", () => {
    expect(pickActiveChat([telegramMain, clawtellPeer, cliSmoke])).toEqual({ channel: "telegram", to: "telegram:4242", accountId: "default" });
  });

  it("orders by lastInteractionAt, falling back to updatedAt (a heartbeat does not make a chat active)", () => {
    const heartbeatBumped = { updatedAt: 9_000, lastInteractionAt: 10, delivery: { kind: "external", context: { channel: "telegram", to: "1" } } };
    const discordLater = { updatedAt: 50, delivery: { kind: "external", context: { channel: "discord", to: "channel:2", accountId: "d", threadId: 77 } } };
    expect(pickActiveChat([heartbeatBumped, discordLater])).toEqual({ channel: "discord", to: "channel:2", accountId: "d", threadId: "77" });
  });

  it("reads legacy sessions.json rows (deliveryContext, then lastChannel/lastTo)", () => {
    expect(pickActiveChat([{ updatedAt: 5, lastChannel: "telegram", lastTo: "telegram:5", lastAccountId: "bot2", lastThreadId: 3 }])).toEqual({
      channel: "telegram",
      to: "telegram:5",
      accountId: "bot2",
      threadId: "3",
    });
    expect(pickActiveChat([{ updatedAt: 5, deliveryContext: { channel: "discord", to: "user:9" }, lastChannel: "telegram", lastTo: "6" }])).toEqual({ channel: "discord", to: "user:9" });
  });

  it("skips ClawTell addresses, archived sessions, missing targets and non-objects", () => {
    const entries = [
      { updatedAt: 9, deliveryContext: { channel: "telegram", to: "tell/alice" } },
      { updatedAt: 8, archivedAt: 8, deliveryContext: { channel: "telegram", to: "8" } },
      { updatedAt: 7, deliveryContext: { channel: "telegram", to: " " } },
      { updatedAt: 6, delivery: { kind: "internal" }, lastChannel: "telegram", lastTo: "6" },
      null,
      { updatedAt: 1, deliveryContext: { channel: "telegram", to: "1" } },
    ];
    expect(pickActiveChat(entries as unknown as SessionEntryLike[])).toEqual({ channel: "telegram", to: "1" });
    expect(pickActiveChat([])).toBeUndefined();
  });

  it("picks the human's newest chat on any channel OpenClaw sends to, never ClawTell's own nor the internal web chat", () => {
    const external = (channel: string, to: string, at: number) => ({ updatedAt: at, lastInteractionAt: at, delivery: { kind: "external", context: { channel, to, accountId: "default" } } });
    const at = telegramMain.lastInteractionAt;
    const slack = external("slack", "channel:C0123", at + 1);
    const signal = external("signal", "+15551234567", at + 2);
    const ownPlugin = external("LoopChat", "loopchat:human", at + 3);
    const webchat = { updatedAt: at + 9_000_000, deliveryContext: { channel: "webchat", to: "session-1" } };
    expect(pickActiveChat([telegramMain, slack])).toEqual({ channel: "slack", to: "channel:C0123", accountId: "default" });
    expect(pickActiveChat([telegramMain, slack, signal])).toEqual({ channel: "signal", to: "+15551234567", accountId: "default" });
    expect(pickActiveChat([telegramMain, slack, signal, ownPlugin, clawtellPeer, webchat])).toEqual({ channel: "loopchat", to: "loopchat:human", accountId: "default" });
    // The standalone daemon counts only the channels it has a sender for.
    expect(pickActiveChat([telegramMain, slack, signal, ownPlugin], (channel) => channel === "telegram" || channel === "slack")?.channel).toBe("slack");
  });

  it("keeps the earlier entry on a tie", () => {
    const a = { updatedAt: 5, deliveryContext: { channel: "telegram", to: "a" } };
    const b = { updatedAt: 5, deliveryContext: { channel: "telegram", to: "b" } };
    expect(pickActiveChat([a, b])?.to).toBe("a");
  });
});

describe("chat targets", () => {
  it("strips service and kind prefixes for the REST senders", () => {
    expect(["telegram:4242", "4242", "discord:channel:99", "channel:99", "user:42", " telegram:-100123 "].map(bareChatId)).toEqual(["4242", "4242", "99", "99", "42", "-100123"]);
  });

  it("reads Telegram forum topics and Discord DM targets", () => {
    expect(parseTelegramTarget("telegram:-1001234567890:topic:42")).toEqual({ chatId: "-1001234567890", threadId: "42" });
    expect(parseTelegramTarget("@news")).toEqual({ chatId: "@news" });
    expect(parseDiscordTarget("discord:user:42")).toEqual({ kind: "user", id: "42" });
    expect(parseDiscordTarget("channel:99")).toEqual({ kind: "channel", id: "99" });
    expect(parseDiscordTarget("99")).toEqual({ kind: "channel", id: "99" });
  });
});

describe("createChatResolver", () => {
  const fixed = (answers: Record<string, ChatTarget>, asked: string[], name: string): ActiveChatResolver => ({
    resolve: async (agentId) => {
      asked.push(`${name}:${agentId}`);
      return answers[agentId];
    },
  });

  it("asks the sources in order and stops at the first that knows a chat", async () => {
    const asked: string[] = [];
    const resolver = createChatResolver([
      createForwardToSource((agentId) => (agentId === "ops" ? { channel: "discord", to: "channel:1" } : undefined)),
      fixed({ main: { channel: "telegram", to: "telegram:2" } }, asked, "sessions"),
      fixed({ main: { channel: "telegram", to: "3" }, helper: { channel: "telegram", to: "4" } }, asked, "file"),
    ]);
    expect(await resolver.resolve("ops")).toEqual({ channel: "discord", to: "channel:1" });
    expect(asked).toEqual([]);
    expect(await resolver.resolve("main")).toEqual({ channel: "telegram", to: "telegram:2" });
    expect(await resolver.resolve("helper")).toEqual({ channel: "telegram", to: "4" });
    expect(await resolver.resolve("nobody")).toBeUndefined();
    expect(asked).toEqual(["sessions:main", "sessions:helper", "file:helper", "sessions:nobody", "file:nobody"]);
  });

  it("uses one configured forwardTo for every agent, and a session store through listSessionEntries", async () => {
    expect(await createForwardToSource({ channel: "telegram", to: "77", threadId: "5" }).resolve("any")).toEqual({ channel: "telegram", to: "77", threadId: "5" });
    expect(await createForwardToSource(undefined).resolve("any")).toBeUndefined();
    const store = createSessionStoreSource({
      listSessionEntries: (agentId) => (agentId === "main" ? [{ sessionKey: "agent:main:main", entry: telegramMain }, { sessionKey: "agent:main:cli", entry: cliSmoke }] : []),
    });
    expect(await store.resolve("main")).toEqual({ channel: "telegram", to: "telegram:4242", accountId: "default" });
    expect(await store.resolve("other")).toBeUndefined();
  });
});
