import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, startServerProcess } from "../../helpers/cli-process.js";
import { api } from "../../helpers/test-server.js";

describe("clawtell CLI", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-cli-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("server prints the real listening URL and, on a fresh data folder, how to create a first name", async () => {
    const server = await startServerProcess(join(dir, "data"));
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.url).not.toMatch(/:0$/);
      expect(server.stdout()).toContain("clawtell admin create-name <name> --email <email>");
      expect((await api(server, "GET", "/health")).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("admin create-name prints one JSON object and puts names of one email into one account", async () => {
    const first = await runCli(["admin", "create-name", "tell/Alice", "--email", "owner@example.com", "--data", dir]);
    expect(first.code).toBe(0);
    const alice = JSON.parse(first.stdout) as Record<string, string>;
    expect(Object.keys(alice).sort()).toEqual(["accountId", "apiKey", "fullName", "name"]);
    expect(alice).toMatchObject({ name: "alice", fullName: "tell/alice" });
    expect(alice["apiKey"]).toMatch(/^claw_[a-z0-9]+_\S+$/);
    const helper = JSON.parse((await runCli(["admin", "create-name", "helper", "--email", "OWNER@example.com", "--data", dir])).stdout) as Record<string, string>;
    expect(helper["accountId"]).toBe(alice["accountId"]);
  });

  it("creates a name while the server runs, and the running server accepts its key", async () => {
    const server = await startServerProcess(dir);
    try {
      const created = await runCli(["admin", "create-name", "late", "--email", "late@example.com", "--data", dir]);
      const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
      const me = await api(server, "GET", "/api/me", { key: apiKey });
      expect(me.body).toMatchObject({ name: "late" });
    } finally {
      await server.stop();
    }
  });

  it.each([
    [["admin", "create-name", "a", "--email", "x@example.com"], /name: "a" must be at least 2 characters/],
    [["admin", "create-name", "admin", "--email", "x@example.com"], /name: "admin" is reserved/],
    [["admin", "create-name", "Bad_Name", "--email", "x@example.com"], /name: "bad_name" may contain only/],
    [["admin", "create-name", "okname", "--email", "not-an-email"], /email: "not-an-email" is not an email address/],
    [["admin", "create-name", "okname"], /required option '--email <email>'/],
    [["server", "--port", "99999"], /--port: "99999" is not a port number/],
  ])("refuses bad input with one clear line and exit code 2 (%j)", async (args, message) => {
    const result = await runCli([...args, "--data", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses a taken name", async () => {
    await runCli(["admin", "create-name", "taken", "--email", "a@example.com", "--data", dir]);
    const again = await runCli(["admin", "create-name", "taken", "--email", "b@example.com", "--data", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/"taken" is already taken/);
  });
});
