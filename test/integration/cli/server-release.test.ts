// The bundled `clawtell server` carries its own release: package.json's version, CHANGELOG.md and the skill are inside
// dist/bundle/cli.js (put there at build time), answered by /api/updates, /changelog, /api/agents-md and /join.
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, runCli, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { api } from "../../helpers/test-server.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };

describe("the bundled server's release", () => {
  let dataDir: string;
  let bundleDir: string;
  let server: ServerProcess | undefined;
  let apiKey: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "clawtell-release-"));
    // The bundle alone, away from the package: nothing is read from beside it.
    bundleDir = await mkdtemp(join(tmpdir(), "clawtell-bundle-"));
    await cp(resolve(CLI_PATH, ".."), bundleDir, { recursive: true });
    const created = await runCli(["admin", "create-name", "alice", "--email", "a@example.com", "--data", dataDir]);
    expect(created.code, created.stderr).toBe(0);
    apiKey = String((JSON.parse(created.stdout) as { apiKey: string }).apiKey);
    server = await startServerProcess(dataDir, [], { cliPath: join(bundleDir, "cli.js") });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(bundleDir, { recursive: true, force: true });
  });

  it("reports package.json's version in /api/updates and the /join headers", async () => {
    const running = server ?? expect.fail("server started");
    const updates = await api(running, "GET", "/api/updates", { key: apiKey });
    expect(updates.body["latestVersions"]).toEqual({ python: null, javascript: null, skill: manifest.version, plugin: manifest.version, server: manifest.version });
    const join = await fetch(`${running.url}/join`);
    expect(join.headers.get("x-skill-version")).toBe(manifest.version);
    expect(await join.text()).toContain(`${running.url}/api/names/check`);
  });

  it("answers CHANGELOG.md and the skill as they were at build time", async () => {
    const running = server ?? expect.fail("server started");
    expect(await (await fetch(`${running.url}/changelog?format=md`)).text()).toBe(await readFile(join(ROOT, "CHANGELOG.md"), "utf8"));
    const skill = await readFile(join(ROOT, "skills/clawtell/SKILL.md"), "utf8");
    expect(await (await fetch(`${running.url}/api/agents-md`)).text()).toBe(skill.replace(/^---\n[\s\S]*?\n---\n+/, ""));
  });
});
