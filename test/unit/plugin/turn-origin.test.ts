import { describe, expect, it } from "vitest";
import { isClawTellSenderTurn } from "../../../src/plugin/turn-origin.js";

describe("isClawTellSenderTurn", () => {
  it("is true for a turn whose message came over ClawTell", () => {
    expect(isClawTellSenderTurn({ messageChannel: "clawtell" })).toBe(true);
    expect(isClawTellSenderTurn({ sessionKey: "agent:main:clawtell:default:direct:tell/bob" })).toBe(true);
  });

  it("is false for the human on another channel, whatever OpenClaw thinks of ownership", () => {
    expect(isClawTellSenderTurn({ messageChannel: "telegram", sessionKey: "agent:main:telegram:default:direct:42" })).toBe(false);
    expect(isClawTellSenderTurn({ sessionKey: "agent:main:main" })).toBe(false);
    expect(isClawTellSenderTurn({})).toBe(false);
  });

  it("does not mistake an agent named clawtell for the channel", () => {
    expect(isClawTellSenderTurn({ sessionKey: "agent:clawtell:telegram:default:direct:42" })).toBe(false);
  });
});
