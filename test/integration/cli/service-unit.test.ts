// The shipped systemd unit: it runs the bin itself (never npx, which passes no signals on), with flags the daemon
// takes, and the process it starts stops cleanly on the SIGTERM that `systemctl stop` sends to its pid.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { queueFileOf } from "../../../src/daemon/index.js";
import { unitSection } from "../../helpers/systemd-unit.js";
import { CLI_PATH, cliEnv, runCli } from "../../helpers/cli-process.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

const root = resolve(import.meta.dirname, "../../..");
const UNIT_FILE = "deploy/clawtell-daemon.service";


let server: TestServer;
let dir: string;
beforeEach(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), "clawtell-unit-"));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

it("ships a unit that runs the bin directly and stops it by its pid", { timeout: 60_000 }, async () => {
  const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { files: string[] };
  expect(pkg.files).toContain("deploy");
  const service = unitSection(readFileSync(resolve(root, UNIT_FILE), "utf8"), "Service");
  const get = (key: string): string | undefined => service.find(([k]) => k === key)?.[1];
  expect(get("KillSignal")).toBe("SIGTERM");
  expect(get("Type")).toBe("simple");
  const [bin, command, ...flags] = (get("ExecStart") ?? "").split(/\s+/);
  expect(bin).toMatch(/\/clawtell$/);
  expect(command).toBe("daemon");

  // The unit's command line, with this test's config and state folder in place of the unit's paths.
  const bob = await server.createName("bob", "b@example.com");
  const configPath = join(dir, "openclaw.json");
  const stateDir = join(dir, "state");
  await writeFile(configPath, JSON.stringify({ channels: { clawtell: { name: "bob", apiKey: bob.apiKey, baseUrl: server.url, routing: { bob: { webhook: { url: "http://127.0.0.1:9/inbox" }, forward: false } } } } }));
  const args = flags.map((flag) => (flag === "/etc/clawtell/openclaw.json" ? configPath : flag === "/var/lib/clawtell" ? stateDir : flag));
  expect(args).toEqual(["--config", configPath, "--state-dir", stateDir]);

  const daemon = spawn(process.execPath, [CLI_PATH, "daemon", ...args], { stdio: "ignore", env: cliEnv({ CLAWTELL_LOG_LEVEL: "silent" }) });
  let gone = false;
  const exited = new Promise<number | null>((r) => daemon.once("exit", r)).finally(() => (gone = true));
  try {
    // Until the daemon says it is connected, however slow the machine (or until it has exited).
    let running: Record<string, unknown> | undefined;
    while (running?.["connected"] !== true && !gone) {
      const status = await runCli(["status", "--json", "--config", configPath]);
      running = (JSON.parse(status.stdout) as Array<Record<string, unknown>>)[0];
      if (running?.["connected"] !== true) await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).toMatchObject({ runningPid: daemon.pid, connected: true });
  } finally {
    daemon.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
  expect(existsSync(`${queueFileOf(stateDir, "default")}.lock`)).toBe(false);
});
