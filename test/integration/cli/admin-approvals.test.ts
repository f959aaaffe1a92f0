// `clawtell admin approvals|approve|reject|set-quota|quota` as real processes of the built bin, beside a running
// `clawtell server` process: on a data folder (the CLI records the decision in SQLite, the server applies it) and on
// PostgreSQL. An approval made by the CLI wakes a long poll parked on the server within its look interval.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { runCli, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { createTestSchema, postgresUnavailable, urlWithSchema } from "../../helpers/storage-backends.js";
import { api } from "../../helpers/test-server.js";

type Json = Record<string, unknown>;

async function admin(args: readonly string[]): Promise<string> {
  const result = await runCli(["admin", ...args]);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The approval flow, on whatever storage `where` names (`--data DIR` or `--database URL`). */
function approvalFlow(setup: () => { server: ServerProcess; where: readonly string[] }): void {
  let alice: CreatedName;
  let bob: CreatedName;
  const at = (): readonly string[] => setup().where;
  const server = (): ServerProcess => setup().server;
  const send = (body: Json) => api(server(), "POST", "/api/messages/send", { key: alice.apiKey, body });

  beforeAll(async () => {
    alice = JSON.parse(await admin(["create-name", "alice", "--email", "alice@example.com", ...at()])) as CreatedName;
    bob = JSON.parse(await admin(["create-name", "bob", "--email", "bob@example.com", ...at()])) as CreatedName;
    await admin(["set", "bob", "--policy", "approval_required", ...at()]);
  });

  it("approvals lists the held messages; approve makes the running server deliver, waking a parked long poll", async () => {
    const held = await send({ to: "bob", body: "through the operator", subject: "Operator, please" });
    expect(held.status).toBe(202);
    const id = String(held.body["approvalId"]);
    const listed = JSON.parse(await admin(["approvals", ...at(), "--json"])) as Json[];
    expect(listed).toEqual([
      {
        approvalId: id,
        from: "tell/alice",
        to: "tell/bob",
        subject: "Operator, please",
        body: "through the operator",
        attachments: 0,
        createdAt: held.body["sentAt"],
        expiresAt: held.body["expiresAt"],
      },
    ]);
    const table = (await admin(["approvals", ...at()])).trimEnd().split("\n");
    expect(table[0]).toMatch(/^ID\s+FROM\s+TO\s+SUBJECT\s+FILES\s+SENT\s+EXPIRES$/);
    expect(table[1]).toContain(`${id}  tell/alice  tell/bob  Operator, please`);
    expect(JSON.parse(await admin(["approvals", "--account", "alice@example.com", ...at(), "--json"]))).toEqual([]);

    const parked = api(server(), "GET", "/api/messages/poll?timeout=25", { key: bob.apiKey });
    await expect.poll(async () => (await api(server(), "GET", "/health")).body["waiting"]).toBeGreaterThanOrEqual(1);
    expect(await admin(["approve", id, ...at()])).toBe(
      `approved ${id}: tell/alice → tell/bob ("Operator, please"); a running server delivers it within a second\n`,
    );
    const woken = await parked;
    expect((woken.body["messages"] as Json[]).map((m) => [m["from"], m["body"]])).toEqual([["tell/alice", "through the operator"]]);
    expect(Number(woken.body["waitedMs"])).toBeLessThan(25_000);
    expect(JSON.parse(await admin(["approvals", ...at(), "--json"]))).toEqual([]);
    // Decided already: the same decision answers again, the other one is refused.
    expect(JSON.parse(await admin(["approve", id, ...at(), "--json"]))).toMatchObject({ approvalId: id, status: "approved" });
    const conflict = await runCli(["admin", "reject", id, ...at()]);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toContain(`approval ${id} was already approved`);
  });

  it("reject makes the running server tell the sender with a notice, and is audited as the operator's", async () => {
    const held = await send({ to: "bob", body: "spam", subject: "Deal" });
    const id = String(held.body["approvalId"]);
    const parked = api(server(), "GET", "/api/messages/poll?timeout=25", { key: alice.apiKey });
    await expect.poll(async () => (await api(server(), "GET", "/health")).body["waiting"]).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(await admin(["reject", id, "--reason", "no deals", ...at(), "--json"]))).toEqual({
      approvalId: id,
      status: "rejected",
      from: "tell/alice",
      to: "tell/bob",
      subject: "Deal",
    });
    const [notice] = (await parked).body["messages"] as Json[];
    expect(notice).toMatchObject({ from: "tell/bob", to_name: "alice", subject: "Not delivered, not approved: Deal" });
    expect(String(notice?.["body"])).toContain("Reason given: no deals");
    expect((await api(server(), "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).body["messages"]).toEqual([]);
    const audit = JSON.parse(await admin(["audit", "--name", "bob", ...at(), "--json"])) as Json[];
    expect(audit.filter((e) => String(e["action"]).startsWith("approval.")).map((e) => [e["action"], e["actor"], e["ip"]])).toEqual([
      ["approval.rejected", "admin", null],
      ["approval.approved", "admin", null],
    ]);
  });

  it("approve refuses an unknown id (exit code 2, CT_NOT_FOUND)", async () => {
    const unknown = await runCli(["admin", "approve", "apr_unknown", ...at()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: CT_NOT_FOUND: approval apr_unknown not found");
  });

  it("set-quota gives an account its own quota, which the running server applies within seconds", async () => {
    const report = JSON.parse(await admin(["set-quota", "alice@example.com", "2", ...at(), "--json"])) as Json;
    expect(report).toMatchObject({ accountId: alice.accountId, email: "alice@example.com", quota: 2, used: 0 });
    // The server reads an account's quota again every few seconds: sends go through until it has.
    await expect.poll(async () => (await send({ to: "alice", body: "to myself" })).status, { timeout: 15_000, interval: 200 }).toBe(403);
    // The embedded server writes its counts to the file every 200 ms.
    await expect.poll(async () => JSON.parse(await admin(["quota", alice.accountId, ...at(), "--json"])) as Json).toMatchObject({ quota: 2, used: 2 });
    const table = await admin(["quota", "alice@example.com", ...at()]);
    expect(table).toMatch(/monthly quota\s+2\n/);
    await admin(["set-quota", "alice@example.com", "default", ...at()]);
    await expect.poll(async () => (await send({ to: "alice", body: "free again" })).status, { timeout: 15_000, interval: 200 }).toBe(200);
    const bad = await runCli(["admin", "set-quota", "alice@example.com", "lots", ...at()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('quota: "lots" is not a whole number of 1 or more, "unlimited" or "default"');
  });
}

describe("clawtell admin approvals beside a running server (data folder)", () => {
  let dir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-approvals-"));
    server = await startServerProcess(dir);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  approvalFlow(() => ({ server, where: ["--data", dir] }));
});

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`admin approvals on postgres: skipping: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)("clawtell admin approvals beside a running server (PostgreSQL)", () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let dir: string;
  let database: string;
  let server: ServerProcess;
  beforeAll(async () => {
    schema = await createTestSchema();
    database = urlWithSchema(schema.schema);
    dir = await mkdtemp(join(tmpdir(), "clawtell-approvals-unused-"));
    server = await startServerProcess(dir, ["--database", database]);
  });
  afterAll(async () => {
    await server?.stop();
    await schema?.drop();
    await rm(dir, { recursive: true, force: true });
  });
  approvalFlow(() => ({ server, where: ["--database", database] }));
});
