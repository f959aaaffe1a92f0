// The plugin's chat forwarder: which chat a notice goes to (forwardTo, routed agent, default agent), the files that
// follow the text, and how OpenClaw's send outcome becomes a retryable or final error.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { HumanNotice } from "../../../src/daemon/index.js";
import { ClawTellError, createSilentLogger } from "../../../src/infra/index.js";
import { createPluginChatForwarder, type HostMedia } from "../../../src/plugin/index.js";
import { CFG, chatRow, createMediaStoreDouble, createRuntimeDouble, type RuntimeDouble } from "./runtime-double.js";

const notice = (overrides: Partial<HumanNotice> = {}): HumanNotice => ({ kind: "delivery", text: "🦞 hello", accountId: "default", agentId: "helper", ...overrides });

describe("plugin chat forwarder", () => {
  let double: RuntimeDouble;
  const forwarder = (extra: { media?: HostMedia; sendBatch?: RuntimeDouble["sendBatch"] } = {}) =>
    createPluginChatForwarder({
      ...extra,
      cfg: () => CFG,
      listSessionEntries: (agentId) => {
        const rows = double.sessions[agentId];
        if (rows === undefined) throw new Error(`no session store for ${agentId}`);
        return rows;
      },
      defaultAgentId: () => "main",
      sendBatch: extra.sendBatch ?? double.sendBatch,
      logger: createSilentLogger(),
    });

  beforeEach(() => {
    double = createRuntimeDouble();
  });

  it("sends to the routed agent's newest external Telegram/Discord chat through OpenClaw", async () => {
    double.sessions["helper"] = [
      chatRow("agent:helper:main", "telegram", "telegram:111", 1_000),
      chatRow("agent:helper:discord:default:direct:9", "discord", "channel:999", 5_000, "work"),
      chatRow("agent:helper:clawtell:default:direct:bob", "clawtell", "tell/bob", 9_000),
    ];
    await forwarder().send(notice());
    expect(double.chatSends).toEqual([{ cfg: CFG, channel: "discord", to: "channel:999", accountId: "work", payloads: [{ text: "🦞 hello" }] }]);
  });

  it("sends the files after the text, as media saved into OpenClaw's media store; files that fail never fail the copy", async () => {
    const dir = await mkdtemp(join(tmpdir(), "clawtell-forward-files-"));
    try {
      await writeFile(join(dir, "plan.txt"), "the plan\n");
      await writeFile(join(dir, "tool.bin"), Buffer.from([0, 1, 2]));
      const store = createMediaStoreDouble(join(dir, "host-media"), new Set(["application/octet-stream"]));
      const files = [
        { path: join(dir, "plan.txt"), filename: "plan.txt", mimeType: "text/plain" },
        { path: join(dir, "tool.bin"), filename: "tool.bin", mimeType: "application/octet-stream" },
      ];
      double.sessions["helper"] = [chatRow("agent:helper:main", "telegram", "telegram:111", 1_000)];
      await forwarder({ media: store }).send(notice({ files }));
      expect(store.saved).toHaveLength(1);
      expect(double.chatSends.map((c) => c.payloads)).toEqual([[{ text: "🦞 hello" }], [{ mediaUrl: store.saved[0] }]]);
      expect(await readFile(store.saved[0] ?? "", "utf8")).toBe("the plan\n");

      // Files that cannot be sent leave the delivered text alone: no error, so the copy is not sent again.
      double.chatSends.length = 0;
      const flaky = double.sendBatch;
      const sendBatch: typeof flaky = async (params) => ("text" in (params.payloads[0] ?? {}) ? flaky(params) : { status: "failed", error: new Error("media spool unavailable") });
      await forwarder({ media: store, sendBatch }).send(notice({ files }));
      expect(double.chatSends.map((c) => c.payloads)).toEqual([[{ text: "🦞 hello" }]]);

      // Without a media store, the text goes alone.
      double.chatSends.length = 0;
      await forwarder().send(notice({ files }));
      expect(double.chatSends.map((c) => c.payloads)).toEqual([[{ text: "🦞 hello" }]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sends to the human's newest chat whatever its channel (Slack, Signal, a plugin's own), through OpenClaw's outbound", async () => {
    double.sessions["helper"] = [
      chatRow("agent:helper:main", "telegram", "telegram:111", 1_000),
      chatRow("agent:helper:slack:default:direct:u1", "slack", "user:U0123", 5_000, "workspace"),
    ];
    await forwarder().send(notice());
    double.sessions["helper"].push(chatRow("agent:helper:signal:default:direct:p", "signal", "+15551234567", 6_000));
    await forwarder().send(notice());
    expect(double.chatSends.map(({ channel, to, accountId }) => ({ channel, to, accountId }))).toEqual([
      { channel: "slack", to: "user:U0123", accountId: "workspace" },
      { channel: "signal", to: "+15551234567", accountId: "default" },
    ]);
  });

  it("drops the channel's own prefix from the chat a session names, as OpenClaw's target normalizers do, and keeps other prefixes", async () => {
    double.sessions["helper"] = [chatRow("agent:helper:synology-chat:default:direct:5", "synology-chat", "Synology-Chat:5", 1_000)];
    await forwarder().send(notice());
    await forwarder().send(notice({ forwardTo: { channel: "discord", to: "channel:999" } }));
    await forwarder().send(notice({ forwardTo: { channel: "synology-chat", to: "synology-chat:7" } }));
    expect(double.chatSends.map(({ channel, to }) => ({ channel, to }))).toEqual([
      { channel: "synology-chat", to: "5" },
      { channel: "discord", to: "channel:999" },
      { channel: "synology-chat", to: "7" },
    ]);
  });

  it("sends to an explicit forwardTo on any channel", async () => {
    await forwarder().send(notice({ forwardTo: { channel: "whatsapp", to: "+15550001111" } }));
    expect(double.chatSends[0]).toMatchObject({ channel: "whatsapp", to: "+15550001111", payloads: [{ text: "🦞 hello" }] });
  });

  it("falls back to the default agent's chat when the routed agent has none", async () => {
    double.sessions["helper"] = [];
    double.sessions["main"] = [chatRow("agent:main:main", "telegram", "telegram:4242", 1_000)];
    await forwarder().send(notice());
    expect(double.chatSends[0]).toMatchObject({ channel: "telegram", to: "4242" });
  });

  it("prefers an explicit forwardTo over any session", async () => {
    double.sessions["helper"] = [chatRow("agent:helper:main", "telegram", "telegram:111", 1_000)];
    await forwarder().send(notice({ forwardTo: { channel: "telegram", to: "777", threadId: "5" } }));
    expect(double.chatSends[0]).toMatchObject({ channel: "telegram", to: "777", threadId: "5" });
  });

  it("gives up (not retryable) when no chat of the human is known", async () => {
    const err = await forwarder().send(notice()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClawTellError);
    expect(err).toMatchObject({ code: "CT_ROUTE_UNKNOWN", retryable: false });
    expect(double.chatSends).toHaveLength(0);
  });

  it("asks for a retry when OpenClaw could not send, but not when a policy suppressed the text", async () => {
    double.sessions["main"] = [chatRow("agent:main:main", "telegram", "telegram:4242", 1_000)];
    double.chatStatus = "failed";
    await expect(forwarder().send(notice({ agentId: "main" }))).rejects.toMatchObject({ code: "CT_SINK_FAILED", retryable: true });
    double.chatStatus = "suppressed";
    await expect(forwarder().send(notice({ agentId: "main" }))).rejects.toMatchObject({ retryable: false });
  });

  it("names OpenClaw's reason for a failed send, and takes a partly sent notice (a file failed after the text) as sent", async () => {
    double.sessions["main"] = [chatRow("agent:main:main", "telegram", "telegram:4242", 1_000)];
    double.chatStatus = "failed";
    double.chatError = new Error("chat not found");
    await expect(forwarder().send(notice({ agentId: "main" }))).rejects.toMatchObject({ message: "telegram send failed: chat not found" });
    // Sending it again would repeat the text the chat already shows.
    double.chatStatus = "partial_failed";
    double.chatError = new Error("file too big");
    await expect(forwarder().send(notice({ agentId: "main" }))).resolves.toBeUndefined();
  });
});
