// `clawtell daemon`, `dead-letters` and `queue` as an operator uses them, against the real server.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createClawTellClient } from "../../../src/client/index.js";
import { queueFileOf } from "../../../src/daemon/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { CLI_PATH, cliEnv, runCli } from "../../helpers/cli-process.js";
import { waitFor } from "../../helpers/http-stub.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";
import { startWebhookRecorder, type WebhookRecorder } from "../../helpers/webhook-recorder.js";

let server: TestServer;
let hook: WebhookRecorder;
let second: WebhookRecorder;
let dir: string;
let bob: CreatedName;
let alice: CreatedName;

beforeEach(async () => {
  server = await startTestServer();
  hook = await startWebhookRecorder();
  second = await startWebhookRecorder();
  dir = await mkdtemp(join(tmpdir(), "clawtell-daemon-cli-"));
  alice = await server.createName("alice", "a@example.com");
  bob = await server.createName("bob", "b@example.com");
});
afterEach(async () => {
  await hook.close();
  await second.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const writeConfig = (hookUrl: string) =>
  writeFile(
    join(dir, "openclaw.json"),
    `// JSON5, as OpenClaw users write it
{
  channels: {
    clawtell: {
      name: "bob", apiKey: "${bob.apiKey}", baseUrl: "${server.url}",
      queue: { backoffBaseMs: 50, backoffCapMs: 100, maxAttempts: 2 },
      routing: { bob: { webhook: { url: "${hookUrl}" }, forward: false } },
    },
  },
}`,
  );

it("runs the daemon, shows and retries dead letters through it, and follows config changes", { timeout: 60_000 }, async () => {
  await writeConfig(hook.url);
  const flags = ["--config", join(dir, "openclaw.json"), "--state-dir", join(dir, "state")];
  const daemon = spawn(process.execPath, [CLI_PATH, "daemon", ...flags], { stdio: ["ignore", "pipe", "ignore"], env: cliEnv({ CLAWTELL_LOG_LEVEL: "silent" }) });
  const exited = new Promise<number | null>((resolve) => daemon.once("exit", resolve));
  let out = "";
  daemon.stdout.on("data", (c: Buffer) => (out += c.toString()));
  try {
    await waitFor(() => out.includes("daemon running for tell/bob (default)"), 15_000);
    const sender = createClawTellClient({ baseUrl: server.url, apiKey: alice.apiKey });

    hook.answers.push(500, 500);
    const doomed = await sender.send({ to: "bob", body: "fails twice" });
    await waitFor(() => hook.deliveries.length === 2, 10_000);
    let listed = "";
    for (let i = 0; i < 50 && !listed.includes(doomed.messageId ?? "?"); i++) {
      listed = (await runCli(["dead-letters", "ls", ...flags])).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toMatch(/id\s+account\s+to\s+from\s+state\s+tries/);
    expect(listed).toContain(doomed.messageId);
    expect(listed).toContain("webhook answered HTTP 500");

    const retried = await runCli(["dead-letters", "retry", doomed.messageId ?? "", ...flags]);
    expect(retried.stdout).toContain("1 dead letter queued again");
    await waitFor(() => hook.deliveries.length === 3);
    expect((await runCli(["dead-letters", "ls", ...flags])).stdout).toContain("no dead letters");
    expect((await runCli(["queue", "ls", ...flags])).stdout).toContain("the queue is empty");

    // A changed route applies without a restart.
    await writeConfig(second.url);
    await new Promise((r) => setTimeout(r, 500));
    await sender.send({ to: "bob", body: "to the new hook" });
    await waitFor(() => second.deliveries.length === 1, 10_000);
    expect(second.deliveries[0]?.body).toMatchObject({ body: "to the new hook" });

    // An invalid change is refused and the daemon keeps going with the old settings.
    await writeFile(join(dir, "openclaw.json"), "{ channels: { clawtell: { routing: 5 } } }");
    await new Promise((r) => setTimeout(r, 500));
    await sender.send({ to: "bob", body: "still delivered" });
    await waitFor(() => second.deliveries.length === 2, 10_000).catch(() => {
      throw new Error(`after an invalid config change: ${second.deliveries.length} deliveries to the current hook`);
    });
  } finally {
    daemon.kill("SIGTERM");
    const timer = setTimeout(() => daemon.kill("SIGKILL"), 10_000);
    expect(await exited).toBe(0);
    clearTimeout(timer);
  }
});

it("reports with `clawtell status` whether the daemon runs each account and how it is connected", { timeout: 60_000 }, async () => {
  await writeConfig(hook.url);
  const flags = ["--config", join(dir, "openclaw.json"), "--state-dir", join(dir, "state")];
  const status = async (): Promise<Array<Record<string, unknown>>> => {
    const result = await runCli(["status", "--json", ...flags]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
  };

  const before = await status();
  expect(before).toEqual([expect.objectContaining({ accountId: "default", name: "bob", queued: 0, deadLetters: 0, server: { ok: true, name: "bob" } })]);
  expect(before[0]).not.toHaveProperty("runningPid");
  expect((await runCli(["status", ...flags])).stdout).toMatch(/default\s+tell\/bob\s+enabled\s+not running\s+0\s+0\s+ok/);

  const daemon = spawn(process.execPath, [CLI_PATH, "daemon", ...flags], { stdio: ["ignore", "ignore", "ignore"], env: cliEnv({ CLAWTELL_LOG_LEVEL: "silent" }) });
  const exited = new Promise<number | null>((resolve) => daemon.once("exit", resolve));
  try {
    let running: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && running?.["connected"] !== true; i++) {
      running = (await status())[0];
      if (running?.["connected"] !== true) await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).toMatchObject({ runningPid: daemon.pid, transport: "sse", connected: true, queued: 0 });
    expect((await runCli(["status", ...flags])).stdout).toContain(`pid ${daemon.pid}, sse connected`);
    // A second daemon on the same account and folder is refused, naming the code the README promises and the holder.
    const second = await runCli(["daemon", ...flags]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^error: CT_CONFLICT: .*${daemon.pid}`, "m"));
    // The same config alone finds it: the daemon recorded its state folder.
    const byConfig = await runCli(["status", "--json", "--config", join(dir, "openclaw.json")]);
    expect((JSON.parse(byConfig.stdout) as Array<Record<string, unknown>>)[0]).toMatchObject({ runningPid: daemon.pid, connected: true });
    expect((await runCli(["queue", "ls", "--config", join(dir, "openclaw.json")])).stdout).toContain("the queue is empty");
  } finally {
    daemon.kill("SIGTERM");
    expect(await exited).toBe(0);
  }
  expect((await status())[0]).not.toHaveProperty("runningPid");

  // A broken config is reported in the account's row, on one line, naming the field.
  await writeFile(join(dir, "openclaw.json"), "{ channels: { clawtell: { routing: 5 } } }");
  const broken = await runCli(["status", ...flags]);
  expect(broken.code).toBe(0);
  expect(broken.stdout).toMatch(/^default .*channels\.clawtell\.routing: .*not running/m);
});

it("stops cleanly on a SIGTERM that comes while it is still starting", { timeout: 30_000 }, async () => {
  await writeConfig(hook.url);
  const stateDir = join(dir, "state");
  const daemon = spawn(process.execPath, [CLI_PATH, "daemon", "--config", join(dir, "openclaw.json"), "--state-dir", stateDir], { stdio: "ignore", env: cliEnv({ CLAWTELL_LOG_LEVEL: "silent" }) });
  const exited = new Promise<number | null>((resolve) => daemon.once("exit", resolve));
  // The queue's lock appears while the account starts, before the daemon reports itself running.
  const lock = `${queueFileOf(stateDir, "default")}.lock`;
  for (let i = 0; i < 1000 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 5));
  daemon.kill("SIGTERM");
  expect(await exited).toBe(0);
});

it("refuses to start on an invalid config, naming the field", async () => {
  await writeFile(join(dir, "openclaw.json"), `{ channels: { clawtell: { name: "bob", apiKey: "k", routing: { bob: { agent: 7 } } } } }`);
  const result = await runCli(["daemon", "--config", join(dir, "openclaw.json"), "--state-dir", join(dir, "state")]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("channels.clawtell.routing.bob.agent");
});

it("with no chat configured, says once that a route's 🦞 copies are off, and delivers without failing a copy per message", { timeout: 60_000 }, async () => {
  // A webhook route as a new user writes it: `forward` left at its default, no forwardTo, no chat token.
  await writeFile(
    join(dir, "openclaw.json"),
    `{ channels: { clawtell: { name: "bob", apiKey: "${bob.apiKey}", baseUrl: "${server.url}", routing: { bob: { webhook: { url: "${hook.url}" } } } } } }`,
  );
  const flags = ["--config", join(dir, "openclaw.json"), "--state-dir", join(dir, "state")];
  const daemon = spawn(process.execPath, [CLI_PATH, "daemon", ...flags], { stdio: ["ignore", "pipe", "pipe"], env: cliEnv({ CLAWTELL_LOG_LEVEL: "warn" }) });
  const exited = new Promise<number | null>((resolve) => daemon.once("exit", resolve));
  let out = "";
  let logs = "";
  daemon.stdout.on("data", (c: Buffer) => (out += c.toString()));
  daemon.stderr.on("data", (c: Buffer) => (logs += c.toString()));
  try {
    await waitFor(() => out.includes("daemon running for tell/bob (default)"), 15_000);
    const sender = createClawTellClient({ baseUrl: server.url, apiKey: alice.apiKey });
    for (const body of ["one", "two"]) await sender.send({ to: "bob", body });
    await waitFor(() => hook.deliveries.length === 2, 10_000);
    // Each job is done once its copy is settled too: then the queue is empty.
    let queued = "";
    for (let i = 0; i < 100 && !queued.includes("the queue is empty"); i++) {
      queued = (await runCli(["queue", "ls", ...flags])).stdout;
      if (!queued.includes("the queue is empty")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(queued).toContain("the queue is empty");
  } finally {
    daemon.kill("SIGTERM");
    expect(await exited).toBe(0);
  }
  const lines = logs.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.filter((l) => String(l["msg"]).includes("🦞 copies are off"))).toEqual([
    expect.objectContaining({ level: 40, accountId: "default", routes: ["bob"], msg: expect.stringContaining("set forwardTo: { channel, to } in channels.clawtell") }),
  ]);
  expect(lines.filter((l) => Number(l["level"]) >= 40 && !String(l["msg"]).includes("🦞 copies are off"))).toEqual([]);
});
