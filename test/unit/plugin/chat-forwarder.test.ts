// The plugin's chat forwarder: which chat a notice goes to (forwardTo, routed agent, default agent) and how OpenClaw's
// send outcome becomes a retryable or final error.
import { beforeEach, describe, expect, it } from "vitest";
import type { HumanNotice } from "../../../src/daemon/index.js";
import { ClawTellError, createSilentLogger } from "../../../src/infra/index.js";
import { createPluginChatForwarder } from "../../../src/plugin/index.js";
import { CFG, chatRow, createRuntimeDouble, type RuntimeDouble } from "./runtime-double.js";

const notice = (overrides: Partial<HumanNotice> = {}): HumanNotice => ({ kind: "delivery", text: "🦞 hello", accountId: "default", agentId: "helper", ...overrides });

describe("plugin chat forwarder", () => {
  let double: RuntimeDouble;
  const forwarder = () =>
    createPluginChatForwarder({
      cfg: () => CFG,
      listSessionEntries: (agentId) => {
        const rows = double.sessions[agentId];
        if (rows === undefined) throw new Error(`no session store for ${agentId}`);
        return rows;
      },
      defaultAgentId: () => "main",
      sendBatch: double.sendBatch,
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

  it("falls back to the default agent's chat when the routed agent has none", async () => {
    double.sessions["helper"] = [];
    double.sessions["main"] = [chatRow("agent:main:main", "telegram", "telegram:4242", 1_000)];
    await forwarder().send(notice());
    expect(double.chatSends[0]).toMatchObject({ channel: "telegram", to: "telegram:4242" });
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
});
