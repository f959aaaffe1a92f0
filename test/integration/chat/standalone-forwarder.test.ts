// The standalone forwarder end to end: resolver → sender → fake Telegram / Discord on loopback.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createChatResolver,
  createDiscordSender,
  createForwardToSource,
  createStandaloneChatForwarder,
  createTelegramSender,
  type ActiveChatResolver,
  type ChatTarget,
} from "../../../src/chat/index.js";
import type { HumanNotice } from "../../../src/daemon/contracts.js";
import { systemClock } from "../../../src/infra/index.js";
import { startFakeDiscord, type FakeDiscord } from "../../helpers/fake-discord.js";
import { startFakeTelegram, type FakeTelegram } from "../../helpers/fake-telegram.js";

const notice = (overrides: Partial<HumanNotice> = {}): HumanNotice => ({ kind: "delivery", accountId: "default", text: "🦞 hello", ...overrides });

/** The sessions the human has, per agent (stands in for OpenClaw's session store). */
const chatsByAgent: Record<string, ChatTarget> = {
  main: { channel: "telegram", to: "telegram:4242" },
  forum: { channel: "telegram", to: "telegram:-100777", threadId: "12" },
  ops: { channel: "discord", to: "channel:998877" },
};
const activeChats: ActiveChatResolver = { resolve: async (agentId) => chatsByAgent[agentId] };

