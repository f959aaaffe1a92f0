// `clawtell allow | disallow | block | unblock | lists | mode | delivery-policy` from the built bin against the real
// server: a fresh name (allowlist_only, empty lists) gets its first sender allowed, a blocked sender is refused by the
// server, and every name is managed with its own key.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli-process.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("clawtell lists and modes", () => {
  let server: TestServer;
  let dir: string;
  let configPath: string;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "clawtell-policy-cli-"));
    for (const [name, email] of [["bob", "owner@example.com"], ["carol", "owner@example.com"], ["dave", "owner@example.com"], ["alice", "alice@example.com"], ["eve", "eve@example.com"]] as const) {
      keys[name] = (await server.createName(name, email)).apiKey;
    }
    configPath = join(dir, "openclaw.json");
    // carol has a key of her own; dave is routed without one (the account key is bob's).
    await writeFile(
      configPath,
      JSON.stringify({
        channels: {
          clawtell: {
            name: "bob",
            apiKey: keys["bob"],
            baseUrl: server.url,
            routing: { bob: { webhook: { url: "http://127.0.0.1:9/hook" } }, carol: { webhook: { url: "http://127.0.0.1:9/hook" }, apiKey: keys["carol"] }, dave: { webhook: { url: "http://127.0.0.1:9/hook" } } },
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, "--config", configPath]);
  const send = async (from: string, to: string, body: string) => {
    const res = await api(server, "POST", "/api/messages/send", { key: keys[from] ?? "", body: { to, body } });
    return res.status;
  };
  const lastEligibility = async (to: string): Promise<unknown> => {
    const res = await api(server, "GET", "/api/messages/poll?timeout=0", { key: keys[to] ?? "" });
    const messages = res.body["messages"] as Array<Record<string, unknown>>;
    await api(server, "POST", "/api/messages/ack", { key: keys[to] ?? "", body: { messageIds: messages.map((m) => m["id"]) } });
    return messages.at(-1)?.["autoReplyEligible"];
  };

  it("allow puts the sender on the auto-reply and delivery allowlists, so the next message may be answered", async () => {
    expect(await send("alice", "bob", "before")).toBe(200);
    expect(await lastEligibility("bob")).toBe(false);

    const allowed = await cli("allow", "bob", "tell/Alice");
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain("✓ tell/alice may message tell/bob and get automatic replies");
    expect(await send("alice", "bob", "after")).toBe(200);
    expect(await lastEligibility("bob")).toBe(true);

    const lists = await cli("lists", "bob", "--json");
    expect(lists.code, lists.stderr).toBe(0);
    expect(JSON.parse(lists.stdout)).toEqual([
      {
        name: "bob",
        accountId: "default",
        communicationMode: "allowlist_only",
        deliveryPolicy: "everyone",
        autoReplyAllowlist: ["alice"],
        deliveryAllowlist: ["alice"],
        deliveryBlocklist: [],
      },
    ]);
  });

  it("block makes the server refuse the sender (narrowing `everyone` so the blocklist applies); unblock lets it send again", async () => {
    expect(await send("eve", "bob", "hi")).toBe(200);
    const blocked = await cli("block", "bob", "eve");
    expect(blocked.code, blocked.stderr).toBe(0);
    expect(blocked.stdout).toContain("delivery policy changed from everyone to everyone_except_blocklist");
    expect(await send("eve", "bob", "still there?")).toBe(403);
    // alice is not affected.
    expect(await send("alice", "bob", "hello")).toBe(200);

    const unblocked = await cli("unblock", "bob", "tell/eve");
    expect(unblocked.code, unblocked.stderr).toBe(0);
    expect(unblocked.stdout).toContain("✓ tell/eve is off tell/bob's blocklist");
    expect(await send("eve", "bob", "back")).toBe(200);
    await lastEligibility("bob");
  });

  it("block takes the sender off the allowlists, and disallow undoes allow", async () => {
    await cli("allow", "bob", "eve");
    await cli("block", "bob", "eve");
    const afterBlock = JSON.parse((await cli("lists", "bob", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(afterBlock[0]).toMatchObject({ autoReplyAllowlist: ["alice"], deliveryAllowlist: ["alice"], deliveryBlocklist: ["eve"] });
    await cli("unblock", "bob", "eve");

    const disallowed = await cli("disallow", "bob", "alice");
    expect(disallowed.code, disallowed.stderr).toBe(0);
    const afterDisallow = JSON.parse((await cli("lists", "bob", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(afterDisallow[0]).toMatchObject({ autoReplyAllowlist: [], deliveryAllowlist: [], deliveryBlocklist: [] });
  });

  it("mode sets the auto-reply mode; anyone makes every sender eligible", async () => {
    const set = await cli("mode", "carol", "anyone");
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe("✓ tell/carol's auto-reply mode is anyone: the agent answers every sender on its own.\n");
    expect(await send("eve", "carol", "hi carol")).toBe(200);
    expect(await lastEligibility("carol")).toBe(true);

    const bad = await cli("mode", "carol", "everybody");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'everybody' is invalid for argument 'mode'\. Allowed choices are allowlist_only, anyone, manual_only/);
  });

  it("delivery-policy allowlist_only refuses everyone not on the delivery allowlist", async () => {
    const set = await cli("delivery-policy", "carol", "allowlist_only");
    expect(set.code, set.stderr).toBe(0);
    expect(await send("eve", "carol", "let me in")).toBe(403);
    await cli("allow", "carol", "eve");
    expect(await send("eve", "carol", "let me in")).toBe(200);
  });

  it("manages each name with its own key, and refuses a name whose only key is another name's", async () => {
    await cli("allow", "carol", "alice");
    const bobs = JSON.parse((await cli("lists", "bob", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(bobs[0]?.["autoReplyAllowlist"]).not.toContain("alice");

    const dave = await cli("allow", "dave", "alice");
    expect(dave.code).toBe(2);
    expect(dave.stderr).toContain("tell/dave has no key of its own in the config");
    expect(dave.stderr).toContain("channels.clawtell.routing.dave.apiKey");

    const unknown = await cli("allow", "zed", "alice");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("tell/zed is not a configured name");
  });

  it("lists every configured name, saying which cannot be read", async () => {
    const all = await cli("lists");
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain("tell/bob (account default)");
    expect(all.stdout).toMatch(/tell\/carol \(account default\)\n {2}auto-reply mode: {6}anyone/);
    expect(all.stdout).toContain("tell/dave: tell/dave has no key of its own");
  });
});
