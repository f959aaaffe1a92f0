// Configurations of the official @clawtell/clawtell plugin validate unchanged (test/fixtures/official-plugin-configs):
// with our zod schema, and with the generated JSON Schema OpenClaw checks channels.clawtell against (typebox, as
// OpenClaw does). Then what the forms the official plugin accepted mean here: forwardTo without channel, sseUrl "".
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Compile } from "typebox/schema";
import { describe, expect, it } from "vitest";
import { buildChannelConfigJsonSchema, parseChannelConfig, resolveAccounts, resolveRoute } from "../../../src/config/index.js";

const CORPUS = join(import.meta.dirname, "../../fixtures/official-plugin-configs");
const files = readdirSync(CORPUS).filter((f) => f.endsWith(".json"));
const clawtellOf = (file: string): unknown => (JSON.parse(readFileSync(join(CORPUS, file), "utf8")) as { channels: { clawtell: unknown } }).channels.clawtell;
const { $schema: _dialect, ...jsonSchema } = buildChannelConfigJsonSchema();
const openClawCheck = Compile(jsonSchema);

describe("configurations of the official plugin", () => {
  it("has a corpus to check", () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files)("%s validates unchanged with our schema and with the JSON Schema OpenClaw uses", (file) => {
    const config = clawtellOf(file);
    expect(() => parseChannelConfig(config)).not.toThrow();
    const [valid, errors] = openClawCheck.Errors(config);
    expect(errors).toEqual([]);
    expect(valid).toBe(true);
  });

  it("reads a forwardTo chat id without channel as a Telegram chat, and any channel OpenClaw sends to", () => {
    const [account] = resolveAccounts(parseChannelConfig(clawtellOf("forward-to-forms.json")));
    if (account === undefined) throw new Error("no account");
    expect(account.forwardTo).toEqual({ channel: "telegram", to: "-1001234567890" });
    expect(resolveRoute(account, "alice").forwardTo).toEqual({ channel: "telegram", to: "4242" });
    expect(resolveRoute(account, "ops").forwardTo).toEqual({ channel: "slack", to: "C0123456789", accountId: "default" });
    expect(resolveRoute(account, "phone").forwardTo).toEqual({ channel: "signal", to: "+15551234567" });
    // Without a chat id a forwardTo names no chat (as in the official plugin): the account's forwardTo applies.
    expect(resolveRoute(account, "bot2").forwardTo).toEqual({ channel: "telegram", to: "-1001234567890" });
    expect(resolveRoute(account, "quiet").forwardTo).toEqual({ channel: "telegram", to: "-1001234567890" });
  });

  it("turns streaming off (long polls) for sseUrl \"\", null and false; true keeps the default stream host", () => {
    const resolved = (file: string) => resolveAccounts(parseChannelConfig(clawtellOf(file)))[0];
    for (const off of ["sse-url-empty.json", "sse-url-null.json", "sse-url-false.json"]) {
      expect(resolved(off), off).toMatchObject({ sseUrl: null, transport: "longpoll" });
    }
    expect(resolved("sse-url-true.json")).toMatchObject({ sseUrl: "https://clawtell-sse.fly.dev", transport: "sse" });
    expect(resolved("sse-url-trailing-slash.json")).toMatchObject({ sseUrl: "https://clawtell-sse.fly.dev", transport: "sse" });
    // Self-hosted: `true` means the server's own origin, as an absent sseUrl does.
    const [selfHosted] = resolveAccounts(parseChannelConfig({ name: "a", apiKey: "k", baseUrl: "http://127.0.0.1:8787", sseUrl: true }));
    expect(selfHosted?.sseUrl).toBe("http://127.0.0.1:8787");
  });

  it("still refuses what the official plugin never accepted, naming the path", () => {
    expect(() => parseChannelConfig({ forwardTo: { channel: "telegram", chat: "1" } })).toThrow("channels.clawtell.forwardTo.chat: unknown key");
    expect(() => parseChannelConfig({ forwardTo: { channel: "no spaces", to: "1" } })).toThrow(/channels\.clawtell\.forwardTo\.channel: must be a channel id/);
    expect(() => parseChannelConfig({ sseUrl: "clawtell-sse.fly.dev" })).toThrow(/channels\.clawtell\.sseUrl/);
  });
});
