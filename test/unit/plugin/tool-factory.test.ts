import { describe, expect, it } from "vitest";
import { createToolFactory, SEND_TOOL_NAME } from "../../../src/plugin/index.js";

const offered = (ctx: Parameters<ReturnType<typeof createToolFactory>>[0]): string[] => {
  const tools = createToolFactory()(ctx);
  return (tools === null || tools === undefined ? [] : Array.isArray(tools) ? tools : [tools]).map((t) => t.name);
};

describe("which turns are offered clawtell_send", () => {
  it("offers it to a human OpenClaw does not count as owner (admitted by a channel's allowFrom)", () => {
    expect(offered({ messageChannel: "telegram", sessionKey: "agent:main:main", senderIsOwner: false, requesterSenderId: "4242" })).toEqual([SEND_TOOL_NAME]);
  });

  it("offers it to the owner, cron and CLI turns", () => {
    expect(offered({ messageChannel: "telegram", sessionKey: "agent:main:main", senderIsOwner: true })).toEqual([SEND_TOOL_NAME]);
    expect(offered({ sessionKey: "agent:main:cron:daily" })).toEqual([SEND_TOOL_NAME]);
  });

  it("keeps it out of a turn started by a ClawTell sender, even one OpenClaw counts as owner", () => {
    expect(offered({ messageChannel: "clawtell", sessionKey: "agent:main:clawtell:default:direct:bob", senderIsOwner: true })).toEqual([]);
    expect(offered({ sessionKey: "agent:helper:clawtell:default:direct:bob" })).toEqual([]);
  });
});
