// `openclaw clawtell allow | block | unblock | lists | mode` run as OpenClaw runs it (our program on the words after
// `clawtell`) against the real server, with OpenClaw's config: names of several accounts, each with its own key.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../../../src/infra/index.js";
import { clientFor } from "../../../src/operator/index.js";
import { runOperatorCli } from "../../../src/plugin/cli/operator-program.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("openclaw clawtell lists and modes", () => {
  let server: TestServer;
  let stateDir: string;
  let cfg: unknown;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer();
    stateDir = await mkdtemp(join(tmpdir(), "clawtell-operator-policy-"));
    for (const [name, email] of [["alice", "owner@example.com"], ["work", "work@example.com"], ["bob", "bob@example.com"]] as const) {
      keys[name] = (await server.createName(name, email)).apiKey;
    }
    cfg = { channels: { clawtell: { baseUrl: server.url, name: "alice", apiKey: keys["alice"], accounts: { office: { name: "work", apiKey: keys["work"] } } } } };
  });
  afterAll(async () => {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
    const code = await runOperatorCli(argv, { io, cfg, stateDir, clientFor, agentIds: () => ["main"], timeoutMs: 5000 });
    return { code, out: out.join("\n"), err: err.join("\n") };
  }
  const autoReplyAllowlist = async (name: string) => (await api(server, "GET", "/api/allowlist", { key: keys[name] ?? "" })).body["allowlist"];

  it("allows a sender for a name of another account, with that account's key", async () => {
    const { code, out, err } = await run("allow", "tell/work", "tell/bob");
    expect(code, err).toBe(0);
    expect(out).toContain("✓ tell/bob may message tell/work and get automatic replies");
    expect(await autoReplyAllowlist("work")).toMatchObject([{ allowed_name: "bob" }]);
    expect(await autoReplyAllowlist("alice")).toEqual([]);
  });

  it("says how to use the allowlist when the mode answers nobody", async () => {
    expect((await run("mode", "alice", "manual_only")).code).toBe(0);
    const { out } = await run("allow", "alice", "bob");
    expect(out).toContain("auto-reply mode is manual_only");
    expect(out).toContain("openclaw clawtell mode alice allowlist_only");
    const mode = await run("mode", "alice", "allowlist_only");
    expect(mode.out).toBe("✓ tell/alice's auto-reply mode is allowlist_only: the agent answers on its own only senders on the auto-reply allowlist.");
  });

  it("lists every name of every account, or those of --account", async () => {
    const all = await run("lists");
    expect(all.code, all.err).toBe(0);
    expect(all.out).toContain("tell/alice (account default)");
    expect(all.out).toContain("tell/work (account office)");
    const office = JSON.parse((await run("lists", "--account", "office", "--json")).out) as Array<Record<string, unknown>>;
    expect(office.map((l) => l["name"])).toEqual(["work"]);
  });

  it("blocks and unblocks", async () => {
    expect((await run("block", "work", "bob")).code).toBe(0);
    expect((await api(server, "POST", "/api/messages/send", { key: keys["bob"] ?? "", body: { to: "work", body: "hi" } })).status).toBe(403);
    expect((await run("unblock", "work", "bob")).code).toBe(0);
    expect((await api(server, "POST", "/api/messages/send", { key: keys["bob"] ?? "", body: { to: "work", body: "hi" } })).status).toBe(200);
  });

  it("lists the commands in its help", async () => {
    const { out } = await run("--help");
    for (const command of ["allow [options] <name> <sender>", "disallow [options] <name> <sender>", "block [options] <name> <sender>", "unblock [options] <name> <sender>", "lists [options] [name]", "mode [options] <name> <mode>", "delivery-policy [options] <name> <policy>"]) {
      expect(out).toContain(command);
    }
  });
});
