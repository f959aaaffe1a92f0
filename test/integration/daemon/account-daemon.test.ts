import { createHmac } from "node:crypto";
import { Agent } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient } from "../../../src/client/index.js";
import { parseChannelConfig, resolveAccounts, type ResolvedAccount } from "../../../src/config/index.js";
import { createCommandSink, createWebhookSink, openQueueStore, queueFileOf, startAccountDaemon, type AccountDaemonHandle, type HumanNotice, type Sink } from "../../../src/daemon/index.js";
import { ClawTellError, createSilentLogger, systemClock } from "../../../src/infra/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { waitFor } from "../../helpers/http-stub.js";
import { streamOnOwnConnection } from "../../helpers/sse.js";
import { startTestServer, api, type TestServer } from "../../helpers/test-server.js";
import { startWebhookRecorder, type WebhookRecorder } from "../../helpers/webhook-recorder.js";

const SECRET = "0123456789abcdef-secret";

describe("account daemon against the embedded server", () => {
  let server: TestServer;
  let hook: WebhookRecorder;
  let stateDir: string;
  let alice: CreatedName;
  let bob: CreatedName;
  let daemon: AccountDaemonHandle | undefined;
  const notices: HumanNotice[] = [];

  beforeEach(async () => {
    server = await startTestServer();
    hook = await startWebhookRecorder();
    stateDir = await mkdtemp(join(tmpdir(), "clawtell-daemon-"));
    alice = await server.createName("alice", "a@example.com");
    bob = await server.createName("bob", "b@example.com");
    notices.length = 0;
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await hook.close();
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const accountOf = (raw: Record<string, unknown>): ResolvedAccount => {
    const [account] = resolveAccounts(parseChannelConfig({ baseUrl: server.url, queue: { backoffBaseMs: 50, backoffCapMs: 200, maxAttempts: 3 }, ...raw }));
    if (account === undefined) throw new Error("no account");
    return account;
  };
  const start = async (raw: Record<string, unknown>, transport: "sse" | "longpoll" = "sse", operatorCommand?: string) => {
    daemon = await startAccountDaemon({
      ...(operatorCommand === undefined ? {} : { operatorCommand }),
      account: accountOf({ transport, ...raw }),
      sinks: { webhook: createWebhookSink({ clock: systemClock }), command: createCommandSink() },
      forwarder: { send: async (notice) => void notices.push(notice) },
      stateDir,
      logger: createSilentLogger(),
      receiver: { streamTimeoutS: 2, pollTimeoutS: 1, maxBackoffMs: 50 },
    });
    return daemon;
  };
  const send = (to: string, body: string) => createClawTellClient({ baseUrl: server.url, apiKey: alice.apiKey }).send({ to, body });
  const serverStillHolds = async (key: string) => {
    await server.restart(); // drops visibility leases: anything unacked is deliverable again
    const res = await api(server, "GET", "/api/messages/poll-account?timeout=0", { key });
    return (res.body["messages"] as unknown[]).length;
  };

  it("delivers a message to its webhook, signed, forwards one 🦞 copy, and acks the server", async () => {
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url, secret: SECRET } } } });
    const sent = await send("bob", "hello bob");
    await waitFor(() => hook.deliveries.length === 1 && daemon?.queue.pendingCount() === 0);
    const [delivery] = hook.deliveries;
    expect(delivery?.body).toMatchObject({ id: sent.messageId, from: "tell/alice", to_name: "bob", body: "hello bob", deliveryId: sent.messageId, attempt: 1 });
    const timestamp = String(delivery?.headers["x-clawtell-timestamp"]);
    const expected = `sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${delivery?.raw ?? ""}`).digest("hex")}`;
    expect(delivery?.headers["x-clawtell-signature"]).toBe(expected);
    expect(notices.map((n) => n.kind)).toEqual(["delivery"]);
    expect(notices[0]?.text).toContain("🦞🦞 ClawTell Delivery 🦞🦞\n\nfrom tell/alice\nto: tell/bob");
    expect(await serverStillHolds(bob.apiKey)).toBe(0);
  });

  it("routes the names of one account by to_name, with _default catching the rest", async () => {
    const helper = await server.createName("helper", "b@example.com");
    const other = await startWebhookRecorder();
    try {
      await start({
        name: "bob",
        apiKey: helper.apiKey,
        routing: { helper: { webhook: { url: other.url }, forward: false }, _default: { webhook: { url: hook.url }, forward: false } },
      }, "longpoll");
      await send("helper", "for helper");
      await send("bob", "for bob");
      await waitFor(() => hook.deliveries.length === 1 && other.deliveries.length === 1);
      expect(other.deliveries[0]?.body).toMatchObject({ to_name: "helper", body: "for helper" });
      expect(hook.deliveries[0]?.body).toMatchObject({ to_name: "bob", body: "for bob" });
      expect(notices).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("retries a failing target with backoff and forwards the human copy only once", async () => {
    hook.answers.push(503, 500);
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url } } } });
    await send("bob", "persist");
    await waitFor(() => hook.deliveries.length === 3 && daemon?.queue.pendingCount() === 0, 10_000);
    expect(hook.deliveries.map((d) => d.body["attempt"])).toEqual([1, 2, 3]);
    expect(notices.filter((n) => n.kind === "delivery")).toHaveLength(1);
  });

  it("dead-letters a refused delivery at once, alerts the human once, and delivers it after an operator retry", async () => {
    hook.answers.push(410);
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url }, forward: false } } });
    const sent = await send("bob", "doomed");
    await waitFor(() => notices.length === 1);
    expect(daemon?.queue.deadLetters().map((d) => d.id)).toEqual([sent.messageId]);
    expect(notices.map((n) => n.kind)).toEqual(["dead_letter"]);
    expect(notices[0]?.text).toContain(`clawtell dead-letters retry ${sent.messageId ?? ""}`);
    expect(await daemon?.retryDeadLetters(sent.messageId ?? "")).toBe(1);
    await waitFor(() => hook.deliveries.length === 2 && daemon?.queue.pendingCount() === 0);
    expect(await serverStillHolds(bob.apiKey)).toBe(0);
  });

  it("routes a message once, when it is taken in: the job carries its route (no secrets), and a retried dead letter follows the fixed route", async () => {
    hook.answers.push(410);
    const second = await startWebhookRecorder();
    try {
      await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url, secret: SECRET }, forward: false } } });
      const sent = await send("bob", "to the route of its arrival");
      await waitFor(() => daemon?.queue.deadLetters().length === 1);
      expect(daemon?.queue.deadLetters()[0]?.route).toEqual({ target: { kind: "webhook", url: hook.url, timeoutMs: 10_000 }, forward: false });
      const onDisk = (await readdir(stateDir)).filter((f) => f.startsWith("queue-default.json")).map((f) => readFileSync(join(stateDir, f), "utf8"));
      expect(onDisk.join("\n")).toContain(hook.url);
      expect(onDisk.join("\n")).not.toContain(SECRET);
      // The operator fixes the route and retries: the letter is routed again by the config of now.
      daemon?.update(accountOf({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: second.url, secret: SECRET }, forward: false } } }));
      expect(await daemon?.retryDeadLetters(sent.messageId ?? "")).toBe(1);
      await waitFor(() => second.deliveries.length === 1 && daemon?.queue.pendingCount() === 0);
      expect(hook.deliveries).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it("delivers a job queued by an older version, which carries no route, by the current config", async () => {
    const previous = await openQueueStore({ path: queueFileOf(stateDir, "default"), logger: createSilentLogger() });
    const message = { id: "msg-from-before", from: "tell/alice", to_name: "bob", subject: "Message", body: "queued before routes were carried", createdAt: new Date().toISOString(), attachments: [] };
    await previous.enqueueMany([{ id: message.id, accountId: "default", recipient: "bob", routeKey: "bob", message }]);
    expect(previous.get(message.id)?.route).toBeUndefined();
    await previous.close();
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url, secret: SECRET }, forward: false } } });
    await waitFor(() => hook.deliveries.length === 1 && daemon?.queue.pendingCount() === 0);
    expect(hook.deliveries[0]?.body).toMatchObject({ id: message.id, body: "queued before routes were carried" });
  });

  it("sends one digest instead of a flood when several messages die at once", async () => {
    hook.answers.push(410, 410, 410);
    // Waiting on the server, they arrive in one batch and die within one window.
    const ids = [];
    for (const body of ["first", "second", "third"]) ids.push((await send("bob", body)).messageId ?? "");
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url }, forward: false } } });
    await waitFor(() => daemon?.queue.deadLetters().length === 3, 10_000);
    await waitFor(() => notices.length > 0, 5_000);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toMatch(/^☠️ 3 ClawTell messages could not be delivered/);
    for (const id of ids) expect(notices[0]?.text).toContain(id);
    expect(notices[0]?.text).toContain("clawtell dead-letters retry --all");
  });

  it("alerts the human about a message that died because its deliveries were cut short, naming the operator command", async () => {
    // A previous daemon took the message and stopped mid-delivery on its last allowed attempt.
    const previous = await openQueueStore({ path: queueFileOf(stateDir, "default"), logger: createSilentLogger(), policy: { maxAttempts: 3, backoffBaseMs: 50, backoffCapMs: 200, deadLetterMaxCount: 10, deadLetterRetentionDays: 1 } });
    const message = { id: "msg-cut-short", from: "tell/alice", to_name: "bob", subject: "Message", body: "cut short", createdAt: new Date().toISOString(), attachments: [] };
    await previous.enqueueMany([{ id: message.id, accountId: "default", recipient: "bob", routeKey: "bob", message }]);
    for (let attempt = 1; attempt < 3; attempt++) {
      previous.claimDue(1, 60_000);
      await previous.fail(message.id, { code: "CT_UPSTREAM", message: "503" }, true, 0);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(previous.claimDue(1, 60_000).map((j) => j.id)).toEqual([message.id]);
    await previous.close();

    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url }, forward: false } } }, "sse", "openclaw clawtell");
    await waitFor(() => notices.length === 1);
    expect(daemon?.queue.deadLetters().map((d) => [d.id, d.lastError?.code])).toEqual([[message.id, "CT_TIMEOUT"]]);
    expect(notices[0]).toMatchObject({ kind: "dead_letter", accountId: "default" });
    expect(notices[0]?.text).toContain("openclaw clawtell dead-letters retry msg-cut-short");
    expect(hook.deliveries).toHaveLength(0);
  });

  it("says once that the local queue is full, and leaves new messages on the server", async () => {
    hook.answers.push(503, 503, 503, 503, 503, 503);
    await start({ name: "bob", apiKey: bob.apiKey, queue: { backoffBaseMs: 60_000, backoffCapMs: 60_000, maxAttempts: 3, maxPending: 2 }, routing: { bob: { webhook: { url: hook.url }, forward: false } } });
    await send("bob", "one");
    await waitFor(() => daemon?.queue.pendingCount() === 1);
    await send("bob", "two");
    await waitFor(() => notices.some((n) => n.kind === "alarm"), 10_000);
    await send("bob", "three");
    await new Promise((r) => setTimeout(r, 300));
    const alarms = notices.filter((n) => n.kind === "alarm");
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.text).toContain("2 messages wait to be delivered (limit 2, queue.maxPending)");
    expect(daemon?.status()).toMatchObject({ pending: 2, paused: true });
    expect(await serverStillHolds(bob.apiKey)).toBe(1);
  });

  it("dead-letters an agent route in the standalone daemon with a clear reason", async () => {
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { agent: "main", forward: false } } });
    await send("bob", "needs openclaw");
    await waitFor(() => daemon?.queue.deadLetters().length === 1);
    expect(daemon?.queue.deadLetters()[0]?.lastError?.message).toMatch(/agent routes need the OpenClaw plugin/);
  });

  it("keeps an agent's answer on disk, so an attempt after a failure sends that answer instead of running the turn again", async () => {
    // An agent target that answers on its first attempt and then fails, as a process that dies after the turn would.
    const seen: Array<{ attempt: number; step: "turn" | "reply"; answer?: string }> = [];
    const agent: Sink = {
      async deliver(request) {
        seen.push({ attempt: request.attempt, step: "turn" });
        return { answer: "the answer of the first turn" };
      },
      async reply(request, answer) {
        seen.push({ attempt: request.attempt, step: "reply", answer });
        if (request.attempt === 1) throw new ClawTellError("CT_SINK_FAILED", "the process died before the reply went out");
      },
    };
    daemon = await startAccountDaemon({
      account: accountOf({ name: "bob", apiKey: bob.apiKey, routing: { bob: { agent: "main", forward: false } } }),
      sinks: { agent },
      stateDir,
      logger: createSilentLogger(),
      receiver: { streamTimeoutS: 2, pollTimeoutS: 1, maxBackoffMs: 50 },
    });
    const sent = await send("bob", "answer me once");
    await waitFor(() => seen.length >= 2);
    await waitFor(() => daemon?.queue.get(sent.messageId ?? "")?.answer !== undefined);
    // The kept answer is in the queue file, not only in memory.
    const onDisk = (await readdir(stateDir)).filter((f) => f.startsWith("queue-default.json")).map((f) => readFileSync(join(stateDir, f), "utf8"));
    expect(onDisk.join("\n")).toContain("the answer of the first turn");
    await waitFor(() => daemon?.queue.pendingCount() === 0, 5_000);
    expect(seen).toEqual([
      { attempt: 1, step: "turn" },
      { attempt: 1, step: "reply", answer: "the answer of the first turn" },
      { attempt: 2, step: "reply", answer: "the answer of the first turn" },
    ]);
  });

  it("keeps delivering in order per sender when one message has to wait", async () => {
    hook.answers.push(503);
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url }, forward: false } } }, "longpoll");
    for (const body of ["1", "2", "3"]) await send("bob", body);
    await waitFor(() => hook.deliveries.filter((d) => d.headers["x-clawtell-delivery"] !== undefined).length >= 4 && daemon?.queue.pendingCount() === 0, 10_000);
    const delivered = hook.deliveries.map((d) => d.body["body"]);
    expect(delivered).toEqual(["1", "1", "2", "3"]);
  });

  it("resumes after the last message it stored: what a vanished receiver of the account held comes at once, in order", async () => {
    const routing = { bob: { webhook: { url: hook.url }, forward: false } };
    await start({ name: "bob", apiKey: bob.apiKey, routing });
    await send("bob", "m1");
    await waitFor(() => hook.deliveries.length === 1 && daemon?.queue.pendingCount() === 0);
    await daemon?.stop();
    daemon = undefined;
    await send("bob", "m2");
    await send("bob", "m3");
    // Another run took m2 and m3 and vanished with its host: its connection still looks open to the server.
    const agent = new Agent({ keepAlive: true });
    const ghost = await streamOnOwnConnection(server, bob.apiKey, { count: 2, limit: 2, agent });
    try {
      expect(ghost.ids).toHaveLength(2);
      await start({ name: "bob", apiKey: bob.apiKey, routing });
      await send("bob", "m4");
      await waitFor(() => hook.deliveries.length >= 4, 15_000);
      expect(hook.deliveries.map((d) => d.body["body"])).toEqual(["m1", "m2", "m3", "m4"]);
    } finally {
      ghost.drop();
      agent.destroy();
    }
  });

  it("runs a command target with the message on stdin", async () => {
    const script = join(stateDir, "agent.mjs");
    const out = join(stateDir, "got.json");
    await writeFile(script, `import { writeFileSync } from "node:fs";\nlet s = "";\nprocess.stdin.on("data", (c) => (s += c));\nprocess.stdin.on("end", () => writeFileSync(${JSON.stringify(out)}, s));\n`);
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { command: { command: process.execPath, args: [script] }, forward: false } } });
    await send("bob", "via stdin");
    await waitFor(() => daemon?.queue.pendingCount() === 0 && existsSync(out));
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ body: "via stdin", to_name: "bob", accountId: "default", attempt: 1 });
  });

  it("downloads a message's files once: the 🦞 copy carries them and the command reads where they lie", async () => {
    const script = join(stateDir, "agent.mjs");
    const out = join(stateDir, "got.json");
    await writeFile(script, `import { writeFileSync } from "node:fs";\nlet s = "";\nprocess.stdin.on("data", (c) => (s += c));\nprocess.stdin.on("end", () => writeFileSync(${JSON.stringify(out)}, s));\n`);
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { command: { command: process.execPath, args: [script] } } } });
    const report = Buffer.from("numbers: 4, 5, 6\n");
    const sent = await api(server, "POST", "/api/messages/send", {
      key: alice.apiKey,
      body: { to: "bob", body: "see the file", attachments: [{ data: report.toString("base64"), filename: "report.txt", mime_type: "text/plain" }] },
    });
    await waitFor(() => daemon?.queue.pendingCount() === 0 && existsSync(out));

    const [copy] = notices;
    expect(copy?.text).toContain("📎 report.txt (text/plain)");
    expect(copy?.files).toEqual([{ path: expect.any(String) as unknown, filename: "report.txt", mimeType: "text/plain" }]);
    expect(readFileSync(copy?.files?.[0]?.path ?? "").equals(report)).toBe(true);

    const stdin = JSON.parse(readFileSync(out, "utf8")) as { id: string; attachments: Array<{ filename: string; path?: string }> };
    expect(stdin.id).toBe(sent.body["messageId"]);
    expect(stdin.attachments).toEqual([{ fileId: expect.any(String) as unknown, filename: "report.txt", mime_type: "text/plain", path: copy?.files?.[0]?.path }]);
  });

  it("leaves the files to a webhook's receiver when no copy is owed (it has their ids)", async () => {
    await start({ name: "bob", apiKey: bob.apiKey, routing: { bob: { webhook: { url: hook.url }, forward: false } } });
    await api(server, "POST", "/api/messages/send", {
      key: alice.apiKey,
      body: { to: "bob", body: "file for the hook", attachments: [{ data: Buffer.from("x").toString("base64"), filename: "x.txt", mime_type: "text/plain" }] },
    });
    await waitFor(() => hook.deliveries.length === 1 && daemon?.queue.pendingCount() === 0);
    expect(hook.deliveries[0]?.body["attachments"]).toEqual([{ fileId: expect.any(String) as unknown, filename: "x.txt", mime_type: "text/plain" }]);
    expect(existsSync(join(stateDir, "attachments"))).toBe(false);
  });
});
