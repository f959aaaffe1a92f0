// The shipped systemd unit of the server: it runs the bin itself (never npx, which passes no signals on) with flags
// the server takes, the server it starts binds 127.0.0.1 and is ready, and it stops with exit code 0 on the SIGTERM
// that `systemctl stop` sends to its pid.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { unitSection } from "../../helpers/systemd-unit.js";
import { CLI_PATH, cliEnv } from "../../helpers/cli-process.js";

const root = resolve(import.meta.dirname, "../../..");
const UNIT_FILE = "deploy/clawtell-server.service";


let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-server-unit-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("ships a server unit that runs the bin directly, serves on 127.0.0.1 and stops cleanly by its pid", { timeout: 60_000 }, async () => {
  const service = unitSection(readFileSync(resolve(root, UNIT_FILE), "utf8"), "Service");
  const get = (key: string): string | undefined => service.find(([k]) => k === key)?.[1];
  expect(get("KillSignal")).toBe("SIGTERM");
  expect(get("Type")).toBe("simple");
  expect(get("StateDirectory")).toBe("clawtell-server");
  const [bin, command, ...flags] = (get("ExecStart") ?? "").split(/\s+/);
  expect(bin).toMatch(/\/clawtell$/);
  expect(command).toBe("server");
  expect(flags).toEqual(["--host", "127.0.0.1", "--port", "8787", "--trust-proxy", "127.0.0.1", "--data", "/var/lib/clawtell-server"]);

  // The unit's command line, with any free port and this test's data folder in place of the unit's.
  const args = flags.map((flag) => (flag === "8787" ? "0" : flag === "/var/lib/clawtell-server" ? dir : flag));
  const server = spawn(process.execPath, [CLI_PATH, "server", ...args], { stdio: ["ignore", "pipe", "ignore"], env: cliEnv({ CLAWTELL_LOG_LEVEL: "silent" }) });
  const exited = new Promise<number | null>((r) => server.once("exit", r));
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      let out = "";
      server.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1] !== undefined) resolveUrl(match[1]);
      });
      void exited.then((code) => reject(new Error(`server exited with ${String(code)}`)));
    });
    expect(new URL(url).hostname).toBe("127.0.0.1");
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
  } finally {
    server.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
});
