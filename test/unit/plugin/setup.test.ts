// OpenClaw's setup flow writes channels.clawtell: `channels add` (flags or wizard, one key at a time), enable/disable
// and `channels remove --delete`, each leaving a section our own parser accepts.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { OpenClawConfig } from "openclaw/plugin-sdk/channel-core";
import { moveSingleAccountChannelSectionToDefaultAccount } from "openclaw/plugin-sdk/setup";
import { describe, expect, it } from "vitest";
import { parseChannelConfig } from "../../../src/config/index.js";
import { resolvePluginAccount } from "../../../src/plugin/accounts.js";
import { applySetupInput, applyWizardKey, deleteAccount, setAccountEnabled, SETUP_FIELDS, setupContract, validateSetupInput } from "../../../src/plugin/setup.js";

const KEY = "claw_0123456789abcdef_0123456789abcdef0123456789abcdef";
const cfgOf = (clawtell?: unknown): OpenClawConfig => ({ channels: { telegram: { botToken: "x" }, ...(clawtell === undefined ? {} : { clawtell }) } }) as OpenClawConfig;
const sectionOf = (cfg: OpenClawConfig): Record<string, unknown> | undefined => (cfg.channels as Record<string, Record<string, unknown> | undefined> | undefined)?.["clawtell"];

describe("channels add / remove / enable for clawtell", () => {
  it("writes name, key and server as a valid channels.clawtell, keeping the rest of the config", () => {
    const cfg = applySetupInput(cfgOf(), "default", { name: "Tell/Alice", apiKey: KEY, baseUrl: "http://127.0.0.1:8787/api/" });
    expect(sectionOf(cfg)).toEqual({ name: "alice", apiKey: KEY, baseUrl: "http://127.0.0.1:8787" });
    expect(() => parseChannelConfig(sectionOf(cfg))).not.toThrow();
    expect(resolvePluginAccount(cfg, "default").configured).toBe(true);
    expect((cfg.channels as Record<string, unknown>)["telegram"]).toEqual({ botToken: "x" });
  });

  it("adds a named account under accounts, and the wizard's one-key writes patch instead of replacing", () => {
    let cfg = cfgOf({ name: "alice", apiKey: KEY, routing: { alice: { agent: "main" } } });
    cfg = applySetupInput(cfg, "work", { name: "erin" });
    cfg = applySetupInput(cfg, "work", { apiKey: KEY });
    expect(sectionOf(cfg)).toEqual({ name: "alice", apiKey: KEY, routing: { alice: { agent: "main" } }, accounts: { work: { name: "erin", apiKey: KEY } } });
    expect(resolvePluginAccount(cfg, "work").configured).toBe(true);
  });

  it("keeps the top level as the default account when OpenClaw adds a named one (no promotion into accounts.default)", () => {
    // What `openclaw channels add --account work` does before it writes the new account.
    const cfg = cfgOf({ name: "alice", apiKey: KEY, routing: { alice: { agent: "main" } } });
    const { configPromotion } = setupContract;
    const setupSurface = configPromotion === undefined ? {} : { configPromotion };
    const promoted = moveSingleAccountChannelSectionToDefaultAccount({ cfg, channelKey: "clawtell", setupSurface });
    expect(sectionOf(promoted)).toEqual({ name: "alice", apiKey: KEY, routing: { alice: { agent: "main" } } });
  });

  it("turns an account off and on, and adding it again turns it on", () => {
    const base = cfgOf({ name: "alice", apiKey: KEY, accounts: { work: { name: "erin", apiKey: KEY } } });
    const off = setAccountEnabled(base, "work", false);
    expect(resolvePluginAccount(off, "work").enabled).toBe(false);
    expect(resolvePluginAccount(off, "default").enabled).toBe(true);
    expect(resolvePluginAccount(setAccountEnabled(off, "work", true), "work").enabled).toBe(true);
    expect(resolvePluginAccount(applySetupInput(setAccountEnabled(base, "default", false), "default", { apiKey: KEY }), "default").enabled).toBe(true);
  });

  it("deletes a named account, the default one's identity, and the whole section when nothing is left", () => {
    const base = cfgOf({ name: "alice", apiKey: KEY, baseUrl: "http://x", routing: { alice: { agent: "main" } }, accounts: { work: { name: "erin", apiKey: KEY } } });
    expect(sectionOf(deleteAccount(base, "work"))).toEqual({ name: "alice", apiKey: KEY, baseUrl: "http://x", routing: { alice: { agent: "main" } } });
    expect(sectionOf(deleteAccount(base, "default"))).toEqual({ baseUrl: "http://x", accounts: { work: { name: "erin", apiKey: KEY } } });
    expect(sectionOf(deleteAccount(deleteAccount(base, "work"), "default"))).toBeUndefined();
  });

  it("writes the key the wizard's last question was answered with, and refuses a secret reference or a wrong key, naming the field", () => {
    expect(sectionOf(applyWizardKey(cfgOf({ name: "alice" }), "default", KEY))).toEqual({ name: "alice", apiKey: KEY });
    expect(() => applyWizardKey(cfgOf(), "default", { source: "env", provider: "default", id: "CLAWTELL_API_KEY" })).toThrow(
      expect.objectContaining({ code: "CT_CONFIG_INVALID", field: "channels.clawtell.apiKey", message: expect.stringContaining("enter the key itself") }),
    );
    expect(() => applyWizardKey(cfgOf(), "default", "sk-not-clawtell")).toThrow("ClawTell API key: a ClawTell key starts with claw_");
  });

  it("refuses a bad name, key or server before writing", () => {
    expect(validateSetupInput({ name: "a" })).toBe("--name: tell/a must be at least 2 characters");
    expect(validateSetupInput({ apiKey: "sk-123" })).toBe("--api-key: a ClawTell key starts with claw_");
    expect(validateSetupInput({ baseUrl: "not a url" })).toMatch(/^--base-url: not a url is not a URL/);
    expect(validateSetupInput({ name: "alice", apiKey: KEY, baseUrl: "https://www.clawtell.com" })).toBeNull();
  });

  it("declares the same CLI fields in package.json as the setup contract (OpenClaw reads them without loading the plugin)", () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../../package.json"), "utf8")) as { openclaw: { channel: { setup: { fields: unknown[] } } } };
    expect(pkg.openclaw.channel.setup.fields).toEqual(Object.entries(SETUP_FIELDS).map(([key, field]) => ({ key, ...field })));
    expect(setupContract.metadata.fields.map((f) => f.key)).toEqual(Object.keys(SETUP_FIELDS));
  });
});
