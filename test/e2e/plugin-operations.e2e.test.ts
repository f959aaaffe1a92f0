// The plugin in a real OpenClaw gateway, run the way operators run it: two names of one account routed to two agents
// with their own keys; a route to a missing agent dead-lettered, alerted, found by `openclaw clawtell doctor` and
// delivered by `openclaw clawtell dead-letters retry` once fixed; the model sending with `clawtell_send` (as the name it
// picks; without `from` as its agent's own name; in a turn of a human that Telegram's allowFrom admits); the 🔕
// notice naming `openclaw clawtell allow`, which lets the next answer go out; and the gateway SIGKILLed while
// messages flow, losing nothing and forwarding nothing twice.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFor, collectStatus } from "../../src/operator/index.js";
import { FAKE_MODEL_ID, echoScript, startFakeOpenAi, type FakeLlmRequest, type FakeLlmScript, type FakeOpenAi } from "../helpers/fake-openai.js";
import { api, startTestServer, type TestServer } from "../helpers/test-server.js";
import { startFakeTelegramBot, type FakeTelegramBot } from "./fake-telegram-bot.js";
import { createOpenClawHarness, freePort, packPlugin, type Gateway, type OpenClawHarness } from "./harness.js";

const BOT_TOKEN = "123456:FAKE-TOKEN";
const HUMAN_CHAT = 4242;
const TOOL_MARKER = "PLEASE-SEND-WITH-THE-TOOL";
const HUMAN_MARKER = "HUMAN-ASKS-TO-SEND";
const HELPER_MARKER = "HELPER-SEND-WITHOUT-FROM";

async function waitUntil<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Turns that call `clawtell_send` once, by a marker in the turn's user text, and the arguments each one sends. */
const TOOL_TURNS: Record<string, Record<string, unknown>> = {
  // The model picks the name.
  [TOOL_MARKER]: { to: "bob", body: "hello bob, sent by the agent's tool", from: "carol" },
  // No `from`: each agent sends as its own name.
  [HUMAN_MARKER]: { to: "bob", body: "hello bob, the human asked on Telegram" },
  [HELPER_MARKER]: { to: "bob", body: "hello bob, from the helper agent" },
};

/** The messages of the request after the model's last turn: the new user text (OpenClaw adds its context as more parts), or a tool's result. */
function sinceLastAssistant(request: FakeLlmRequest): Array<Record<string, unknown>> {
  const messages = (Array.isArray(request.body["messages"]) ? request.body["messages"] : []) as Array<Record<string, unknown>>;
  const last = messages.map((m) => m["role"]).lastIndexOf("assistant");
  return messages.slice(last + 1);
}

/** Echoes, except that a turn whose new user text carries a marker calls `clawtell_send` once and then reports. */
const script: FakeLlmScript = (request, index) => {
  const fresh = sinceLastAssistant(request);
  if (fresh.some((m) => m["role"] === "tool")) return { text: `tool done: ${JSON.stringify(fresh.at(-1)?.["content"]).slice(0, 200)}` };
  const text = JSON.stringify(fresh);
  const marker = Object.keys(TOOL_TURNS).find((m) => text.includes(m));
  if (marker !== undefined) return { toolCall: { name: "clawtell_send", arguments: TOOL_TURNS[marker] ?? {} } };
  return echoScript(request, index);
};