describe("standalone chat forwarder", () => {
  let tg: FakeTelegram;
  let dc: FakeDiscord;
  beforeEach(async () => {
    [tg, dc] = await Promise.all([startFakeTelegram(), startFakeDiscord()]);
  });
  afterEach(async () => Promise.all([tg.close(), dc.close()]));

  const telegram = (): ReturnType<typeof createTelegramSender> => createTelegramSender({ botToken: tg.token, apiRoot: tg.apiRoot, clock: systemClock });
  const discord = (): ReturnType<typeof createDiscordSender> => createDiscordSender({ token: dc.token, apiRoot: dc.apiRoot, clock: systemClock });

  it("sends to the agent's active chat (main by default), with its thread", async () => {
    const forwarder = createStandaloneChatForwarder({ resolver: activeChats, telegram: telegram(), discord: discord() });
    await forwarder.send(notice());
    await forwarder.send(notice({ agentId: "forum", text: "in topic" }));
    await forwarder.send(notice({ agentId: "ops", text: "to discord" }));
    expect(tg.sentMessages().map((m) => [m.chatId, m.threadId, m.text])).toEqual([
      ["4242", undefined, "🦞 hello"],
      ["-100777", 12, "in topic"],
    ]);
    expect(dc.sentMessages("998877").map((m) => m.content)).toEqual(["to discord"]);
  });

  it("lets an explicit forwardTo win: on the notice, or first in the resolver", async () => {
    const resolver = createChatResolver([createForwardToSource((agentId) => (agentId === "main" ? { channel: "discord", to: "channel:1" } : undefined)), activeChats]);
    const forwarder = createStandaloneChatForwarder({ resolver, senders: [telegram(), discord()] });
    await forwarder.send(notice());
    await forwarder.send(notice({ agentId: "ops", forwardTo: { channel: "telegram", to: "77" } }));
    expect(dc.sentMessages().map((m) => m.channelId)).toEqual(["1"]);
    expect(tg.sentMessages().map((m) => m.chatId)).toEqual(["77"]);
  });

  it("refuses, without retry, when there is no chat or no sender for its channel", async () => {
    const forwarder = createStandaloneChatForwarder({ resolver: activeChats, telegram: telegram() });
    await expect(forwarder.send(notice({ agentId: "nobody" }))).rejects.toMatchObject({
      code: "CT_ROUTE_UNKNOWN",
      retryable: false,
      message: expect.stringContaining('agent "nobody"'),
    });
    await expect(forwarder.send(notice({ agentId: "ops" }))).rejects.toMatchObject({ code: "CT_ROUTE_UNKNOWN", retryable: false, field: "channels.discord.token" });
    const noTelegram = createStandaloneChatForwarder({ resolver: activeChats, discord: discord() });
    await expect(noTelegram.send(notice())).rejects.toThrow("channels.telegram.botToken is not set");
    expect(tg.calls).toEqual([]);
    expect(dc.calls).toEqual([]);
  });

  it("speaks of the account and of what to configure, not of an OpenClaw agent, for a webhook or command route", async () => {
    const forwarder = createStandaloneChatForwarder({ resolver: { resolve: async () => undefined }, telegram: telegram() });
    const err = await forwarder.send(notice({ accountId: "work" })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CT_ROUTE_UNKNOWN", retryable: false, field: "channels.clawtell.forwardTo" });
    const message = (err as Error).message;
    expect(message).toContain('account "work"');
    expect(message).toContain("forwardTo");
    expect(message).toContain("channels.telegram.botToken");
    expect(message).not.toMatch(/agent|nobody has talked/);
  });

  it("sends text and files over connections of its own, whatever dispatcher the process has set globally", async () => {
    // A host (OpenClaw) may set undici's global dispatcher to one that cannot carry our requests; this one carries none.
    const previous = getGlobalDispatcher();
    const refusing = new MockAgent();
    refusing.disableNetConnect();
    setGlobalDispatcher(refusing);
    const dir = await mkdtemp(join(tmpdir(), "clawtell-forward-own-"));
    try {
      await writeFile(join(dir, "a"), "own connections\n");
      const files = [{ path: join(dir, "a"), filename: "own.txt", mimeType: "text/plain" }];
      const forwarder = createStandaloneChatForwarder({ resolver: activeChats, telegram: telegram(), discord: discord() });
      await forwarder.send(notice({ files }));
      await forwarder.send(notice({ agentId: "ops", text: "to discord", files }));
      expect(tg.sentMessages().map((m) => m.text)).toEqual(["🦞 hello"]);
      expect(tg.documents.map((d) => d.filename)).toEqual(["own.txt"]);
      const [text, upload] = dc.sentMessages("998877");
      expect(text?.content).toBe("to discord");
      expect(upload?.files).toEqual([{ filename: "own.txt", bytes: Buffer.from("own connections\n") }]);
    } finally {
      setGlobalDispatcher(previous);
      await refusing.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("uploads the notice's files after its text, to Telegram (sendDocument) and Discord (multipart), with their bytes and names", async () => {
    const dir = await mkdtemp(join(tmpdir(), "clawtell-forward-files-"));
    try {
      const report = Buffer.from("numbers: 7, 8, 9\n");
      const photo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]);
      await writeFile(join(dir, "a"), report);
      await writeFile(join(dir, "b"), photo);
      const files = [
        { path: join(dir, "a"), filename: "report.txt", mimeType: "text/plain" },
        { path: join(dir, "b"), filename: "photo.png", mimeType: "image/png" },
      ];
      const forwarder = createStandaloneChatForwarder({ resolver: activeChats, telegram: telegram(), discord: discord() });
      await forwarder.send(notice({ agentId: "forum", files }));
      expect(tg.sentMessages().map((m) => m.text)).toEqual(["🦞 hello"]);
      expect(tg.documents.map((d) => [d.chatId, d.threadId, d.filename, d.bytes])).toEqual([
        ["-100777", 12, "report.txt", report],
        ["-100777", 12, "photo.png", photo],
      ]);
      const textAt = tg.calls.findIndex((c) => c.method === "sendMessage");
      expect(tg.calls.findIndex((c) => c.method === "sendDocument")).toBeGreaterThan(textAt);

      await forwarder.send(notice({ agentId: "ops", files: [files[0] as (typeof files)[number]] }));
      const [text, upload] = dc.sentMessages("998877");
      expect(text?.content).toBe("🦞 hello");
      expect(upload?.files).toEqual([{ filename: "report.txt", bytes: report }]);
      expect(dc.calls.at(-1)?.body["allowed_mentions"]).toEqual({ parse: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sends the text and the other files when one file fails, and does not send the text again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "clawtell-forward-files-"));
    try {
      await writeFile(join(dir, "ok"), "fine");
      const files = [
        { path: join(dir, "missing"), filename: "gone.txt", mimeType: "text/plain" },
        { path: join(dir, "ok"), filename: "ok.txt", mimeType: "text/plain" },
      ];
      tg.failNext(1, { method: "sendDocument", status: 400, description: "Bad Request: file is too big" });
      const forwarder = createStandaloneChatForwarder({ resolver: activeChats, telegram: telegram() });
      await forwarder.send(notice({ files: [files[1] as (typeof files)[number], ...files] }));
      expect(tg.sentMessages()).toHaveLength(1);
      // The first upload was refused, the missing file could not be read, the last one went through.
      expect(tg.documents.map((d) => d.filename)).toEqual(["ok.txt"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("passes a sender failure through with its retry policy", async () => {
    tg.failNext(1, { status: 500 });
    const forwarder = createStandaloneChatForwarder({ resolver: activeChats, telegram: telegram() });
    await expect(forwarder.send(notice())).rejects.toMatchObject({ code: "CT_API_SERVER_ERROR", retryable: true });
    await forwarder.send(notice());
    expect(tg.sentMessages()).toHaveLength(1);
  });
});
