// A route to an agent OpenClaw does not have, in a real OpenClaw gateway (plugin installed from `npm pack`, embedded
// ClawTell server, fake model, fake Telegram with the human's DM allowlisted): `openclaw clawtell routes | status |
// doctor` show and flag it; a message to that name is retried (fast queue settings), dead-lettered without any agent
// turn, and alerted in the human's Telegram chat (found from the human's own DM with the default agent, no forwardTo);
// once the route is fixed, `openclaw clawtell dead-letters retry --all` delivers it: the agent turn runs and the reply
// reaches the sender. One gateway for the whole file; the fix reaches the running account by config reload.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_MODEL_ID, echoScript, startFakeOpenAi, type FakeOpenAi } from "../helpers/fake-openai.js";
import { api, startTestServer, type TestServer } from "../helpers/test-server.js";
import { startFakeTelegramBot, type FakeTelegramBot } from "./fake-telegram-bot.js";
import { createOpenClawHarness, freePort, packPlugin, type Gateway, type OpenClawHarness, type RunResult } from "./harness.js";

const BOT_TOKEN = "123456:FAKE-TOKEN";
const HUMAN_CHAT = 4242;
const MAX_ATTEMPTS = 3;
const BODY = "are you there, alice?";

async function waitUntil<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface StatusRow {
  accountId: string;
  name?: string;
  runningPid?: number;
  transport?: string;
  connected?: boolean;
  queued: number;
  deadLetters: number;
  server: { ok: boolean; name?: string };
}

