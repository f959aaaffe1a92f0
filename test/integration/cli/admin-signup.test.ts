// Registration with the built `clawtell` bin, as an operator runs it: a `clawtell server` process that sends no mail
// logs each link (info level), `clawtell admin pending` lists the pending registrations with their links beside the
// running server, `clawtell admin invite` makes codes for `--registration invite`, and `admin create-name` applies
// the names-per-account limit. On a data folder and on PostgreSQL; bad server flags fail with the flag named.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startDatabaseServerProcess, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { createTestSchema, postgresUnavailable, urlWithSchema } from "../../helpers/storage-backends.js";
import { api } from "../../helpers/test-server.js";

interface Pending {
  name: string;
  fullName: string;
  email: string;
  link: string;
}

async function admin(args: readonly string[]): Promise<string> {
  const result = await runCli(["admin", ...args]);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

const register = (server: { url: string }, body: Record<string, unknown>) =>
  api(server, "POST", "/api/names/register", { body: { terms_accepted: true, pp_accepted: true, ...body } });

/**
 * The operator's walk-through on one storage (`where` is `--data DIR` or `--database URL`): an invite code, a
 * registration with it, its link in the server's log and in `admin pending`, the link opened, the key polled once.
 */
async function inviteRegisterVerify(server: ServerProcess, where: readonly string[]): Promise<void> {
  const invite = JSON.parse(await admin(["invite", "--uses", "1", "--json", ...where])) as { code: string; uses: number };
  expect(invite).toEqual({ code: expect.stringMatching(/^inv_[A-Za-z0-9_-]{24}$/) as unknown, uses: 1 });
  expect((await register(server, { name: "alice", email: "alice@example.com" })).body).toMatchObject({ statusCode: 400, field: "invite" });
  const registered = await register(server, { name: "alice", email: "alice@example.com", invite: invite.code });
  expect(registered.status).toBe(200);
  expect(registered.body["message"]).toMatch(/^This server sends no mail: its operator hands the verification link for alice@example\.com on\./);
  expect((await register(server, { name: "alice-two", email: "alice@example.com", invite: invite.code })).body).toMatchObject({ statusCode: 403, field: "invite" });

  // No mail server: the link is in the log (info level), and in `admin pending`.
  await expect.poll(() => server.stderr()).toMatch(/"link":"http:\/\/127\.0\.0\.1:\d+\/api\/register\/verify\?token=/);
  const logged = /"link":"([^"]+)"/.exec(server.stderr())?.[1];
  const pending = JSON.parse(await admin(["pending", "--json", ...where])) as Pending[];
  expect(pending).toEqual([expect.objectContaining({ name: "alice", fullName: "tell/alice", email: "alice@example.com", link: logged })]);
  const table = (await admin(["pending", ...where])).trimEnd().split("\n");
  expect(table[0]).toMatch(/^NAME\s+EMAIL\s+REQUESTED\s+EXPIRES\s+LINK$/);
  expect(table[1]).toContain(`tell/alice  alice@example.com`);
  expect(table[1]).toContain(logged);

  expect((await fetch(logged ?? "")).status).toBe(200);
  const status = await api(server, "GET", `/api/register/status?token=${String(registered.body["poll_token"])}`);
  expect(status.body).toMatchObject({ status: "verified", api_key: expect.any(String) as unknown });
  expect((await api(server, "GET", "/api/me", { key: String(status.body["api_key"]) })).body).toMatchObject({ name: "alice" });
  expect(JSON.parse(await admin(["pending", "--json", ...where]))).toEqual([]);

  // The operator's own names count toward the limit too.
  const refused = await runCli(["admin", "create-name", "alice-ops", "--email", "alice@example.com", "--max-names-per-account", "1", ...where]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/email: the account of alice@example\.com has 1 names, the most this server allows per account \(1\)/);
  const created = JSON.parse(await admin(["create-name", "alice-ops", "--email", "alice@example.com", ...where])) as { name: string };
  expect(created.name).toBe("alice-ops");
  const offensive = await runCli(["admin", "create-name", "shit", "--email", "x@example.com", ...where]);
  expect(offensive.stderr).toMatch(/name: "shit" is not allowed/);

  const audit = JSON.parse(await admin(["audit", "--json", "--limit", "20", ...where])) as Array<{ action: string; actor: string; ip: string | null }>;
  expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(["invite.created", "registration.requested", "registration.verified"]));
  expect(audit.find((e) => e.action === "registration.requested")).toMatchObject({ actor: "alice@example.com", ip: "127.0.0.1" });
  expect(audit.find((e) => e.action === "invite.created")).toMatchObject({ actor: "admin" });
}

describe("registration with the clawtell bin (data folder)", () => {
  let dir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-signup-"));
    server = await startServerProcess(join(dir, "data"), ["--registration", "invite"], { env: { CLAWTELL_LOG_LEVEL: "info" } });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  // Some ten CLI processes one after the other: more than the default test time on a busy machine.
  it("invite, register, the link from the log and from admin pending, the key once; create-name within the limit", { timeout: 120_000 }, async () => {
    await inviteRegisterVerify(server, ["--data", join(dir, "data")]);
  });

  it.each([
    [["--registration", "sometimes"], /--registration: "sometimes" is not one of open, closed, invite/],
    [["--public-url", "https://tell.example.com/clawtell"], /--public-url: .* must be http\(s\):\/\/host\[:port\] with no path/],
    [["--smtp-url", "mail.example.com:25"], /--smtp-url: expected smtp:\/\/host:port/],
    [["--max-names-per-account", "0"], /--max-names-per-account: "0" is not a whole number of 1 or more/],
  ])("server %j fails before listening and names the flag", async (args, message) => {
    const result = await runCli(["server", "--port", "0", "--data", join(dir, "other"), ...args]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toMatch(/listening on/);
  });
});

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`registration on postgres: skipping: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)("registration with the clawtell bin (PostgreSQL)", () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let server: ServerProcess;
  beforeAll(async () => {
    schema = await createTestSchema();
    server = await startDatabaseServerProcess({ database: urlWithSchema(schema.schema), args: ["--registration", "invite"], env: { CLAWTELL_LOG_LEVEL: "info" } });
  });
  afterAll(async () => {
    await server?.stop();
    await schema?.drop();
  });

  it("invite, register, the link from the log and from admin pending, the key once; create-name within the limit", { timeout: 120_000 }, async () => {
    await inviteRegisterVerify(server, ["--database", urlWithSchema(schema.schema)]);
  });
});
