import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseChannelConfig,
  parseOpenClawConfig,
  resolveAccounts,
  resolveOpenClawConfigPath,
  resolveRoute,
  resolveSenderApiKey,
} from "../../../src/config/index.js";
import { SCHEMA_FILE, renderSchema } from "../../../scripts/generate-config-schema.js";

/** The configuration an official-plugin user has today (clawtell-api.md §2.2). */
const OFFICIAL = {
  enabled: true,
  name: "tell/Dennis",
  apiKey: "claw_abc_secret",
  pollIntervalMs: 30000,
  pollAccount: true,
  sseUrl: "https://clawtell-sse.fly.dev",
  dmPolicy: "open",
  routing: {
    dennis: { agent: "main", forward: true },
    helper: { agent: "helper", forward: false, apiKey: "claw_def_helper", forwardTo: { channel: "telegram", chatId: 4242 } },
    _default: { agent: "main", forward: true },
  },
  accounts: { work: { name: "worker", apiKey: "claw_w_k", routing: { worker: { agent: "work" } } } },
};

describe("channels.clawtell configuration", () => {
  it("accepts an official plugin user's configuration unchanged", () => {
    expect(() => parseChannelConfig(OFFICIAL)).not.toThrow();
  });

  it("names the exact path of every problem", () => {
    const bad = { name: "alice", apiKey: "k", routing: { alice: { agent: 42 }, bob: { forward: "yes" } }, surprise: 1 };
    try {
      parseChannelConfig(bad);
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(err).toMatchObject({ code: "CT_CONFIG_INVALID" });
      expect(message).toContain("channels.clawtell.routing.alice.agent:");
      expect(message).toContain("channels.clawtell.routing.bob.forward:");
      expect(message).toContain("channels.clawtell.surprise: unknown key");
    }
  });

  it.each([
    [{ baseUrl: "https://example.com/api" }, "channels.clawtell.baseUrl: must be the origin without /api"],
    [{ baseUrl: "example.com" }, "channels.clawtell.baseUrl: must be an http(s) URL"],
    [{ routing: { "Not A Name": { agent: "x" } } }, "channels.clawtell.routing.Not A Name"],
    [{ routing: { bob: { agent: "x", webhook: { url: "http://127.0.0.1:1/x" } } } }, "give only one of agent, webhook or command"],
    [{ routing: { bob: { webhook: { url: "http://127.0.0.1:1/x", secret: "short" } } } }, "channels.clawtell.routing.bob.webhook.secret: must be at least 16"],
    [{ routing: { Bob: { agent: "a" }, "tell/bob": { agent: "b" } } }, 'channels.clawtell.routing.tell/bob: names the same route as "Bob"'],
    [{ queue: { maxAttempts: 0 } }, "channels.clawtell.queue.maxAttempts:"],
    [{ loopGuard: { maxReplies: -1 } }, "channels.clawtell.loopGuard.maxReplies:"],
    [{ loopGuard: { windowSecs: 60 } }, "channels.clawtell.loopGuard"],
    [{ forwardTo: { channel: "telegram", to: "" } }, "channels.clawtell.forwardTo.to"],
  ])("refuses %j", (raw, message) => {
    expect(() => parseChannelConfig(raw)).toThrow(message);
  });

  it("resolves accounts: defaults, inheritance of connection settings, never of identity", () => {
    const accounts = resolveAccounts(
      parseChannelConfig({ ...OFFICIAL, baseUrl: "http://127.0.0.1:8787/", sseUrl: undefined, queue: { maxAttempts: 3 }, loopGuard: { maxReplies: 4 } }),
    );
    expect(accounts.map((a) => [a.accountId, a.name, a.enabled])).toEqual([
      ["default", "dennis", true],
      ["work", "worker", true],
    ]);
    const [main, work] = accounts;
    expect(main).toMatchObject({ baseUrl: "http://127.0.0.1:8787", sseUrl: "http://127.0.0.1:8787", transport: "sse", accountLevel: true });
    expect(work).toMatchObject({ baseUrl: "http://127.0.0.1:8787", apiKey: "claw_w_k", queue: { maxAttempts: 3, backoffBaseMs: 5000 } });
    expect(work?.loopGuard).toEqual({ maxReplies: 4, windowSeconds: 300 });
    expect(Object.keys(work?.routing ?? {})).toEqual(["worker"]);
  });

  it("uses the public service and its streaming host by default, and long polling when streaming is off", () => {
    const [account] = resolveAccounts(parseChannelConfig({ name: "a-b", apiKey: "k" }));
    expect(account).toMatchObject({ baseUrl: "https://www.clawtell.com", sseUrl: "https://clawtell-sse.fly.dev", transport: "sse", accountLevel: false });
    expect(account?.loopGuard).toEqual({ maxReplies: 10, windowSeconds: 300 });
    const [off] = resolveAccounts(parseChannelConfig({ name: "a-b", apiKey: "k", sseUrl: false }));
    expect(off).toMatchObject({ sseUrl: null, transport: "longpoll" });
  });

  it("requires a name and key for each account, naming the path", () => {
    expect(() => resolveAccounts(parseChannelConfig({ accounts: { x: { name: "x" } } }))).toThrow("channels.clawtell.accounts.x.apiKey: required");
  });

  it("routes by recipient name, then _default, then the default agent; replies use the route's key", () => {
    const [account] = resolveAccounts(parseChannelConfig(OFFICIAL));
    if (account === undefined) throw new Error("no account");
    expect(resolveRoute(account, "helper")).toMatchObject({
      routeKey: "helper",
      target: { kind: "agent", agentId: "helper" },
      forward: false,
      replyApiKey: "claw_def_helper",
      forwardTo: { channel: "telegram", to: "4242" },
    });
    expect(resolveRoute(account, "stranger")).toMatchObject({ routeKey: "_default", replyApiKey: "claw_abc_secret" });
    expect(resolveRoute(account, undefined)).toMatchObject({ recipient: "dennis", routeKey: "dennis" });
    const [bare] = resolveAccounts(parseChannelConfig({ name: "solo", apiKey: "k" }));
    if (bare === undefined) throw new Error("no account");
    expect(resolveRoute(bare, "solo")).toMatchObject({ routeKey: "", target: { kind: "agent", agentId: "main" }, forward: true });
  });

  it("falls back to the route of the account's own name when neither the name nor _default has one", () => {
    const [account] = resolveAccounts(
      parseChannelConfig({ name: "dennis", apiKey: "k", routing: { "tell/Dennis": { webhook: { url: "http://127.0.0.1:1/h" }, forward: false } } }),
    );
    if (account === undefined) throw new Error("no account");
    expect(Object.keys(account.routing)).toEqual(["dennis"]);
    expect(resolveRoute(account, "tell/Stranger")).toMatchObject({ recipient: "stranger", routeKey: "dennis", target: { kind: "webhook" }, forward: false });
  });

  it("replies with the matched route's key (as the official plugin) but sends as a name only with that name's own key", () => {
    const [account] = resolveAccounts(
      parseChannelConfig({ name: "dennis", apiKey: "account-key", routing: { helper: { apiKey: "helper-key" }, _default: { apiKey: "default-key" } } }),
    );
    if (account === undefined) throw new Error("no account");
    expect(resolveRoute(account, "helper").replyApiKey).toBe("helper-key");
    expect(resolveRoute(account, "other").replyApiKey).toBe("default-key");
    expect(resolveSenderApiKey(account, "tell/Helper")).toBe("helper-key");
    expect(resolveSenderApiKey(account, "other")).toBe("account-key");
    expect(resolveSenderApiKey(account, undefined)).toBe("account-key");
  });

  it("turns every account off with a top-level enabled: false; omitted enabled means enabled", () => {
    const accounts = resolveAccounts(parseChannelConfig({ ...OFFICIAL, enabled: false, accounts: { work: { name: "w", apiKey: "k", enabled: true } } }));
    expect(accounts.map((a) => a.enabled)).toEqual([false, false]);
    const [solo] = resolveAccounts(parseChannelConfig({ name: "solo", apiKey: "k" }));
    expect(solo?.enabled).toBe(true);
  });

  it("reads openclaw.json as JSON5, with the chat tokens the standalone daemon needs", () => {
    const loaded = parseOpenClawConfig(
      `{ // comments and unquoted keys are fine
        channels: { telegram: { botToken: "123:abc", apiRoot: "http://127.0.0.1:9" }, clawtell: { name: "alice", apiKey: "k", }, },
      }`,
      "openclaw.json",
    );
    expect(loaded.clawtell.name).toBe("alice");
    expect(loaded.telegram).toEqual({ botToken: "123:abc", apiRoot: "http://127.0.0.1:9" });
    expect(() => parseOpenClawConfig("{ nope", "openclaw.json")).toThrow(/openclaw.json: not valid JSON5/);
  });

  it("finds openclaw.json like OpenClaw does", () => {
    expect(resolveOpenClawConfigPath({ OPENCLAW_CONFIG_PATH: "/x/c.json" }, "/home/u")).toBe("/x/c.json");
    expect(resolveOpenClawConfigPath({ OPENCLAW_STATE_DIR: "/s" }, "/home/u")).toBe("/s/openclaw.json");
    expect(resolveOpenClawConfigPath({}, "/home/u")).toBe("/home/u/.openclaw/openclaw.json");
    expect(resolveOpenClawConfigPath({ OPENCLAW_HOME: "/oc" }, "/home/u")).toBe("/oc/.openclaw/openclaw.json");
    expect(resolveOpenClawConfigPath({ OPENCLAW_CONFIG_PATH: "", OPENCLAW_STATE_DIR: " " }, "/home/u")).toBe("/home/u/.openclaw/openclaw.json");
  });

  it("keeps the committed JSON Schema equal to the generated one (run npm run gen:schema)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(renderSchema());
  });
});
