// `gateway.startAccount` end to end inside one process: the real daemon and embedded server, OpenClaw's runtime as a
// hand-made double. A message becomes a 🦞 copy, an agent turn and a reply; the status shows transport and queue.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualClock, createSilentLogger } from "../../../src/infra/index.js";
import { parseMessage } from "../../../src/protocol/index.js";
import { resolvePluginAccount, runAccount, type AccountSnapshot } from "../../../src/plugin/index.js";
import { waitFor } from "../../helpers/http-stub.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";
import { CFG, chatRow, createRuntimeDouble } from "./runtime-double.js";

describe("running one ClawTell account for OpenClaw", () => {
  let server: TestServer;
  let stateDir: string;
  let keys: Record<"alice" | "bob", string>;

  beforeAll(async () => {
    server = await startTestServer();
    stateDir = await mkdtemp(join(tmpdir(), "clawtell-plugin-run-"));
    keys = { alice: (await server.createName("alice", "a@example.com")).apiKey, bob: (await server.createName("bob", "b@example.com")).apiKey };
    await api(server, "PATCH", "/api/names/alice", { key: keys.alice, body: { communication_mode: "anyone" } });
  });
  afterAll(async () => {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("delivers to the agent, copies to the human, replies, publishes its status and stops on abort", async () => {
    const double = createRuntimeDouble();
    double.sessions["main"] = [chatRow("agent:main:main", "telegram", "telegram:4242", 1_000)];
    const statuses: AccountSnapshot[] = [];
    const abort = new AbortController();
    const cfg = { channels: { clawtell: { name: "alice", apiKey: keys.alice, baseUrl: server.url } } };
    const running = runAccount(
      { cfg: CFG, accountId: "default", account: resolvePluginAccount(cfg, "default"), abortSignal: abort.signal, setStatus: (s) => statuses.push(s) },
      {
        runtime: double.runtime,
        listSessionEntries: (agentId) => double.sessions[agentId] ?? [],
        defaultAgentId: () => "main",
        sendBatch: double.sendBatch,
        stateDir,
        logger: createSilentLogger(),
        statusIntervalMs: 20,
      },
    );
    await waitFor(() => statuses.some((s) => s.connected === true), 10_000);

    const sent = await api(server, "POST", "/api/messages/send", { key: keys.bob, body: { to: "alice", body: "hello from bob" } });
    const textOf = (c: (typeof double.chatSends)[number]): string => {
      const first = c.payloads[0];
      return first !== undefined && "text" in first ? first.text : "";
    };
    await waitFor(() => double.chatSends.some((c) => textOf(c).includes("📤")), 10_000);

    expect(double.dispatched.map((d) => d.route.sessionKey)).toEqual(["agent:main:clawtell:default:direct:bob"]);
    const texts = double.chatSends.map(textOf);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain("🦞🦞 ClawTell Delivery 🦞🦞");
    expect(texts[0]).toContain("hello from bob");
    expect(texts[1]).toContain("📤 ClawTell Reply Sent");
    expect(double.chatSends[0]).toMatchObject({ channel: "telegram", to: "4242", accountId: "default" });

    const inbox = await api(server, "GET", "/api/messages/poll?timeout=0", { key: keys.bob });
    const [reply] = (inbox.body["messages"] as unknown[]).map(parseMessage);
    expect(reply).toMatchObject({ from: "tell/alice", body: "FAKE AGENT REPLY", replyToMessageId: sent.body["messageId"] });

    await waitFor(() => statuses.at(-1)?.mode?.includes("queue:0 dead:0") === true, 5_000);
    expect(statuses.at(-1)).toMatchObject({ accountId: "default", name: "tell/alice", running: true, connected: true, configured: true });

    abort.abort();
    await running;
    expect(statuses.at(-1)).toMatchObject({ running: false, connected: false, lifecycle: "stopped" });
  }, 30_000);

  it("refreshes its status on the injected clock, once per interval, and not after the account stops", async () => {
    const double = createRuntimeDouble();
    const clock = createManualClock(Date.now());
    const statuses: AccountSnapshot[] = [];
    const abort = new AbortController();
    const cfg = { channels: { clawtell: { name: "alice", apiKey: keys.alice, baseUrl: server.url } } };
    const running = runAccount(
      { cfg: CFG, accountId: "default", account: resolvePluginAccount(cfg, "default"), abortSignal: abort.signal, setStatus: (s) => statuses.push(s) },
      {
        runtime: double.runtime,
        listSessionEntries: (agentId) => double.sessions[agentId] ?? [],
        defaultAgentId: () => "main",
        sendBatch: double.sendBatch,
        stateDir: join(stateDir, "manual-clock"),
        logger: createSilentLogger(),
        clock,
        // An hour: only the manual clock can bring the next refresh within the test.
        statusIntervalMs: 3_600_000,
      },
    );
    // "starting", then the first refresh once the daemon runs; the refresh loop then waits on the clock.
    await waitFor(() => statuses.length === 2, 10_000);
    for (let turn = 1; turn <= 3; turn++) {
      await clock.advance(3_600_000);
      await waitFor(() => statuses.length === 2 + turn, 5_000);
    }
    expect(statuses.slice(1).every((s) => s.running === true)).toBe(true);

    abort.abort();
    await running;
    expect(statuses).toHaveLength(6);
    expect(statuses.at(-1)).toMatchObject({ running: false, lifecycle: "stopped" });
    await clock.advance(10_000);
    expect(statuses).toHaveLength(6);
  }, 30_000);

  it("refuses to start an account without a key, saying why", async () => {
    const statuses: AccountSnapshot[] = [];
    const account = resolvePluginAccount({ channels: { clawtell: { name: "alice" } } }, "default");
    const double = createRuntimeDouble();
    await expect(
      runAccount(
        { cfg: CFG, accountId: "default", account, abortSignal: new AbortController().signal, setStatus: (s) => statuses.push(s) },
        { runtime: double.runtime, listSessionEntries: () => [], defaultAgentId: () => "main", sendBatch: double.sendBatch, stateDir, logger: createSilentLogger() },
      ),
    ).rejects.toMatchObject({ code: "CT_CONFIG_INVALID" });
    expect(statuses[0]).toMatchObject({ configured: false, running: false });
    expect(statuses[0]?.lastError).toContain("apiKey");
  });
});