describe("a dead letter in a real OpenClaw gateway, found and delivered with `openclaw clawtell`", () => {
  let server: TestServer;
  let llm: FakeOpenAi;
  let telegram: FakeTelegramBot;
  let harness: OpenClawHarness;
  let gateway: Gateway;
  let alice: { apiKey: string };
  let bob: { apiKey: string };
  let deadId = "";

  /** `channels.clawtell` with tell/alice routed to `agent`; retries fast so the test does not wait minutes. */
  const clawtellSection = (agent: string) => ({
    name: "alice",
    apiKey: alice.apiKey,
    baseUrl: server.url,
    queue: { maxAttempts: MAX_ATTEMPTS, backoffBaseMs: 200, backoffCapMs: 400 },
    routing: { alice: { agent, forward: true } },
  });
  const writeClawtell = async (agent: string): Promise<void> => {
    const config = await harness.readConfig();
    await harness.writeConfig({ ...config, channels: { ...(config["channels"] as Record<string, unknown>), clawtell: clawtellSection(agent) } });
  };
  const clawtell = (...args: string[]): Promise<RunResult> => harness.openclaw(["clawtell", ...args], { timeoutMs: 90_000 });
  const status = async (): Promise<StatusRow> => {
    const result = await clawtell("status", "--json");
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as StatusRow[];
    expect(rows).toHaveLength(1);
    return rows[0] as StatusRow;
  };
  const accountStarts = (): number => (gateway.output().match(/\[clawtell\][^\n]*account running/g) ?? []).length;

  beforeAll(async () => {
    [server, llm, telegram, harness] = await Promise.all([startTestServer(), startFakeOpenAi(echoScript), startFakeTelegramBot(BOT_TOKEN), createOpenClawHarness()]);
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    // alice's agent may answer anyone (new names answer only with their human's approval).
    await api(server, "PATCH", "/api/names/alice", { key: alice.apiKey, body: { communication_mode: "anyone" } });
    const tarball = await packPlugin(join(harness.scratch, "pack"));
    await harness.writeConfig({
      gateway: { mode: "local", bind: "loopback", port: await freePort(), auth: { mode: "token", token: "e2e-token" } },
      // No agent roster: OpenClaw has the one default agent, `main`.
      agents: { defaults: { model: { primary: `fake/${FAKE_MODEL_ID}` } } },
      plugins: { allow: ["clawtell", "telegram"] },
      models: {
        mode: "merge",
        providers: {
          fake: {
            baseUrl: llm.baseUrl,
            apiKey: "sk-local",
            api: "openai-completions",
            models: [{ id: FAKE_MODEL_ID, name: "Fake", reasoning: false, input: ["text"], contextWindow: 128000, maxTokens: 4096 }],
          },
        },
      },
      channels: { telegram: { enabled: true, botToken: BOT_TOKEN, apiRoot: telegram.apiRoot, dmPolicy: "allowlist", allowFrom: [String(HUMAN_CHAT)] } },
    });
    const installed = await harness.installPlugin(tarball);
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    // `channels.clawtell` is accepted only once the installed manifest declares it. The route's agent is a typo.
    await writeClawtell("ghost");
    gateway = await harness.startGateway();
    await gateway.waitForOutput(/\[clawtell\][^\n]*account running/, 90_000);
  }, 600_000);

  afterAll(async () => {
    await harness?.cleanup();
    await Promise.all([server?.close(), llm?.close(), telegram?.close()]);
  }, 60_000);

  it("shows the route and the running account, and doctor flags the unknown agent with its fix", async () => {
    const routes = await clawtell("routes");
    expect(routes.code, routes.stderr).toBe(0);
    expect(routes.stdout).toMatch(/default\s+tell\/alice\s+agent ghost\s+yes\s+account key claw_[a-z0-9]+…/);
    expect(routes.stdout).not.toContain(alice.apiKey);

    // The account answers through its state folder once its stream is up: pid, transport, connection, empty queue.
    const running = await waitUntil(async () => {
      const row = await status();
      return row.connected === true ? row : undefined;
    }, 60_000, "a connected account in `openclaw clawtell status`");
    expect(running).toMatchObject({ accountId: "default", name: "alice", runningPid: gateway.pid, transport: "sse", queued: 0, deadLetters: 0, server: { ok: true, name: "alice" } });
    const table = await clawtell("status");
    expect(table.stdout).toMatch(new RegExp(`default\\s+tell/alice\\s+enabled\\s+pid ${gateway.pid}, sse connected\\s+0\\s+0\\s+ok`));

    const doctor = await clawtell("doctor");
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('✗ channels.clawtell.routing.alice.agent: no agent "ghost" in OpenClaw (agents: main)\n    → use one of those ids, or add the agent under agents.entries');
    expect(doctor.stdout).toContain(`✓ channels.clawtell.apiKey: ${server.url} answers as tell/alice`);
    expect(doctor.stdout).toMatch(/1 problem found\s*$/);
  }, 300_000);

  it("retries the message, dead-letters it without an agent turn, and alerts the human in their Telegram chat", async () => {
    // The human talks to the default agent on Telegram: that chat is where alerts for routes without forwardTo go.
    telegram.sendUserText(HUMAN_CHAT, "hello agent, this is your human");
    await waitUntil(() => telegram.sent.find((m) => m.chatId === String(HUMAN_CHAT) && m.text.includes("FAKE-LLM-REPLY")), 120_000, "the agent's answer to the human");

    const sent = await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "alice", body: BODY } });
    expect(sent.status).toBe(200);
    deadId = String(sent.body["messageId"]);

    const alert = await waitUntil(() => telegram.sent.find((m) => m.text.includes("☠️") && m.text.includes(deadId)), 90_000, "the dead-letter alert");
    expect(alert.chatId).toBe(String(HUMAN_CHAT));
    expect(alert.text).toContain(`gave up after ${MAX_ATTEMPTS} attempts`);
    expect(alert.text).toContain('no agent "ghost" in OpenClaw');
    expect(alert.text).toContain(`openclaw clawtell dead-letters retry ${deadId}`);
    // Every attempt failed before a turn: the model never saw the message.
    expect(llm.requests.some((r) => r.allText.includes(BODY))).toBe(false);

    const letters = await clawtell("dead-letters", "ls");
    expect(letters.code, letters.stderr).toBe(0);
    expect(letters.stdout).toMatch(new RegExp(`${deadId}\\s+default\\s+tell/alice\\s+tell/bob\\s+dead\\s+${MAX_ATTEMPTS}\\s+\\S+\\s+no agent "ghost"`));
    const shown = await clawtell("queue", "show", deadId);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: deadId, state: "dead", attempts: MAX_ATTEMPTS, message: { from: "tell/bob", body: BODY } });
    expect(await status()).toMatchObject({ queued: 0, deadLetters: 1 });
    // The server has it acked (it is ours now, in the dead letters): nothing left for the account to receive.
    const aliceName = server.store.findNameByName("alice");
    expect(aliceName === undefined ? -1 : server.store.countMessages(aliceName.id).unacked).toBe(0);
  }, 300_000);

  it("delivers the dead letter with `dead-letters retry --all` once the route is fixed: agent turn and reply", async () => {
    const startsBefore = accountStarts();
    await writeClawtell("main");
    // OpenClaw restarts the account on a change under channels.clawtell (the plugin's reload prefix).
    await waitUntil(() => (accountStarts() > startsBefore ? true : undefined), 90_000, "the account restarted with the fixed route");
    const doctor = await clawtell("doctor");
    expect(doctor.stdout).toMatch(/no problems found\s*$/);
    expect(doctor.code).toBe(0);

    const retried = await clawtell("dead-letters", "retry", "--all");
    expect(retried.code, retried.stderr).toBe(0);
    // Carried out by the running gateway (no "delivered when the gateway runs").
    expect(retried.stdout.trim()).toBe("1 dead letter queued again");

    const turn = await waitUntil(() => llm.requests.find((r) => r.allText.includes(BODY)), 120_000, "the agent turn");
    expect(turn.allText).toContain("tell/bob");
    const reply = await waitUntil(
      async () => {
        const polled = await api(server, "GET", "/api/messages/poll?timeout=1", { key: bob.apiKey });
        return ((polled.body["messages"] ?? []) as Array<Record<string, unknown>>).find((m) => m["replyToMessageId"] === deadId);
      },
      120_000,
      "alice's reply in bob's inbox",
    );
    expect(reply["from"]).toBe("tell/alice");
    expect(String(reply["body"])).toContain("FAKE-LLM-REPLY");

    const after = await waitUntil(async () => {
      const row = await status();
      return row.queued === 0 ? row : undefined;
    }, 60_000, "an empty queue");
    expect(after.deadLetters).toBe(0);
    expect((await clawtell("dead-letters", "ls")).stdout.trim()).toBe("no dead letters");
  }, 400_000);
});
