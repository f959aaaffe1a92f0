// The operator commands of the built `clawtell` bin, beside a running `clawtell server` process: rotate-key (the old
// key refused at once by the running server, also on a keep-alive connection), names, show, set, the lists, audit;
// and rotate-key with two servers on one PostgreSQL database.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { runCli, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { createTestSchema, postgresUnavailable, urlWithSchema } from "../../helpers/storage-backends.js";
import { api } from "../../helpers/test-server.js";

/** One request on the pool's single keep-alive connection. */
async function onConnection(pool: Pool, path: string, key: string): Promise<number> {
  const res = await pool.request({ method: "GET", path, headers: { authorization: `Bearer ${key}` } });
  await res.body.text();
  return res.statusCode;
}

async function admin(args: readonly string[]): Promise<string> {
  const result = await runCli(["admin", ...args]);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe("clawtell admin beside a running server (data folder)", () => {
  let dir: string;
  let server: ServerProcess;
  let alice: CreatedName;
  let helper: CreatedName;
  let bob: CreatedName;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-admin-"));
    server = await startServerProcess(dir);
    alice = JSON.parse(await admin(["create-name", "alice", "--email", "team@example.com", "--data", dir])) as CreatedName;
    helper = JSON.parse(await admin(["create-name", "helper", "--email", "team@example.com", "--data", dir])) as CreatedName;
    bob = JSON.parse(await admin(["create-name", "bob", "--email", "bob@example.com", "--data", dir])) as CreatedName;
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("rotate-key: the running server refuses the old key at once, on the keep-alive connection that used it and on a new one", async () => {
    const pool = new Pool(server.url, { connections: 1, pipelining: 1 });
    try {
      expect(await onConnection(pool, "/api/me", alice.apiKey)).toBe(200);
      expect(await onConnection(pool, "/api/me", alice.apiKey)).toBe(200);
      const rotated = JSON.parse(await admin(["rotate-key", "tell/alice", "--data", dir, "--json"])) as { name: string; apiKey: string };
      expect(rotated.name).toBe("alice");
      expect(await onConnection(pool, "/api/me", alice.apiKey)).toBe(401);
      expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(401);
      expect(await onConnection(pool, "/api/me", rotated.apiKey)).toBe(200);
      expect((await api(server, "GET", "/api/me", { key: helper.apiKey })).status).toBe(200);
      alice = { ...alice, apiKey: rotated.apiKey };
    } finally {
      await pool.close();
    }
    const plain = await admin(["rotate-key", "bob", "--data", dir]);
    expect(plain).toMatch(/^new API key of tell\/bob \(shown once; the old key no longer works\):\nclaw_[a-z0-9]+_\S+\n$/);
    expect((await api(server, "GET", "/api/me", { key: bob.apiKey })).status).toBe(401);
  });

  it("names lists all names, or one account's, or one email's, as a table or JSON", async () => {
    const all = JSON.parse(await admin(["names", "--data", dir, "--json"])) as Array<{ name: string; email: string; accountId: string }>;
    expect(all.map((n) => [n.name, n.email])).toEqual([
      ["alice", "team@example.com"],
      ["bob", "bob@example.com"],
      ["helper", "team@example.com"],
    ]);
    const team = JSON.parse(await admin(["names", "--email", "TEAM@example.com", "--data", dir, "--json"])) as Array<{ name: string }>;
    expect(team.map((n) => n.name)).toEqual(["alice", "helper"]);
    const account = JSON.parse(await admin(["names", "--account", bob.accountId, "--data", dir, "--json"])) as Array<{ name: string }>;
    expect(account.map((n) => n.name)).toEqual(["bob"]);
    const table = (await admin(["names", "--data", dir])).trimEnd().split("\n");
    expect(table[0]).toMatch(/^NAME\s+EMAIL\s+ACCOUNT\s+MODE\s+POLICY\s+CREATED$/);
    expect(table.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["tell/alice", "tell/bob", "tell/helper"]);
  });

  it("set changes the mode and policy the running server applies; block and unblock change the list the API shows", async () => {
    const set = JSON.parse(await admin(["set", "bob", "--mode", "anyone", "--policy", "everyone_except_blocklist", "--data", dir, "--json"])) as Record<string, unknown>;
    expect(set).toMatchObject({ name: "bob", communicationMode: "anyone", deliveryPolicy: "everyone_except_blocklist" });
    expect(await admin(["block", "bob", "tell/alice", "--data", dir])).toBe("tell/alice added to the delivery blocklist of tell/bob\n");
    expect(await admin(["block", "bob", "alice", "--data", dir])).toBe("no change: the delivery blocklist of tell/bob already says so\n");
    // The list as bob's key sees it through the API.
    const blocklist = await api(server, "GET", "/api/delivery/blocklist", { key: (await rotate("bob")).apiKey });
    expect((blocklist.body["blocklist"] as Array<{ name: string }>).map((e) => e.name)).toEqual(["alice"]);
    const shown = JSON.parse(await admin(["show", "bob", "--data", dir, "--json"])) as { lists: Record<string, string[]> };
    expect(shown.lists).toEqual({ autoReplyAllowlist: [], deliveryBlocklist: ["alice"], deliveryAllowlist: [] });
    expect(JSON.parse(await admin(["unblock", "bob", "alice", "--data", dir, "--json"]))).toEqual({ name: "bob", list: "delivery_block", other: "alice", changed: true });
    expect(JSON.parse(await admin(["allow", "bob", "helper", "--data", dir, "--json"]))).toMatchObject({ list: "delivery_allow", changed: true });
    expect(JSON.parse(await admin(["disallow", "bob", "helper", "--data", dir, "--json"]))).toMatchObject({ list: "delivery_allow", changed: true });
    const table = await admin(["show", "bob", "--data", dir]);
    expect(table).toMatch(/^FIELD\s+VALUE\n/);
    expect(table).toMatch(/\ncommunication mode\s+anyone\n/);
    expect(table).toMatch(/\ndelivery blocklist\s+-\n/);
  });

  async function rotate(name: string): Promise<{ apiKey: string }> {
    return JSON.parse(await admin(["rotate-key", name, "--data", dir, "--json"])) as { apiKey: string };
  }

  it("audit lists the security actions newest first, by name and limit, with the actor and the API caller's address", async () => {
    const { apiKey } = await rotate("helper");
    expect((await api(server, "POST", "/api/keys/rotate", { key: apiKey })).status).toBe(200);
    const entries = JSON.parse(await admin(["audit", "--name", "helper", "--data", dir, "--json"])) as Array<Record<string, unknown>>;
    expect(entries.map((e) => [e["action"], e["actor"], e["ip"]])).toEqual([
      ["key.rotated", "helper", "127.0.0.1"],
      ["key.rotated", "admin", null],
      ["name.created", "admin", null],
    ]);
    const latest = JSON.parse(await admin(["audit", "--limit", "1", "--data", dir, "--json"])) as Array<Record<string, unknown>>;
    expect(latest).toMatchObject([{ action: "key.rotated", name: "helper" }]);
    const bobs = JSON.parse(await admin(["audit", "--name", "bob", "--data", dir, "--json"])) as Array<Record<string, unknown>>;
    expect(bobs.map((e) => e["action"])).toContain("settings.changed");
    expect(bobs).toContainEqual(expect.objectContaining({ action: "list.added", actor: "admin", ip: null, detail: "delivery_block alice" }));
    expect(bobs).toContainEqual(expect.objectContaining({ action: "list.removed", actor: "admin", detail: "delivery_block alice" }));
    const table = (await admin(["audit", "--limit", "2", "--data", dir])).trimEnd().split("\n");
    expect(table[0]).toMatch(/^TIME\s+ACTION\s+NAME\s+ACTOR\s+IP\s+DETAIL$/);
    expect(table).toHaveLength(3);
  });

  it("delete-name asks for --yes, then deletes the name with its undelivered messages; its key is refused at once and the name is free again", async () => {
    const carol = JSON.parse(await admin(["create-name", "carol", "--email", "carol@example.com", "--data", dir])) as CreatedName;
    const { apiKey } = await rotate("helper");
    expect((await api(server, "POST", "/api/messages/send", { key: apiKey, body: { to: "carol", body: "never read" } })).status).toBe(200);
    await admin(["allow", "helper", "carol", "--data", dir]);
    const refused = await runCli(["admin", "delete-name", "carol", "--data", dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: yes: deleting "carol" removes its messages and lists for good; add --yes to confirm/);
    expect((await api(server, "GET", "/api/me", { key: carol.apiKey })).status).toBe(200);

    const deleted = JSON.parse(await admin(["delete-name", "tell/carol", "--yes", "--data", dir, "--json"])) as Record<string, unknown>;
    expect(deleted).toMatchObject({ name: "carol", files: 0 });
    expect((await api(server, "GET", "/api/me", { key: carol.apiKey })).status).toBe(401);
    const names = JSON.parse(await admin(["names", "--data", dir, "--json"])) as Array<{ name: string }>;
    expect(names.map((n) => n.name)).not.toContain("carol");
    const helperShown = JSON.parse(await admin(["show", "helper", "--data", dir, "--json"])) as { lists: Record<string, string[]> };
    expect(helperShown.lists["deliveryAllowlist"]).toEqual([]);
    const audit = JSON.parse(await admin(["audit", "--name", "carol", "--limit", "1", "--data", dir, "--json"])) as Array<Record<string, unknown>>;
    expect(audit).toMatchObject([{ action: "name.deleted", actor: "admin" }]);

    const recreated = JSON.parse(await admin(["create-name", "carol", "--email", "new@example.com", "--data", dir])) as CreatedName;
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: recreated.apiKey });
    expect(polled.status).toBe(200);
    expect(polled.body["messages"]).toEqual([]);
  });

  it.each([
    [["rotate-key", "nobody"], /^error: CT_NOT_FOUND: name: no name "nobody" on this server/],
    [["rotate-key", "a"], /^error: name: "a" must be at least 2 characters/],
    [["set", "bob", "--mode", "sometimes"], /^error: mode: "sometimes" is not one of allowlist_only, anyone, manual_only/],
    [["set", "bob", "--policy", "nobody"], /^error: policy: "nobody" is not one of everyone, everyone_except_blocklist, allowlist_only/],
    [["set", "bob"], /^error: mode: give --mode and\/or --policy/],
    [["block", "bob", "Bad_Name"], /^error: other: "Bad_Name" may contain only/],
    [["audit", "--limit", "many"], /^error: limit: "many" is not a whole number/],
    [["audit", "--limit", "0"], /^error: limit: "0" must be a whole number from 1 to 10000/],
    [["names", "--account", "x", "--email", "y@example.com"], /^error: account: give --account or --email, not both/],
  ])("admin %j fails with exit 2 and names the bad field", async (args, message) => {
    const result = await runCli(["admin", ...args, "--data", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`admin on postgres: skipping: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)("clawtell admin rotate-key with two servers on one database", () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let unusedDataDir: string;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    schema = await createTestSchema();
    unusedDataDir = await mkdtemp(join(tmpdir(), "clawtell-unused-"));
    const database = urlWithSchema(schema.schema);
    servers.push(...(await Promise.all([0, 1].map(() => startServerProcess(unusedDataDir, ["--database", database])))));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await schema?.drop();
    await rm(unusedDataDir, { recursive: true, force: true });
  });

  it("a key rotated through one server is refused at once by it and, once the change is announced, by the other; the admin command's rotation by both", async () => {
    const database = urlWithSchema(schema.schema);
    const [one, two] = servers as [ServerProcess, ServerProcess];
    const alice = JSON.parse(await admin(["create-name", "alice", "--email", "a@example.com", "--database", database])) as CreatedName;
    const pools = [new Pool(one.url, { connections: 1 }), new Pool(two.url, { connections: 1 })] as const;
    try {
      for (const pool of pools) expect(await onConnection(pool, "/api/me", alice.apiKey)).toBe(200);
      const rotated = await api(one, "POST", "/api/keys/rotate", { key: alice.apiKey });
      expect(rotated.status).toBe(200);
      const second = String(rotated.body["apiKey"]);
      // The process that rotated refuses the old key from its next request on; the other once the database's
      // notification of the change reaches it (milliseconds; see docs/server-api.md, Keys).
      expect(await onConnection(pools[0], "/api/me", alice.apiKey)).toBe(401);
      await expect.poll(() => onConnection(pools[1], "/api/me", alice.apiKey)).toBe(401);
      for (const pool of pools) expect(await onConnection(pool, "/api/me", second)).toBe(200);

      const third = (JSON.parse(await admin(["rotate-key", "alice", "--database", database, "--json"])) as { apiKey: string }).apiKey;
      for (const pool of pools) await expect.poll(() => onConnection(pool, "/api/me", second)).toBe(401);
      for (const pool of pools) expect(await onConnection(pool, "/api/me", third)).toBe(200);
      const audit = JSON.parse(await admin(["audit", "--name", "alice", "--database", database, "--json"])) as Array<Record<string, unknown>>;
      expect(audit.map((e) => [e["action"], e["actor"]])).toEqual([
        ["key.rotated", "admin"],
        ["key.rotated", "alice"],
        ["name.created", "admin"],
      ]);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });
});
