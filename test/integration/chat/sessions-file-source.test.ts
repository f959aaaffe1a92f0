// The legacy sessions.json source: real files in a temp state dir, watched with chokidar.
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSessionsFileSource, sessionsFilePath, type SessionsFileSource } from "../../../src/chat/index.js";
import { createLogger } from "../../../src/infra/index.js";

const row = (to: string, updatedAt: number): Record<string, unknown> => ({ updatedAt, deliveryContext: { channel: "telegram", to, accountId: "default" } });

describe("sessions.json source", () => {
  let stateDir: string;
  let source: SessionsFileSource;
  let logLines: string[];

  /** Writes like OpenClaw does: a temp file renamed over the target. */
  const writeSessions = async (agentId: string, content: unknown): Promise<void> => {
    const path = sessionsFilePath(stateDir, agentId);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, typeof content === "string" ? content : JSON.stringify(content));
    await rename(`${path}.tmp`, path);
  };

  /** Waits until the watcher is up, after which only it can notice changes (the one re-read at its start is done). */
  const watching = async (count = 1): Promise<void> =>
    vi.waitFor(() => expect(logLines.filter((l) => l.includes("watching sessions.json"))).toHaveLength(count), { timeout: 5000, interval: 10 });

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "clawtell-sessions-"));
    logLines = [];
    source = createSessionsFileSource(stateDir, createLogger({ level: "debug", destination: { write: (line: string) => void logLines.push(line) } }), { writeSettleMs: 20 });
  });

  afterEach(async () => {
    await source.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("reads the agent's file and follows changes", async () => {
    await writeSessions("main", { "agent:main:main": row("telegram:111", 1), "agent:main:cron": { updatedAt: 5, lastChannel: "webchat", lastTo: "x" } });
    expect(await source.resolve("main")).toEqual({ channel: "telegram", to: "telegram:111", accountId: "default" });
    await watching();
    await writeSessions("main", { "agent:main:main": row("telegram:111", 1), "agent:main:telegram:default:direct:222": row("telegram:222", 2) });
    await vi.waitFor(async () => expect(await source.resolve("main")).toMatchObject({ to: "telegram:222" }), { timeout: 5000, interval: 20 });
    // In-place writes are seen as well.
    await writeFile(sessionsFilePath(stateDir, "main"), JSON.stringify({ x: row("telegram:333", 3) }));
    await vi.waitFor(async () => expect(await source.resolve("main")).toMatchObject({ to: "telegram:333" }), { timeout: 5000, interval: 20 });
  });

  it("keeps the last good chat when the file turns corrupt, and logs it", async () => {
    await writeSessions("main", { a: row("telegram:111", 1) });
    expect(await source.resolve("main")).toMatchObject({ to: "telegram:111" });
    await watching();
    await writeSessions("main", '{ "a": { "updatedAt": 2, "deliveryCon');
    await vi.waitFor(() => expect(logLines.join("")).toContain("not valid JSON"), { timeout: 5000, interval: 20 });
    expect(await source.resolve("main")).toMatchObject({ to: "telegram:111" });
    expect(logLines.join("")).not.toContain("deliveryCon"); // the content is not logged
    await writeSessions("main", { a: row("telegram:444", 4) });
    await vi.waitFor(async () => expect(await source.resolve("main")).toMatchObject({ to: "telegram:444" }), { timeout: 5000, interval: 20 });
  });

  it("knows no chat for a missing file, finds it once it appears, and forgets it when deleted", async () => {
    expect(await source.resolve("helper")).toBeUndefined();
    await writeSessions("helper", { a: row("telegram:9", 1) });
    expect(await source.resolve("helper")).toMatchObject({ to: "telegram:9" });
    await watching();
    await unlink(sessionsFilePath(stateDir, "helper"));
    await vi.waitFor(async () => expect(await source.resolve("helper")).toBeUndefined(), { timeout: 5000, interval: 20 });
  });

  it("keeps agents apart", async () => {
    await writeSessions("main", { a: row("telegram:1", 1) });
    await writeSessions("ops", { a: row("telegram:2", 1) });
    expect([await source.resolve("main"), await source.resolve("ops")]).toMatchObject([{ to: "telegram:1" }, { to: "telegram:2" }]);
    // An id that would climb out of the agents folder is never read (here it would reach main's file).
    expect(await source.resolve("ops/../main")).toBeUndefined();
  });
});