describe("operating the clawtell plugin in a real OpenClaw gateway", () => {
  let server: TestServer;
  let llm: FakeOpenAi;
  let telegram: FakeTelegramBot;
  let harness: OpenClawHarness;
  let gateway: Gateway;
  const keys: Record<string, string> = {};

  const clawtellSection = (deadRoute: string) => ({
    name: "alice",
    apiKey: keys["alice"],
    baseUrl: server.url,
    queue: { maxAttempts: 2, backoffBaseMs: 200, backoffCapMs: 500 },
    routing: {
      alice: { agent: "main", forward: true },
      carol: { agent: "helper", apiKey: keys["carol"], forward: false },
      dave: { agent: deadRoute, apiKey: keys["dave"], forward: false },
    },
    forwardTo: { channel: "telegram", to: String(HUMAN_CHAT) },
  });

  /** Messages in bob's inbox (acked as read), in arrival order. */
  async function bobReceives(): Promise<Array<Record<string, unknown>>> {
    const polled = await api(server, "GET", "/api/messages/poll?timeout=1", { key: keys["bob"] ?? "" });
    const messages = (polled.body["messages"] ?? []) as Array<Record<string, unknown>>;
    if (messages.length > 0) await api(server, "POST", "/api/messages/ack", { key: keys["bob"] ?? "", body: { messageIds: messages.map((m) => m["id"]) } });
    return messages;
  }
  const inbox: Array<Record<string, unknown>> = [];
  const replyTo = (id: string) =>
    waitUntil(
      async () => {
        inbox.push(...(await bobReceives()));
        return inbox.find((m) => m["replyToMessageId"] === id);
      },
      120_000,
      `the reply to ${id}`,
    );
  const send = async (to: string, body: string): Promise<string> => {
    const sent = await api(server, "POST", "/api/messages/send", { key: keys["bob"] ?? "", body: { to, body } });
    expect(sent.status).toBe(200);
    return String(sent.body["messageId"]);
  };
  const clawtell = (...args: string[]) => harness.openclaw(["clawtell", ...args], { timeoutMs: 60_000 });

  beforeAll(async () => {
    [server, llm, telegram, harness] = await Promise.all([startTestServer(), startFakeOpenAi(script), startFakeTelegramBot(BOT_TOKEN), createOpenClawHarness()]);
    for (const [name, email] of [["alice", "owner@example.com"], ["carol", "owner@example.com"], ["dave", "owner@example.com"], ["bob", "bob@example.com"]] as const) {
      keys[name] = (await server.createName(name, email)).apiKey;
      // The agents may answer anyone (new names answer only with their human's approval).
      if (name !== "bob") await api(server, "PATCH", `/api/names/${name}`, { key: keys[name] ?? "", body: { communication_mode: "anyone" } });
    }
    const tarball = await packPlugin(join(harness.scratch, "pack"));
    await harness.writeConfig({
      gateway: { mode: "local", bind: "loopback", port: await freePort(), auth: { mode: "token", token: "e2e-token" } },
      agents: { defaults: { model: { primary: `fake/${FAKE_MODEL_ID}` } }, ownership: "explicit", entries: { main: {}, helper: { name: "Helper" } } },
      bindings: [{ agentId: "main", match: { channel: "telegram", accountId: "default" } }],
      // The model sees clawtell_send directly (not behind tool search).
      tools: { toolSearch: false },
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
    const config = await harness.readConfig();
    await harness.writeConfig({ ...config, channels: { ...(config["channels"] as Record<string, unknown>), clawtell: clawtellSection("ghost") } });
    gateway = await harness.startGateway();
    await gateway.waitForOutput(/\[clawtell\][^\n]*account running/, 60_000);
  }, 600_000);

  afterAll(async () => {
    await harness?.cleanup();
    await Promise.all([server?.close(), llm?.close(), telegram?.close()]);
  }, 60_000);

  it("runs each name's own agent and replies with each name's own key", async () => {
    const toCarol = await send("carol", "carol, which agent are you?");
    const toAlice = await send("alice", "alice, which agent are you?");
    const [carolReply, aliceReply] = [await replyTo(toCarol), await replyTo(toAlice)];
    expect(carolReply["from"]).toBe("tell/carol");
    expect(aliceReply["from"]).toBe("tell/alice");
    // Each turn ran in its routed agent's own session store.
    const agents = await readdir(join(harness.stateDir, "agents"));
    expect(agents).toEqual(expect.arrayContaining(["main", "helper"]));
    // Each turn is told (OpenClaw's agentPrompt hints) which name reaches which agent.
    const carolTurn = llm.requests.find((r) => r.allText.includes("carol, which agent are you?"));
    expect(carolTurn?.allText).toContain('tell/carol → agent "helper" (Helper)');
  }, 300_000);

  // Each `openclaw …` call starts OpenClaw's CLI (seconds): the commands' details are covered by
  // test/integration/plugin/operator-cli.test.ts; here they are proven to load and act in a real installation.
  it("shows the running account with `openclaw clawtell status`, and doctor finds the route to a missing agent", async () => {
    // Two CLI starts at once: each spends much of its time waiting for OpenClaw's own worker processes.
    const [status, doctor] = await Promise.all([clawtell("status", "--json"), clawtell("doctor")]);
    expect(status.code, status.stderr).toBe(0);
    const [account] = JSON.parse(status.stdout) as Array<Record<string, unknown>>;
    expect(account).toMatchObject({ accountId: "default", name: "alice", server: { ok: true, name: "alice" } });
    expect(account?.["runningPid"]).toBe(gateway.pid);

    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('✗ channels.clawtell.routing.dave.agent: no agent "ghost" in OpenClaw (agents: main, helper)');
  }, 120_000);

  it("dead-letters a message for a missing agent, alerts the human, and delivers it after the fix and a retry", async () => {
    const toDave = await send("dave", "dave, are you there?");
    await waitUntil(() => (telegram.sent.some((m) => m.text.includes("☠️") && m.text.includes(toDave)) ? true : undefined), 60_000, "the dead-letter alert");
    const alert = telegram.sent.find((m) => m.text.includes(toDave));
    expect(alert?.chatId).toBe(String(HUMAN_CHAT));
    expect(alert?.text).toContain(`openclaw clawtell dead-letters retry ${toDave}`);

    // The fix: dave goes to the helper agent. OpenClaw restarts the account on the change.
    const config = await harness.readConfig();
    await harness.writeConfig({ ...config, channels: { ...(config["channels"] as Record<string, unknown>), clawtell: clawtellSection("helper") } });
    await waitUntil(() => ((gateway.output().match(/\[clawtell\][^\n]*account running/g) ?? []).length >= 2 ? true : undefined), 60_000, "the account restarted with the fix");

    const retried = await clawtell("dead-letters", "retry", "--all");
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.trim()).toBe("1 dead letter queued again");
    const reply = await replyTo(toDave);
    expect(reply["from"]).toBe("tell/dave");
  }, 300_000);

  it("lets the model send with clawtell_send as the name it picks", async () => {
    const turn = await harness.openclaw(["agent", "--agent", "main", "--session-key", "agent:main:tool-e2e", "--message", `${TOOL_MARKER}: say hello to bob`, "--json"], { timeoutMs: 120_000 });
    expect(turn.code, turn.stdout + turn.stderr).toBe(0);
    const offered = llm.requests.find((r) => r.allText.includes(TOOL_MARKER));
    expect(offered?.toolNames).toContain("clawtell_send");
    expect(offered?.toolNames).toContain("clawtell_lists");
    const message = await waitUntil(
      async () => {
        inbox.push(...(await bobReceives()));
        return inbox.find((m) => m["body"] === "hello bob, sent by the agent's tool");
      },
      60_000,
      "the tool's message in bob's inbox",
    );
    expect(message["from"]).toBe("tell/carol");
  }, 300_000);

  /** The message with this body in bob's inbox. */
  const bobGets = (body: string) =>
    waitUntil(
      async () => {
        inbox.push(...(await bobReceives()));
        return inbox.find((m) => m["body"] === body);
      },
      120_000,
      `"${body}" in bob's inbox`,
    );
  /** What the model was sent in the turn that carried the marker (for a failure's message). */
  const requestsWith = (marker: string) => llm.requests.filter((r) => r.allText.includes(marker)).map((r) => ({ tools: r.toolNames, fresh: sinceLastAssistant(r) }));

  it("offers clawtell_send to a human admitted by Telegram's allowFrom (not OpenClaw's owner) and sends as the agent's name", async () => {
    // No commands.ownerAllowFrom: OpenClaw does not count this human as the owner.
    telegram.sendUserText(HUMAN_CHAT, `${HUMAN_MARKER}: please say hello to bob`);
    const message = await bobGets(String(TOOL_TURNS[HUMAN_MARKER]?.["body"])).catch((err: Error) => {
      throw new Error(`${err.message}\nwhat the model got: ${JSON.stringify(requestsWith(HUMAN_MARKER)).slice(0, 4000)}`);
    });
    expect(llm.requests.find((r) => r.allText.includes(HUMAN_MARKER))?.toolNames).toContain("clawtell_send");
    // Agent main's own name: its route is tell/alice.
    expect(message["from"]).toBe("tell/alice");
  }, 300_000);

  it("sends from each agent's own name when `from` is left out, and tells the agent that name", async () => {
    const turn = await harness.openclaw(["agent", "--agent", "helper", "--session-key", "agent:helper:tool-e2e", "--message", `${HELPER_MARKER}: say hello to bob`, "--json"], { timeoutMs: 120_000 });
    expect(turn.code, turn.stdout + turn.stderr).toBe(0);
    const message = await bobGets(String(TOOL_TURNS[HELPER_MARKER]?.["body"]));
    expect(message["from"]).toBe("tell/carol");
    const offered = llm.requests.find((r) => r.allText.includes(HELPER_MARKER));
    const description = (offered?.body["tools"] as Array<{ function?: { name?: string; description?: string } }> | undefined)?.find((t) => t.function?.name === "clawtell_send")?.function?.description;
    expect(description).toContain("You are tell/carol");
  }, 300_000);

  it("names the fix in the 🔕 notice, and `openclaw clawtell allow` lets the next answer go out (lists)", async () => {
    // A fresh name's mode: allowlist_only with an empty auto-reply allowlist.
    await api(server, "PATCH", "/api/names/alice", { key: keys["alice"] ?? "", body: { communication_mode: "allowlist_only" } });
    await send("alice", "alice, will you answer me?");
    const notice = await waitUntil(() => telegram.sent.find((m) => m.text.includes("🔕") && m.text.includes("tell/bob")), 120_000, "the 🔕 notice");
    expect(notice.chatId).toBe(String(HUMAN_CHAT));
    expect(notice.text).toContain("openclaw clawtell allow alice tell/bob");
    // The agent that read it was not offered the lists tool: a ClawTell sender cannot change them.
    const clawtellTurn = llm.requests.find((r) => r.allText.includes("alice, will you answer me?"));
    expect(clawtellTurn?.toolNames ?? []).not.toContain("clawtell_lists");

    // OpenClaw's CLI loads every plugin first: on a busy machine that alone may take a minute.
    const allowed = await harness.openclaw(["clawtell", "allow", "alice", "tell/bob"], { timeoutMs: 180_000 });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain("✓ tell/bob may message tell/alice and get automatic replies");
    const reply = await replyTo(await send("alice", "and now, alice?"));
    expect(reply["from"]).toBe("tell/alice");
    await api(server, "PATCH", "/api/names/alice", { key: keys["alice"] ?? "", body: { communication_mode: "anyone" } });
  }, 300_000);

  it("loses nothing and forwards nothing twice when the gateway is SIGKILLed while messages flow", async () => {
    const bodies = Array.from({ length: 4 }, (_, i) => `crash test message ${i}`);
    const ids: string[] = [];
    // A model that thinks for a while, so that the kill falls inside a turn: the hard case.
    llm.setLatency(3_000);
    for (const body of bodies.slice(0, 3)) ids.push(await send("alice", body));
    // Kill once the first turn has started, with the rest queued or on their way.
    await waitUntil(() => (llm.requests.some((r) => r.allText.includes(bodies[0] ?? "")) ? true : undefined), 120_000, "the first turn");
    for (const body of bodies.slice(3)) ids.push(await send("alice", body));
    await gateway.stop("SIGKILL");
    llm.setLatency(0);
    const killed = gateway.output();
    const handedBeforeKill = new Set(ids.filter((id) => killed.split("\n").some((line) => line.includes("dispatching to agent") && line.includes(id))));
    gateway = await harness.startGateway();

    // Every message reaches its agent and is answered, as a reply to it. The turn the kill cut short is finished by
    // OpenClaw's own restart recovery, which answers through the outbound adapter; the messages behind it wait for that
    // turn to end instead of being folded into it.
    await waitUntil(() => (bodies.every((body) => llm.requests.some((r) => r.allText.includes(body))) ? true : undefined), 180_000, "a turn for every message");
    try {
      for (const id of ids) expect((await replyTo(id))["from"]).toBe("tell/alice");
    } catch (err) {
      const seen = inbox.map((m) => `${String(m["from"])} replyTo=${String(m["replyToMessageId"])}: ${String(m["body"]).slice(0, 40)}`);
      throw new Error(`${(err as Error).message}\nsent: ${ids.join(", ")}\nbob's inbox:\n${seen.join("\n")}`);
    }
    expect(handedBeforeKill.size).toBeGreaterThan(0);
    expect(handedBeforeKill.size).toBeLessThan(ids.length);
    for (const body of bodies) {
      // The human's copy of each message: exactly once.
      expect(telegram.sent.filter((m) => m.text.includes("ClawTell Delivery") && m.text.includes(body)).length, body).toBe(1);
    }
    // The report `openclaw clawtell status` prints (proven in a real installation above), read here without starting
    // OpenClaw's CLI, which costs seconds of CPU at every call.
    const status = await waitUntil(
      async () => {
        const [account] = await collectStatus({ cfg: await harness.readConfig(), stateDir: join(harness.stateDir, "clawtell"), clientFor });
        return account?.queued === 0 ? account : undefined;
      },
      60_000,
      "an empty queue",
    );
    expect(status.runningPid).toBe(gateway.pid);
    expect(status.deadLetters).toBe(0);
    const alice = await server.storage.directory.findNameByName("alice");
    expect(alice === undefined ? -1 : (await server.storage.messages.count(alice.id)).unacked).toBe(0);
  }, 400_000);

  it("adds an account with `openclaw channels add`, disables and deletes it with `channels remove`", async () => {
    const erin = await server.createName("erin", "erin@example.com");
    const section = async () => ((await harness.readConfig())["channels"] as Record<string, Record<string, unknown>>)["clawtell"] ?? {};
    const before = await section();
    const added = await harness.openclaw(["channels", "add", "--agent", "main", "--channel", "clawtell", "--account", "work", "--name", "tell/erin", "--api-key", erin.apiKey, "--base-url", `${server.url}/api`]);
    expect(added.code, added.stdout + added.stderr).toBe(0);
    expect(added.stdout + added.stderr).toContain(`answers as tell/erin`);
    expect((await section())["accounts"]).toEqual({ work: { name: "erin", apiKey: erin.apiKey, baseUrl: server.url } });
    // The gateway runs the new account (config reload).
    await gateway.waitForOutput(/\[clawtell\][^\n]*account running accountId=work name=erin/, 120_000);

    // Disabling asks "Disable ClawTell account "work"? (keeps config)"; Enter takes its default, yes.
    const disabled = await harness.openclaw(["channels", "remove", "--agent", "main", "--channel", "clawtell", "--account", "work"], { input: "\r" });
    expect(disabled.code, disabled.stdout + disabled.stderr).toBe(0);
    expect((await section())["accounts"]).toEqual({ work: { name: "erin", apiKey: erin.apiKey, baseUrl: server.url, enabled: false } });

    const deleted = await harness.openclaw(["channels", "remove", "--agent", "main", "--channel", "clawtell", "--account", "work", "--delete"]);
    expect(deleted.code, deleted.stdout + deleted.stderr).toBe(0);
    expect(await section()).toEqual(before);
  }, 400_000);
});
