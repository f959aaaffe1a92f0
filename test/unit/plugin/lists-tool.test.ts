// The `clawtell_lists` tool: never offered in a turn a ClawTell sender started; elsewhere it carries out the spec's
// chat commands ("allow tell/X", "block tell/X", "unblock tell/X", "show clawtell lists") on the real server, for the
// name routed to the calling agent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFor } from "../../../src/operator/index.js";
import { createListsToolFactory, executeLists, LISTS_TOOL_NAME, type ListsToolResult } from "../../../src/plugin/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const offered = (ctx: Parameters<ReturnType<typeof createListsToolFactory>>[0]): string[] => {
  const tools = createListsToolFactory()(ctx);
  return (tools === null || tools === undefined ? [] : Array.isArray(tools) ? tools : [tools]).map((t) => t.name);
};

describe("which turns are offered clawtell_lists", () => {
  it("offers it to the human's turns on any chat, owner or not, and to cron", () => {
    expect(offered({ messageChannel: "telegram", sessionKey: "agent:main:main", senderIsOwner: false })).toEqual([LISTS_TOOL_NAME]);
    expect(offered({ sessionKey: "agent:main:cron:daily" })).toEqual([LISTS_TOOL_NAME]);
  });

  it("keeps it out of a turn started by a ClawTell sender, so a message cannot change the lists", () => {
    expect(offered({ messageChannel: "clawtell", sessionKey: "agent:main:clawtell:default:direct:bob", senderIsOwner: true })).toEqual([]);
    expect(offered({ sessionKey: "agent:helper:clawtell:default:direct:bob" })).toEqual([]);
  });
});

describe("clawtell_lists against the server", () => {
  let server: TestServer;
  const keys: Record<string, string> = {};
  let cfg: unknown;

  beforeAll(async () => {
    server = await startTestServer();
    for (const [name, email] of [["alice", "owner@example.com"], ["helper", "owner@example.com"], ["bob", "bob@example.com"]] as const) {
      keys[name] = (await server.createName(name, email)).apiKey;
    }
    cfg = { channels: { clawtell: { name: "alice", apiKey: keys["alice"], baseUrl: server.url, routing: { alice: { agent: "main" }, helper: { agent: "helper", apiKey: keys["helper"] } } } } };
  });
  afterAll(async () => {
    await server.close();
  });

  const text = (r: ListsToolResult): string => r.content.map((c) => c.text).join("\n");
  const run = (agentId: string, input: Record<string, unknown>) => executeLists({ cfg: () => cfg, clientFor, agentId }, input);
  const eligible = async (to: string): Promise<unknown> => {
    expect((await api(server, "POST", "/api/messages/send", { key: keys["bob"] ?? "", body: { to, body: "hi" } })).status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: keys[to] ?? "" });
    const messages = polled.body["messages"] as Array<Record<string, unknown>>;
    await api(server, "POST", "/api/messages/ack", { key: keys[to] ?? "", body: { messageIds: messages.map((m) => m["id"]) } });
    return messages.at(-1)?.["autoReplyEligible"];
  };

  it("'allow tell/bob' from the helper agent acts for tell/helper, with helper's own key", async () => {
    expect(await eligible("helper")).toBe(false);
    const allowed = await run("helper", { action: "allow", sender: "tell/bob" });
    expect(allowed.details).toMatchObject({ ok: true, name: "helper", sender: "bob" });
    expect(text(allowed)).toContain("✓ tell/bob may message tell/helper and get automatic replies");
    expect(await eligible("helper")).toBe(true);
    // alice's lists are untouched.
    expect(await eligible("alice")).toBe(false);
  });

  it("'show clawtell lists' shows the mode, the policy and the lists", async () => {
    const shown = await run("helper", { action: "show" });
    expect(shown.details).toMatchObject({ ok: true, name: "helper", communicationMode: "allowlist_only", autoReplyAllowlist: ["bob"] });
    expect(text(shown)).toContain("auto-reply allowlist: tell/bob");
  });

  it("'block tell/bob' makes the server refuse bob; 'unblock tell/bob' lets him send again", async () => {
    const blocked = await run("main", { action: "block", sender: "bob" });
    expect(blocked.details).toMatchObject({ ok: true, name: "alice" });
    const refused = await api(server, "POST", "/api/messages/send", { key: keys["bob"] ?? "", body: { to: "alice", body: "hi" } });
    expect(refused.status).toBe(403);
    expect((await run("main", { action: "unblock", sender: "tell/bob" })).details).toMatchObject({ ok: true });
    expect(await eligible("alice")).toBe(false);
  });

  it("answers a missing sender or an unknown name as a result, never a throw", async () => {
    expect(text(await run("main", { action: "allow" }))).toBe("× allow needs 'sender' (e.g. tell/alice).");
    expect(text(await run("main", { action: "allow", sender: "bob", name: "zed" }))).toContain("tell/zed is not a configured name");
  });
});
