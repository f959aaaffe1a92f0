import { describe, expect, it } from "vitest";
import { clawTellPromptHints, namesRoutedTo, senderIdentityOf } from "../../../src/plugin/agent-names.js";
import { resolvePluginAccount } from "../../../src/plugin/accounts.js";

const KEY = "claw_0123456789abcdef_0123456789abcdef0123456789abcdef";
const cfg = {
  agents: { entries: { main: {}, helper: { name: "Helper" } } },
  channels: {
    clawtell: {
      name: "alice",
      apiKey: KEY,
      routing: { carol: { agent: "helper" }, dave: { agent: "helper" } },
      accounts: { work: { name: "erin", apiKey: KEY, routing: { erin: { agent: "worker" } } } },
    },
  },
};

describe("names of an agent", () => {
  it("lists the names routed to an agent in routing order, and the account's own name for the agent it falls to", () => {
    const account = resolvePluginAccount(cfg, "default").resolved;
    if (account === undefined) throw new Error("not resolved");
    expect(namesRoutedTo(account, "helper")).toEqual(["carol", "dave"]);
    expect(namesRoutedTo(account, "main")).toEqual(["alice"]);
    expect(namesRoutedTo(account, "nobody")).toEqual([]);
  });

  it("finds the account that routes a name to the agent when none is given", () => {
    expect(senderIdentityOf(cfg, "helper", undefined)).toEqual({ accountId: "default", name: "carol" });
    expect(senderIdentityOf(cfg, "worker", undefined)).toEqual({ accountId: "work", name: "erin" });
    expect(senderIdentityOf(cfg, "worker", "default")).toEqual({ accountId: "default" });
    expect(senderIdentityOf(cfg, undefined, undefined)).toEqual({ accountId: "default" });
  });

  it("tells an agent answering a ClawTell message each name's agent and how to reach others", () => {
    const hints = clawTellPromptHints(cfg, "default").join("\n");
    expect(hints).toContain('- tell/alice → agent "main"');
    expect(hints).toContain('- tell/carol, tell/dave → agent "helper" (Helper); sends as tell/carol unless `from` names another');
    expect(hints).toContain("use `clawtell_send`");
    expect(clawTellPromptHints({}, "default")).toEqual([]);
  });
});
