// `openclaw clawtell …` run as OpenClaw runs it (our program on the words after `clawtell`), against the real server
// and real queue files: routes without secrets, status, doctor's findings, dead letters retried with and without a
// running account, and send with the configured key.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseChannelConfig, resolveAccounts } from "../../../src/config/index.js";
import { openQueueStore, queueFileOf, startAccountDaemon, type AccountDaemonHandle } from "../../../src/daemon/index.js";
import { ClawTellError, createSilentLogger, type Io } from "../../../src/infra/index.js";
import { clientFor, createOperatorDesk } from "../../../src/operator/index.js";
import { runOperatorCli } from "../../../src/plugin/cli/operator-program.js";
import type { OperatorContext } from "../../../src/plugin/cli/context.js";
import { makeNewJob, TEST_POLICY } from "../../helpers/jobs.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const logger = createSilentLogger();

describe("openclaw clawtell", () => {
  let server: TestServer;
  let stateDir: string;
  const keys: Record<string, string> = {};
  let daemon: AccountDaemonHandle | undefined;
  let stopServing: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    server = await startTestServer();
    stateDir = await mkdtemp(join(tmpdir(), "clawtell-operator-"));
    for (const [name, email] of [["alice", "owner@example.com"], ["carol", "owner@example.com"], ["bob", "bob@example.com"]] as const) {
      keys[name] = (await server.createName(name, email)).apiKey;
    }
  });
  afterEach(async () => {
    await stopServing?.();
    await daemon?.stop();
    daemon = undefined;
    stopServing = undefined;
  });
  afterAll(async () => {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const cfgWith = (clawtell: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ channels: { clawtell: { baseUrl: server.url, ...clawtell } }, ...rest });
  const good = () => cfgWith({ name: "alice", apiKey: keys["alice"], routing: { alice: { agent: "main" }, carol: { agent: "main", apiKey: keys["carol"] } } });

  async function run(cfg: unknown, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    return runWith(["main", "helper"], cfg, ...argv);
  }
  async function runWith(agents: readonly string[], cfg: unknown, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
    const ctx: OperatorContext = { io, cfg, stateDir, clientFor, agentIds: () => agents, timeoutMs: 2000 };
    const code = await runOperatorCli(argv, ctx);
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  /** A queue file for the default account with one pending message and one dead letter. */
  async function seedQueue(): Promise<void> {
    const store = await openQueueStore({ path: queueFileOf(stateDir, "default"), policy: TEST_POLICY, logger });
    await store.enqueueMany([makeNewJob("pending-1", { recipient: "alice", routeKey: "alice" }), makeNewJob("dead-1", { recipient: "alice", routeKey: "alice" })]);
    store.claimDue(2, 60_000);
    await store.fail("dead-1", { code: "CT_SINK_FAILED", message: "agent refused" }, false);
    await store.fail("pending-1", { code: "CT_SINK_FAILED", message: "busy" }, true);
    await store.close();
  }

  it("lists the routes with masked keys, never the secrets", async () => {
    const { code, out } = await run(good(), "routes");
    expect(code).toBe(0);
    expect(out).toMatch(/default\s+tell\/alice\s+agent main\s+yes\s+account key claw_\w+…/);
    expect(out).toMatch(/default\s+tell\/carol\s+agent main\s+yes\s+own key claw_\w+…/);
    for (const key of Object.values(keys)) expect(out).not.toContain(key);
  });

  it("shows each account's server, queue and dead letters in status", async () => {
    await seedQueue();
    const { code, out } = await run(good(), "status", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([
      { accountId: "default", name: "alice", baseUrl: server.url, enabled: true, queued: 1, deadLetters: 1, server: { ok: true, name: "alice" } },
    ]);
    const text = await run(good(), "status");
    expect(text.out).toMatch(/default\s+tell\/alice\s+enabled\s+not running\s+1\s+1\s+ok/);
  });

  it("retries dead letters on the file when no gateway runs, and through the running account when one does", async () => {
    await rm(queueFileOf(stateDir, "default"), { force: true });
    await rm(`${queueFileOf(stateDir, "default")}.journal`, { force: true });
    await seedQueue();
    expect((await run(good(), "dead-letters", "ls")).out).toMatch(/dead-1\s+default\s+tell\/alice\s+tell\/alice\s+dead\s+1/);
    expect((await run(good(), "dead-letters", "retry", "--all")).out).toBe("1 dead letter queued again (delivered when the gateway runs)");
    expect((await run(good(), "queue", "ls")).out).toMatch(/dead-1\s+default\s+tell\/alice\s+tell\/alice\s+queued\s+0/);
    expect((await run(good(), "dead-letters", "retry")).code).toBe(2);

    // A running account holds the file: the request goes to it.
    const [account] = resolveAccounts(parseChannelConfig({ name: "alice", apiKey: keys["alice"], baseUrl: server.url, transport: "longpoll" }));
    if (account === undefined) throw new Error("no account");
    const refused = { deliver: async () => Promise.reject(new ClawTellError("CT_ROUTE_UNKNOWN", "agent refused", { retryable: false })) };
    daemon = await startAccountDaemon({ account, sinks: { agent: refused }, stateDir, logger });
    stopServing = await createOperatorDesk(logger).register(stateDir, "default", daemon);
    // From another sender, so it does not wait behind the earlier messages of tell/alice.
    const fromZoe = makeNewJob("dead-2", { recipient: "alice", routeKey: "alice" });
    await daemon.queue.enqueueMany([{ ...fromZoe, message: { ...fromZoe.message, from: "tell/zoe" } }]);
    daemon.update(account);
    for (let i = 0; i < 100 && daemon.queue.deadLetters().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(daemon.queue.deadLetters().map((j) => j.id)).toContain("dead-2");
    const purged = await run(good(), "dead-letters", "purge", "dead-2");
    expect(purged.out, purged.err).toBe("1 dead letter purged");
    expect(daemon.queue.get("dead-2")).toBeUndefined();
  });

  it("shows how a running account is connected, as the account itself answers, and only for the accounts it runs", async () => {
    const [account] = resolveAccounts(parseChannelConfig({ name: "alice", apiKey: keys["alice"], baseUrl: server.url, transport: "sse" }));
    if (account === undefined) throw new Error("no account");
    daemon = await startAccountDaemon({ account, sinks: { agent: { deliver: async () => undefined } }, stateDir, logger });
    stopServing = await createOperatorDesk(logger).register(stateDir, "default", daemon);
    for (let i = 0; i < 200 && !daemon.status().receiver.connected; i++) await new Promise((r) => setTimeout(r, 20));
    // A second account in the same folder that this process does not run.
    const twoAccounts = cfgWith({ name: "alice", apiKey: keys["alice"], accounts: { other: { name: "carol", apiKey: keys["carol"] } } });

    const { code, out } = await run(twoAccounts, "status", "--json");
    expect(code).toBe(0);
    const [running, other] = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(running).toMatchObject({ accountId: "default", runningPid: process.pid, transport: "sse", connected: true, deadLetters: daemon.status().deadLetters });
    expect(other).toMatchObject({ accountId: "other", name: "carol", server: { ok: true, name: "carol" } });
    expect(other).not.toHaveProperty("runningPid");
    expect(other).not.toHaveProperty("transport");

    const table = await run(twoAccounts, "status");
    expect(table.out).toMatch(new RegExp(`default\\s+tell/alice\\s+enabled\\s+pid ${process.pid}, sse connected\\s+`));
    expect(table.out).toMatch(/other\s+tell\/carol\s+enabled\s+not running\s+0\s+0\s+ok/);
  });

  // One desk per process: `oneProcess` runs both accounts in one; otherwise each account has its own process (desk).
  for (const oneProcess of [true, false]) {
    it(`serves two accounts that share a state folder ${oneProcess ? "in one process" : "from two processes"}: each request reaches its own account, until it stops`, async () => {
      const shared = join(stateDir, oneProcess ? "shared" : "shared-by-two");
      const cfg = cfgWith({ name: "alice", apiKey: keys["alice"], stateDir: shared, accounts: { other: { name: "carol", apiKey: keys["carol"], stateDir: shared } } });
      const accounts = resolveAccounts(parseChannelConfig((cfg.channels as { clawtell: Record<string, unknown> }).clawtell));
      const refused = { deliver: async () => Promise.reject(new ClawTellError("CT_ROUTE_UNKNOWN", "agent refused", { retryable: false })) };
      const sharedDesk = createOperatorDesk(logger);
      const running: Array<{ handle: AccountDaemonHandle; unregister: () => Promise<void> }> = [];
      const stopped = new Set<AccountDaemonHandle>();
      const stop = async (r: (typeof running)[number] | undefined): Promise<void> => {
        if (r === undefined || stopped.has(r.handle)) return;
        stopped.add(r.handle);
        await r.unregister();
        await r.handle.stop();
      };
      try {
        for (const account of accounts) {
          const desk = oneProcess ? sharedDesk : createOperatorDesk(logger);
          const handle = await startAccountDaemon({ account, sinks: { agent: refused }, stateDir: shared, logger });
          running.push({ handle, unregister: await desk.register(shared, account.accountId, handle) });
          const job = makeNewJob(`dead-${account.accountId}`, { accountId: account.accountId, recipient: account.name, routeKey: account.name });
          await handle.queue.enqueueMany([{ ...job, message: { ...job.message, from: "tell/zoe" } }]);
          handle.update(account);
        }
        for (let i = 0; i < 200 && running.some((r) => r.handle.queue.deadLetters().length === 0); i++) await new Promise((r) => setTimeout(r, 20));

        const both = JSON.parse((await run(cfg, "status", "--json")).out) as Array<Record<string, unknown>>;
        expect(both.map((a) => [a["accountId"], a["runningPid"], a["deadLetters"]])).toEqual([
          ["default", process.pid, 1],
          ["other", process.pid, 1],
        ]);
        // The purge names carol's letter; alice's stays.
        expect((await run(cfg, "dead-letters", "purge", "dead-other")).out).toBe("1 dead letter purged");
        expect(running.map((r) => r.handle.queue.deadLetters().map((j) => j.id))).toEqual([["dead-default"], []]);

        // alice's account stops; carol's is still served from the folder.
        await stop(running[0]);
        const one = JSON.parse((await run(cfg, "status", "--json")).out) as Array<Record<string, unknown>>;
        expect(one.map((a) => [a["accountId"], a["runningPid"], a["deadLetters"]])).toEqual([
          ["default", undefined, 1],
          ["other", process.pid, 0],
        ]);
        // Its letter is changed in the file now, while carol's account keeps running beside it.
        expect((await run(cfg, "dead-letters", "retry", "dead-default")).out).toContain("1 dead letter queued again");
        await stop(running[1]);
        const none = JSON.parse((await run(cfg, "status", "--json")).out) as Array<Record<string, unknown>>;
        expect(none.map((a) => a["runningPid"])).toEqual([undefined, undefined]);
      } finally {
        for (const r of running) await stop(r);
      }
    });
  }

  it("doctor finds foreign keys, names not on the account, unknown agents and a hidden tool — and passes once fixed", async () => {
    const broken = cfgWith(
      { name: "alice", apiKey: keys["alice"], routing: { carol: { agent: "ghost", apiKey: keys["bob"] }, zed: { agent: "main" } } },
      { tools: { profile: "messaging" } },
    );
    const { code, out } = await run(broken, "doctor");
    expect(code).toBe(1);
    expect(out).toContain(`✓ channels.clawtell.apiKey: ${server.url} answers as tell/alice`);
    expect(out).toContain('✗ channels.clawtell.routing.carol.agent: no agent "ghost" in OpenClaw (agents: main, helper)');
    expect(out).toContain("✗ channels.clawtell.routing.carol.apiKey: the key belongs to another account (tell/bob)");
    expect(out).toContain("✗ channels.clawtell.routing.zed: tell/zed is not a name of this account (it has tell/alice, tell/carol)");
    expect(out).toContain(
      '✗ tools.alsoAllow: clawtell_send and clawtell_lists are hidden from agent main: tools.profile "messaging" leaves plugin tools out and tools.alsoAllow does not list it\n' +
        '    → add "clawtell_send" and "clawtell_lists" to tools.alsoAllow (clawtell or group:plugins also work)',
    );
    expect(out).toMatch(/4 problems found$/);

    // Granting only clawtell_send leaves the lists tool out ("show clawtell lists" in chat would fail).
    const half = await run({ ...good(), tools: { profile: "messaging", alsoAllow: ["clawtell_send"] } }, "doctor");
    expect(half.out).toContain('✗ tools.alsoAllow: clawtell_lists is hidden from agent main: tools.profile "messaging" leaves plugin tools out and tools.alsoAllow does not list it\n    → add "clawtell_lists" to tools.alsoAllow');
    expect(half.out).toMatch(/1 problem found$/);

    const fixed = await run({ ...good(), tools: { profile: "messaging", alsoAllow: ["clawtell_send", "clawtell_lists"] } }, "doctor");
    expect(fixed.out).toMatch(/no problems found$/);
    expect(fixed.out).toContain("✓ tools: clawtell_lists is offered to the routed agent (main)");
    // The rule the tool factory applies: not OpenClaw's owner bit, only whether a ClawTell message started the turn.
    expect(fixed.out).toContain("✓ tools: clawtell_send is offered to the routed agent (main) in every turn except one a ClawTell message starts (the human on any chat, owner or admitted by allowFrom, cron, the CLI)");
    expect(fixed.code).toBe(0);
  });

  it("doctor follows messages to the default agent and judges each routed agent's own tool policy", async () => {
    // No route for tell/alice: her messages go to "main", which this OpenClaw does not have.
    const noMain = cfgWith({ name: "alice", apiKey: keys["alice"], routing: { carol: { agent: "helper", apiKey: keys["carol"] } } });
    const missing = await runWith(["helper"], noMain, "doctor");
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('✗ channels.clawtell.routing: tell/alice has no route, so its messages go to agent "main", which OpenClaw does not have (agents: helper)');

    // The helper agent has its own limited profile; the global alsoAllow does not reach it (its own list would replace it).
    const perAgent = {
      ...cfgWith({ name: "alice", apiKey: keys["alice"], routing: { alice: { agent: "main" }, carol: { agent: "helper", apiKey: keys["carol"] } } }),
      tools: { profile: "messaging", alsoAllow: ["clawtell_*"] },
      agents: { entries: { main: {}, helper: { tools: { profile: "coding", alsoAllow: ["web_search"] } } } },
    };
    const hidden = await run(perAgent, "doctor");
    expect(hidden.code).toBe(1);
    expect(hidden.out).toContain(
      '✗ agents.entries.helper.tools.alsoAllow: clawtell_send and clawtell_lists are hidden from agent helper: agents.entries.helper.tools.profile "coding" leaves plugin tools out and agents.entries.helper.tools.alsoAllow does not list it',
    );
    expect(hidden.out).not.toContain("hidden from agent main");
    expect(hidden.out).toMatch(/1 problem found$/);
  });

  it("doctor says when the server does not answer or refuses the key", async () => {
    const closed = await startTestServer();
    const url = closed.url;
    await closed.close();
    const unreachable = await run(cfgWith({ name: "alice", apiKey: keys["alice"], baseUrl: url }), "doctor");
    expect(unreachable.code).toBe(1);
    expect(unreachable.out).toContain(`✗ channels.clawtell.baseUrl: ${url} does not answer`);
    const refused = await run(cfgWith({ name: "alice", apiKey: "claw_nope_0000000000000000" }), "doctor");
    expect(refused.out).toMatch(/✗ channels.clawtell.apiKey: the server refused the key/);
  });

  it("sends as a configured name with its own key", async () => {
    const sent = await run(good(), "send", "--from", "carol", "--to", "tell/bob", "--body", "hello from carol");
    expect(sent.code, sent.err).toBe(0);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: keys["bob"] ?? "" });
    expect((polled.body["messages"] as Array<Record<string, unknown>>).map((m) => [m["from"], m["body"]])).toEqual([["tell/carol", "hello from carol"]]);
    const bad = await run(good(), "send", "--to", "tell/bob");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--body/);
  });

  it("sends files of the working folder with --attach and refuses one outside it", async () => {
    const cwd = join(stateDir, "work");
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, "photo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const out: string[] = [];
    const err: string[] = [];
    const ctx: OperatorContext = { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, cfg: good(), stateDir, clientFor, agentIds: () => ["main"], cwd };
    expect(await runOperatorCli(["send", "--to", "bob", "--body", "a photo", "--attach", "photo.png"], ctx), err.join("\n")).toBe(0);
    expect(out.join("\n")).toBe("✓ Sent to tell/bob with photo.png");
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: keys["bob"] ?? "" });
    const [message] = polled.body["messages"] as Array<Record<string, unknown>>;
    expect(message?.["attachments"]).toEqual([expect.objectContaining({ filename: "photo.png", mime_type: "image/png" })]);
    await api(server, "POST", "/api/messages/ack", { key: keys["bob"] ?? "", body: { messageIds: [message?.["id"]] } });

    await writeFile(join(stateDir, "outside.txt"), "not for sending");
    expect(await runOperatorCli(["send", "--to", "bob", "--body", "x", "--attach", "../outside.txt"], ctx)).toBe(2);
    expect(err.join("\n")).toContain("attachments: ../outside.txt is outside the workspace");
  });
});
