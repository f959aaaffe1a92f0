// The built `clawtell` bin as a child process: `server` and `admin create-name`, their output, exit codes and errors.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { unsupportedNode } from "../../../src/infra/node-support.js";
import { CLI_PATH, runCli, startServerProcess } from "../../helpers/cli-process.js";
import { api } from "../../helpers/test-server.js";

describe("clawtell CLI", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-cli-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("server prints the real listening URL first and, on a fresh data folder, how to create a first name", async () => {
    // As an installed bin: not started by an npm script of this package.
    const server = await startServerProcess(join(dir, "data"), [], { env: { CLAWTELL_LOG_LEVEL: "info", npm_package_name: "" } });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.url).not.toMatch(/:0$/);
      const lines = server.stdout().trimEnd().split("\n");
      expect(lines[0]).toBe(`listening on ${server.url}`);
      expect(lines[2]).toBe(`create a first name: clawtell admin create-name <name> --email <email> --data ${join(dir, "data")}`);
      expect((await api(server, "GET", "/health")).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // Logs are pino JSON lines on stderr, never on stdout.
    expect(server.stderr()).toMatch(/"msg":"server listening"/);
    expect(server.stdout()).not.toContain('"msg"');
  });

  /** A Node.js older than the package's on this machine (the distribution's), to run the bin with. */
  const olderNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
    if (!existsSync(path)) return false;
    const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout.trim();
    return unsupportedNode(version) !== undefined;
  });
  it.skipIf(olderNode === undefined)("says which Node.js it needs when started on an older one (run where the machine has one)", () => {
    const started = spawnSync(olderNode ?? "", [CLI_PATH, "--help"], { encoding: "utf8" });
    expect(started.status).toBe(1);
    expect(started.stderr).toMatch(/^error: clawtell needs Node\.js \d+\.\d+\.\d+ or newer; this is Node\.js \d+\.\d+\.\d+\n$/);
  });

  it("serves the built dashboard from the bundle, its page and the files it loads", async () => {
    const server = await startServerProcess(join(dir, "data"));
    try {
      const page = await fetch(`${server.url}/dashboard`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1] ?? "");
      expect(assets.length, html.slice(0, 500)).toBeGreaterThan(0);
      for (const asset of assets) expect((await fetch(`${server.url}${asset}`)).status, asset).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("under `npm start` in a checkout, where the bin is not on the PATH, hints `npx clawtell`", async () => {
    const server = await startServerProcess(join(dir, "data"), [], { env: { npm_package_name: "openclaw-clawtell" } });
    expect(await server.stop()).toBe(0);
    expect(server.stdout()).toContain("create a first name: npx clawtell admin create-name <name> --email <email>");
  });

  it("on a data folder in use before, prints only the listening line, and stops cleanly on SIGINT", async () => {
    await (await startServerProcess(dir)).stop();
    const again = await startServerProcess(dir);
    const code = await again.stop("SIGINT");
    expect(again.stdout()).toBe(`listening on ${again.url}\n`);
    expect(code).toBe(0);
  });

  it("admin create-name prints one JSON object and puts names of one email into one account", async () => {
    const first = await runCli(["admin", "create-name", "tell/Alice", "--email", "owner@example.com", "--data", dir]);
    expect(first.code).toBe(0);
    expect(first.stdout.trimEnd().split("\n")).toHaveLength(1);
    const alice = JSON.parse(first.stdout) as Record<string, string>;
    expect(Object.keys(alice).sort()).toEqual(["accountId", "apiKey", "fullName", "name"]);
    expect(alice).toMatchObject({ name: "alice", fullName: "tell/alice" });
    expect(alice["apiKey"]).toMatch(/^claw_[a-z0-9]+_\S+$/);
    const helper = JSON.parse((await runCli(["admin", "create-name", "helper", "--email", "OWNER@example.com", "--data", dir])).stdout) as Record<string, string>;
    expect(helper["accountId"]).toBe(alice["accountId"]);
    const stranger = JSON.parse((await runCli(["admin", "create-name", "stranger", "--email", "other@example.com", "--data", dir])).stdout) as Record<string, string>;
    expect(stranger["accountId"]).not.toBe(alice["accountId"]);
  });

  it("creates a name while the server runs, and the running server accepts its key", async () => {
    const server = await startServerProcess(dir);
    try {
      const created = await runCli(["admin", "create-name", "late", "--email", "late@example.com", "--data", dir]);
      expect(created.code).toBe(0);
      const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
      const me = await api(server, "GET", "/api/me", { key: apiKey });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ name: "late" });
      expect((await api(server, "GET", "/api/me", { key: `${apiKey.slice(0, -2)}xx` })).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it("finds the data folder in CLAWTELL_DATA_DIR, else in ./.clawtell-data of the working directory", async () => {
    const fromEnv = join(dir, "env-data");
    expect((await runCli(["admin", "create-name", "envname", "--email", "e@example.com"], { env: { CLAWTELL_DATA_DIR: fromEnv } })).code).toBe(0);
    expect(existsSync(join(fromEnv, "clawtell.db"))).toBe(true);
    const cwd = join(dir, "work");
    await mkdir(cwd);
    expect((await runCli(["admin", "create-name", "cwdname", "--email", "c@example.com"], { cwd, env: { CLAWTELL_DATA_DIR: undefined } })).code).toBe(0);
    expect(existsSync(join(cwd, ".clawtell-data", "clawtell.db"))).toBe(true);
  });

  it.each([
    [["admin", "create-name", "a", "--email", "x@example.com"], /^error: name: "a" must be at least 2 characters/],
    [["admin", "create-name", "admin", "--email", "x@example.com"], /^error: name: "admin" is reserved/],
    [["admin", "create-name", "Bad_Name", "--email", "x@example.com"], /^error: name: "bad_name" may contain only/],
    [["admin", "create-name", "okname", "--email", "not-an-email"], /^error: email: "not-an-email" is not an email address/],
    [["admin", "create-name", "okname"], /^error: required option '--email <email>' not specified/],
    [["server", "--port", "99999"], /^error: --port: "99999" is not a port number/],
    [["server", "--port", "0", "--host", "nonexistent.invalid"], /^error: --host: "nonexistent.invalid" does not resolve/],
    [["server", "--visibility-timeout", "0"], /^error: --visibility-timeout: "0" is not a number of seconds \(1–3600\)/],
    [["server", "--visibility-timeout", "1.5"], /^error: --visibility-timeout: "1.5" is not a number of seconds/],
    [["no-such-command"], /^error: unknown command 'no-such-command'/],
  ])("refuses bad input with one clear line and exit code 2 (%j)", async (args, message) => {
    const result = await runCli([...args, "--data", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stdout).toBe("");
  });

  it("hands an unacked message out again after --visibility-timeout seconds", async () => {
    const server = await startServerProcess(join(dir, "data"), ["--visibility-timeout", "1"]);
    try {
      const created = await runCli(["admin", "create-name", "bob", "--email", "bob@example.com", "--data", join(dir, "data")]);
      const bob = JSON.parse(created.stdout) as { apiKey: string };
      await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "bob", body: "note to self" } });
      const poll = async (): Promise<unknown[]> => (await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).body["messages"] as unknown[];
      const handedOutAt = Date.now();
      expect(await poll()).toHaveLength(1);
      expect(await poll()).toHaveLength(0);
      let again: unknown[] = [];
      while (again.length === 0 && Date.now() - handedOutAt < 5_000) {
        await new Promise((r) => setTimeout(r, 100));
        again = await poll();
      }
      expect(again).toHaveLength(1);
      expect(Date.now() - handedOutAt).toBeGreaterThanOrEqual(1_000);
    } finally {
      await server.stop();
    }
  });

  it("refuses a data folder it cannot create, naming --data", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "");
    const result = await runCli(["admin", "create-name", "okname", "--email", "x@example.com", "--data", join(file, "sub")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --data: cannot use .*a-file\/sub: a parent is not a folder\n$/);
  });

  it("refuses a port in use with one line naming --port", async () => {
    const server = await startServerProcess(dir);
    try {
      const port = new URL(server.url).port;
      const second = await runCli(["server", "--port", port, "--data", join(dir, "second")]);
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(new RegExp(`^error: --port: 127\\.0\\.0\\.1:${port} is already in use`));
      expect(second.stderr.trimEnd().split("\n")).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it("refuses a taken name", async () => {
    await runCli(["admin", "create-name", "taken", "--email", "a@example.com", "--data", dir]);
    const again = await runCli(["admin", "create-name", "taken", "--email", "b@example.com", "--data", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/"taken" is already taken/);
  });

  it("explains itself with --help", async () => {
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: clawtell/);
    expect(top.stdout).toMatch(/server .*run the embedded ClawTell-compatible server/);
    const create = await runCli(["admin", "create-name", "--help"]);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/--email <email> +owner email/);
    expect(create.stdout).toMatch(/clawtell admin create-name alice --email you@example.com/);
  });

  it("prints the package's version with --version and -V", async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, "../../../package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const printed = await runCli([flag]);
      expect(printed.code, flag).toBe(0);
      expect(printed.stdout.trim(), flag).toBe(version);
    }
  });
});
