// The limits of `clawtell server` set from its command line and environment, on a real server process:
// --rate-limit-ip, $CLAWTELL_RATE_LIMIT_KEY (429 with an integer Retry-After and retry_after; a long poll counts once
// however long it waits) and --monthly-quota (403 CT_QUOTA_EXCEEDED); a malformed value stops the server at start.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { runCli, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { api } from "../../helpers/test-server.js";

function expectRateLimited(res: { status: number; body: Record<string, unknown>; headers: Headers }): void {
  expect(res.status).toBe(429);
  const header = res.headers.get("retry-after") ?? "";
  expect(header).toMatch(/^\d+$/);
  expect(Number(header)).toBeGreaterThanOrEqual(1);
  expect(Number(header)).toBeLessThanOrEqual(60);
  expect(res.body).toMatchObject({ statusCode: 429, code: "CT_RATE_LIMITED", retry_after: Number(header) });
}

describe("clawtell server limits from flags and environment", () => {
  let dir: string;
  let server: ServerProcess;
  let alice: CreatedName;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-limits-"));
    const created = await runCli(["admin", "create-name", "alice", "--email", "alice@example.com", "--data", dir]);
    expect(created.code, created.stderr).toBe(0);
    alice = JSON.parse(created.stdout) as CreatedName;
    server = await startServerProcess(dir, ["--rate-limit-ip", "2", "--monthly-quota", "1"], { env: { CLAWTELL_RATE_LIMIT_KEY: "5" } });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("limits the public calls per caller address with --rate-limit-ip", async () => {
    expect((await api(server, "GET", "/api/names/check?name=someone")).status).toBe(200);
    expect((await api(server, "GET", "/api/names/alice")).status).toBe(200);
    expectRateLimited(await api(server, "GET", "/api/names/check?name=someone"));
  });

  it("limits each key with $CLAWTELL_RATE_LIMIT_KEY, a long poll counting once, and sends with --monthly-quota", async () => {
    const poll = await api(server, "GET", "/api/messages/poll?timeout=2", { key: alice.apiKey });
    expect(poll.status).toBe(200);
    expect(Number(poll.body["waitedMs"])).toBeGreaterThanOrEqual(1_900);
    expect((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "alice", body: "one" } })).status).toBe(200);
    const overQuota = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "alice", body: "two" } });
    expect(overQuota.status).toBe(403);
    expect(overQuota.body).toMatchObject({ code: "CT_QUOTA_EXCEEDED", error: expect.stringMatching(/^Monthly message quota of 1 reached for \d{4}-\d{2}; it resets at \d{4}-\d{2}-01T00:00:00\.000Z$/) as unknown });
    expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
    expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
    expectRateLimited(await api(server, "GET", "/api/me", { key: alice.apiKey }));
  });

  it("refuses to start with a limit that is not a whole number, naming the flag or variable", async () => {
    const flag = await runCli(["server", "--port", "0", "--data", dir, "--rate-limit-ip", "lots"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--rate-limit-ip: "lots" is not a whole number (0 turns the limit off)');
    const env = await runCli(["server", "--port", "0", "--data", dir], { env: { CLAWTELL_MONTHLY_QUOTA: "-3" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('$CLAWTELL_MONTHLY_QUOTA: "-3" is not a whole number');
  });
});
