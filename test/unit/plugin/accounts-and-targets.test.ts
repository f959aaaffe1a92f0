// Accounts as OpenClaw lists and resolves them from `channels.clawtell`, and ClawTell target addresses.
import { describe, expect, it } from "vitest";
import { formatTargetDisplay, listAccountIds, looksLikeTellTarget, normalizeTarget, resolvePluginAccount } from "../../../src/plugin/index.js";

const cfg = (clawtell: unknown): unknown => ({ channels: { telegram: { botToken: "x" }, clawtell } });

describe("channel accounts", () => {
  it("lists the top-level account as default, then every entry of accounts", () => {
    expect(listAccountIds(cfg({ name: "alice", apiKey: "k1", accounts: { work: { name: "w", apiKey: "k2" }, spare: {} } }))).toEqual(["default", "work", "spare"]);
    expect(listAccountIds(cfg({ accounts: { work: { name: "w", apiKey: "k2" } } }))).toEqual(["work"]);
    expect(listAccountIds({ channels: {} })).toEqual([]);
  });

  it("resolves each account on its own, so one without a key does not hide the others", () => {
    const config = cfg({ name: "tell/Alice", apiKey: "k1", baseUrl: "http://127.0.0.1:9", accounts: { work: { name: "w", apiKey: "k2" }, spare: { name: "s" } } });
    const main = resolvePluginAccount(config, undefined);
    expect(main).toMatchObject({ accountId: "default", configured: true, enabled: true, name: "alice" });
    expect(main.resolved?.apiKey).toBe("k1");
    const work = resolvePluginAccount(config, "work");
    expect(work.resolved).toMatchObject({ name: "w", apiKey: "k2", baseUrl: "http://127.0.0.1:9" });
    const spare = resolvePluginAccount(config, "spare");
    expect(spare).toMatchObject({ configured: false, name: "s" });
    expect(spare.problem).toContain("channels.clawtell.accounts.spare.apiKey");
  });

  it("reports a disabled account and an invalid section without throwing", () => {
    expect(resolvePluginAccount(cfg({ name: "a", apiKey: "k", enabled: false }), "default")).toMatchObject({ enabled: false, configured: true });
    const broken = resolvePluginAccount(cfg({ name: "a", apiKey: "k", routing: { alice: { agnet: "main" } } }), "default");
    expect(broken.configured).toBe(false);
    expect(broken.problem).toContain("channels.clawtell.routing.alice.agnet");
    expect(resolvePluginAccount(cfg({ name: "a", apiKey: "k" }), "nope")).toMatchObject({ configured: false });
  });
});

describe("targets", () => {
  it("normalizes tell/, clawtell: and bare names, and refuses what is not a name", () => {
    expect(normalizeTarget(" tell/Bob ")).toBe("bob");
    expect(normalizeTarget("clawtell:tell/bob-2")).toBe("bob-2");
    expect(normalizeTarget("clawtell:bob")).toBe("bob");
    expect(normalizeTarget("bob")).toBe("bob");
    expect(normalizeTarget("telegram:4242")).toBeUndefined();
    expect(normalizeTarget("tell/")).toBeUndefined();
    expect(normalizeTarget("-bob")).toBeUndefined();
  });

  it("recognises explicit ClawTell addresses and displays names with tell/", () => {
    expect(looksLikeTellTarget("tell/bob")).toBe(true);
    expect(looksLikeTellTarget("bob")).toBe(false);
    expect(formatTargetDisplay("clawtell:bob")).toBe("tell/bob");
  });
});
