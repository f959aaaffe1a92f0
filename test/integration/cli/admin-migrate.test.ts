// `clawtell admin migrate`: a data folder a real server filled, moved into PostgreSQL, served there by `clawtell server --database`.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateToPostgres } from "../../../src/server/migrate-to-postgres/index.js";
import { createName, openEmbeddedStorage, openFileStore, openPostgresStorage, type CreatedName } from "../../../src/server/index.js";
import { CLI_PATH, cliEnv, runCli, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL, urlWithSchema } from "../../helpers/storage-backends.js";
import { api, TEST_BCRYPT_COST } from "../../helpers/test-server.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`admin migrate: skipping: ${unavailable}\n`);

type Schema = Awaited<ReturnType<typeof createTestSchema>>;

interface Report {
  dryRun: boolean;
  target: { state: string; problem?: string };
  tables: Array<{ table: string; rows: number; inTarget: number }>;
  fileBytes: number;
  checks?: Array<{ table: string; sourceRows: number; targetRows: number }>;
}

/** Every table a migration reports, in its order (file_contents: attachment files). */
const EVERY_TABLE = [
  "accounts",
  "names",
  "list_entries",
  "messages",
  "files",
  "profiles",
  "profile_terms",
  "audit_log",
  "approvals",
  "quota_usage",
  "account_quotas",
  "registrations",
  "invites",
  "sessions",
  "webhook_subscriptions",
  "webhook_deliveries",
  "message_receipts",
  "idempotency_keys",
  "file_contents",
];
/** The rows of the folder the first suite fills, where they do not depend on what the server wrote meanwhile. */
const EXACT_ROWS = {
  accounts: 2,
  names: 3,
  list_entries: 3,
  messages: 8,
  files: 4,
  profiles: 1,
  profile_terms: 7,
  approvals: 1,
  quota_usage: 1,
  account_quotas: 1,
  registrations: 1,
  invites: 1,
  sessions: 1,
  webhook_subscriptions: 1,
  message_receipts: 1,
  idempotency_keys: 1,
  file_contents: 5,
};

const rowsOf = (report: { tables: ReadonlyArray<{ table: string; rows: number }> }): Record<string, number> => Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));

async function query<R extends pg.QueryResultRow>(schema: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: urlWithSchema(schema) });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function count(schema: string, table: string): Promise<number> {
  const [row] = await query<{ n: string }>(schema, `SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n);
}

/** Runs `clawtell admin migrate` and kills it (SIGKILL) as soon as it reports its first batch. */
async function migrateKilledAfterFirstBatch(args: readonly string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI_PATH, "admin", "migrate", ...args], { env: cliEnv(), stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const lines = createInterface({ input: child.stderr });
  try {
    return await new Promise<string>((done, fail) => {
      lines.once("line", (line) => {
        child.kill("SIGKILL");
        done(line);
      });
      child.once("exit", (code) => fail(new Error(`the migration exited (${String(code)}) before reporting a batch`)));
    });
  } finally {
    lines.close();
    await exited;
  }
}

describe.skipIf(unavailable !== undefined)("clawtell admin migrate --to postgres://…", () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let target: ServerProcess | undefined;
  const schemas: Schema[] = [];
  let alice: CreatedName;
  let bob: CreatedName;
  let carol: CreatedName;
  /** bob's messages in the order sent; the first two are acked before the migration, the third is read. */
  const toBob: string[] = [];
  let toAlice: string;
  const files = new Map<string, Buffer>();
  const heldFile = Buffer.from("the file of a message held for approval");
  /** The messageId of a send under an Idempotency-Key. */
  let idempotent: string;

  const newSchema = async (): Promise<Schema> => {
    const schema = await createTestSchema();
    schemas.push(schema);
    return schema;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "clawtell-migrate-"));
    const storage = await openEmbeddedStorage({ dataDir });
    try {
      const { directory } = storage;
      alice = await createName(directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
      bob = await createName(directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
      carol = await createName(directory, { name: "carol", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
      // What the other stores keep, written as the server writes it: a message held for bob's approval with a file, a
      // receipt, alice's own quota (her sends are then counted), a pending sign-up, an invite, a dashboard session, and
      // alice's webhook with message.status (her sends queue deliveries, which the server tries and retries).
      const now = Date.now();
      const aliceId = (await directory.findNameByName("alice"))?.id ?? 0;
      const bobId = (await directory.findNameByName("bob"))?.id ?? 0;
      const heldFileId = await openFileStore(dataDir).save(heldFile);
      await storage.approvals.hold({
        approvalId: "apr_held",
        senderId: aliceId,
        noticeId: "ntc_held",
        expiresAt: now + 7 * 24 * 60 * 60 * 1000,
        message: {
          id: "msg_held",
          recipientId: bobId,
          recipient: "bob",
          sender: "alice",
          subject: "held",
          body: "held for bob's approval",
          threadId: "msg_held",
          replyTo: null,
          autoReplyEligible: false,
          createdAt: now,
          attachments: [{ fileId: heldFileId, filename: "held.txt", mimeType: "text/plain", size: heldFile.length }],
        },
      });
      await storage.receipts.record({ messageId: "msg_held", sender: "alice", recipient: "bob", state: "pending_approval", at: now });
      await storage.quotas.setAccountQuota(alice.accountId, 1000);
      await storage.registrations.insertRegistration({
        id: "reg_pending",
        name: "erin",
        email: "e@example.com",
        pollHash: "p".repeat(64),
        verifyHash: "v".repeat(64),
        verifyUrl: null,
        ip: "127.0.0.1",
        createdAt: now,
        expiresAt: now + 24 * 60 * 60 * 1000,
        verifiedAt: null,
        keyIssuedAt: null,
        failure: null,
      });
      await storage.registrations.insertInvite({ codeHash: "c".repeat(64), uses: 3, createdAt: now });
      await storage.sessions.insertSession({ tokenHash: "s".repeat(64), accountId: bob.accountId, createdAt: now, expiresAt: now + 30 * 24 * 60 * 60 * 1000, ip: "127.0.0.1" });
      await directory.updateNameSettings(aliceId, { webhookUrl: "https://hooks.example.invalid/alice", webhookSecret: "whsec_migrate_test" });
      await storage.webhooks.setEvents(aliceId, ["message.status"]);
    } finally {
      await storage.close();
    }
    server = await startServerProcess(dataDir);
    const ok = (res: { status: number; body: unknown }): void => expect(res.status, JSON.stringify(res.body)).toBe(200);
    ok(await api(server, "POST", "/api/allowlist", { key: bob.apiKey, body: { name: "alice" } }));
    ok(await api(server, "POST", "/api/delivery/blocklist", { key: bob.apiKey, body: { name: "mallory" } }));
    ok(await api(server, "POST", "/api/delivery/allowlist", { key: alice.apiKey, body: { name: "bob" } }));
    ok(await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "everyone_except_blocklist", communication_mode: "anyone" } }));
    // Seven search terms: the words bob, builds, things, building, development; the skill; the category.
    ok(await api(server, "PATCH", "/api/profile", { key: bob.apiKey, body: { tagline: "Bob builds", description: "Things", skills: ["Building"], categories: ["development"] } }));
    for (let i = 0; i < 6; i++) {
      const content = Buffer.from(`file ${i} `.repeat(50 + i));
      const attachments = i % 2 === 0 ? [{ filename: `f${i}.txt`, mime_type: "text/plain", data: content.toString("base64") }] : [];
      const sender = i === 4 ? carol : alice;
      const res = await api(server, "POST", "/api/messages/send", { key: sender.apiKey, body: { to: "bob", body: `to bob ${i}`, attachments } });
      ok(res);
      toBob.push(String(res.body["messageId"]));
      if (attachments.length > 0) files.set(String(res.body["messageId"]), content);
    }
    const reply = await api(server, "POST", "/api/messages/send", {
      key: bob.apiKey,
      body: { to: "alice", body: "to alice", attachments: [{ filename: "r.csv", mime_type: "text/csv", data: Buffer.from([0, 1, 2, 255]).toString("base64") }] },
    });
    ok(reply);
    toAlice = String(reply.body["messageId"]);
    const keyed = await api(server, "POST", "/api/messages/send", { key: carol.apiKey, body: { to: "alice", body: "sent once" }, headers: { "idempotency-key": "move-1" } });
    ok(keyed);
    idempotent = String(keyed.body["messageId"]);
    ok(await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: toBob.slice(0, 2) } }));
    ok(await api(server, "POST", `/api/messages/${toBob[2] ?? ""}/read`, { key: bob.apiKey }));
  });

  afterAll(async () => {
    await server?.kill();
    await target?.stop();
    for (const schema of schemas) await schema.drop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses while a server holds the data folder", async () => {
    const schema = await newSchema();
    const res = await runCli(["admin", "migrate", "--data", dataDir, "--to", urlWithSchema(schema.schema), "--dry-run"]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/in use by a clawtell server \(process \d+\); stop it before migrating/);
    // The server goes the hard way: what only its journal holds is recovered by the migration.
    await server?.kill();
    server = undefined;
  });

  it("--dry-run reports the counts and bytes and writes nothing", async () => {
    const schema = await newSchema();
    const res = await runCli(["admin", "migrate", "--data", dataDir, "--to", urlWithSchema(schema.schema), "--dry-run", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as Report;
    expect(report.dryRun).toBe(true);
    expect(report.target.state).toBe("empty");
    const rows = rowsOf(report);
    expect(Object.keys(rows)).toEqual(EVERY_TABLE);
    expect(rows).toMatchObject(EXACT_ROWS);
    // The audit log (names made, list and settings changes) and alice's status deliveries, as many as the server wrote.
    expect(rows["audit_log"]).toBeGreaterThan(3);
    expect(rows["webhook_deliveries"]).toBeGreaterThan(0);
    // The attachment files are copied as stored: sealed, a little longer than what was sent.
    const stored = await readdir(join(dataDir, "files"));
    const bytes = (await Promise.all(stored.map(async (name) => (await stat(join(dataDir, "files", name))).size))).reduce((sum, n) => sum + n, 0);
    expect(report.fileBytes).toBe(bytes);
    expect(bytes).toBeGreaterThan([...files.values()].reduce((sum, b) => sum + b.length, 0) + 4 + heldFile.length);
    const tables = await query<{ n: string }>(schema.schema, "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = $1", [schema.schema]);
    expect(Number(tables[0]?.n)).toBe(0);

    const lines = await runCli(["admin", "migrate", "--data", dataDir, "--to", urlWithSchema(schema.schema), "--dry-run"]);
    expect(lines.code, lines.stderr).toBe(0);
    expect(lines.stdout).toContain("messages: 8 in the data folder, 0 in the target");
    expect(lines.stdout).toContain("approvals: 1 in the data folder, 0 in the target");
    expect(lines.stdout).toContain("target: empty");
  });

  it("stopped part-way (a batch limit, then SIGKILL), run again, completes and verifies; once more changes nothing", async () => {
    const schema = await newSchema();
    const to = urlWithSchema(schema.schema);
    const stopped = await runCli(["admin", "migrate", "--data", dataDir, "--to", to, "--batch-size", "1", "--max-batches", "3"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("stopped after 3 batches");
    expect([await count(schema.schema, "accounts"), await count(schema.schema, "names"), await count(schema.schema, "messages")]).toEqual([2, 1, 0]);

    const partly = await runCli(["admin", "migrate", "--data", dataDir, "--to", to, "--dry-run", "--json"]);
    expect((JSON.parse(partly.stdout) as Report).target.state).toBe("partly copied");

    const firstLine = await migrateKilledAfterFirstBatch(["--data", dataDir, "--to", to, "--batch-size", "1"]);
    expect(firstLine).toMatch(/^accounts: 1 of 2$/);

    const done = await runCli(["admin", "migrate", "--data", dataDir, "--to", to, "--json"], { timeoutMs: 60_000 });
    expect(done.code, done.stderr).toBe(0);
    const report = JSON.parse(done.stdout) as Report;
    expect(report.target.state).toBe("copied");
    expect(report.checks?.map((c) => c.table)).toEqual(EVERY_TABLE);
    for (const check of report.checks ?? []) expect(check.targetRows, check.table).toBe(check.sourceRows);
    expect(Object.fromEntries((report.checks ?? []).map((c) => [c.table, c.targetRows]))).toMatchObject(EXACT_ROWS);
    // Each table's rows are in the target, as many as the dry run counted.
    for (const table of EVERY_TABLE.filter((t) => t !== "file_contents")) expect(await count(schema.schema, table), table).toBe(report.checks?.find((c) => c.table === table)?.sourceRows);

    const again = await runCli(["admin", "migrate", "--data", dataDir, "--to", to]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("verified: counts and checksums match for every table");
  });

  it("a server on the target takes the old keys, hands out the unacked messages in order with their files, keeps lists and settings", async () => {
    const schema = schemas[2] as Schema;
    // The copied content is sealed under the data folder's key: the target's servers use that key file.
    target = await startServerProcess(dataDir, ["--database", urlWithSchema(schema.schema), "--master-key-file", join(dataDir, "master.key")]);

    const me = await api(target, "GET", "/api/me", { key: bob.apiKey });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: "bob", communicationMode: "anyone", deliveryPolicy: "everyone_except_blocklist" });
    expect((await api(target, "GET", "/api/me", { key: carol.apiKey })).body["names"]).toEqual(["alice", "carol"]);
    const allow = await api(target, "GET", "/api/allowlist", { key: bob.apiKey });
    expect((allow.body["allowlist"] as Array<{ allowed_name: string }>).map((e) => e.allowed_name)).toEqual(["alice"]);
    const block = await api(target, "GET", "/api/delivery/blocklist", { key: bob.apiKey });
    expect((block.body["blocklist"] as Array<{ name: string }>).map((e) => e.name)).toEqual(["mallory"]);
    const allowed = await api(target, "GET", "/api/delivery/allowlist", { key: alice.apiKey });
    expect((allowed.body["allowlist"] as Array<{ name: string }>).map((e) => e.name)).toEqual(["bob"]);
    // The profile came along, and the directory finds it by its words there.
    expect((await api(target, "GET", "/api/names/bob")).body["profile"]).toMatchObject({ tagline: "Bob builds", skills: ["Building"] });
    const found = await api(target, "GET", "/api/directory?q=build&category=development");
    expect((found.body["agents"] as Array<{ name: string }>).map((a) => a.name)).toEqual(["bob"]);

    // A send after the move gets a seq past the copied ones: it comes last.
    const later = await api(target, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "after the move" } });
    expect(later.status).toBe(200);

    const polled = await api(target, "GET", "/api/messages/poll?timeout=0&limit=100", { key: bob.apiKey });
    const messages = polled.body["messages"] as Array<{ id: string; attachments?: Array<{ fileId: string }> }>;
    expect(messages.map((m) => m.id)).toEqual([...toBob.slice(2), String(later.body["messageId"])]);
    for (const message of messages) {
      const expected = files.get(message.id);
      const fileId = message.attachments?.[0]?.fileId;
      if (expected === undefined) {
        expect(fileId).toBeUndefined();
        continue;
      }
      const link = await api(target, "GET", `/api/files/${fileId ?? ""}`, { key: bob.apiKey });
      const url = new URL(String(link.body["signedUrl"]));
      const downloaded = await fetch(`${target.url}${url.pathname}${url.search}`);
      expect(downloaded.status).toBe(200);
      expect(Buffer.from(await downloaded.arrayBuffer()).equals(expected)).toBe(true);
    }
    // The history came along with its marks: the acked ones and the read one are read, the rest are not.
    const inbox = await api(target, "GET", "/api/messages/inbox?limit=100", { key: bob.apiKey });
    const readMarks = Object.fromEntries((inbox.body["messages"] as Array<{ id: string; read: boolean }>).map((m) => [m.id, m.read]));
    expect(readMarks).toEqual({
      ...Object.fromEntries(toBob.map((id, i) => [id, i <= 2])),
      [String(later.body["messageId"])]: false,
    });
    expect(inbox.body["unreadCount"]).toBe(4);

    const acked = await api(target, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: messages.map((m) => m.id) } });
    expect(acked.status).toBe(200);
    expect((await api(target, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).body["messages"]).toEqual([]);
    const forAlice = await api(target, "GET", "/api/messages/poll?timeout=0", { key: alice.apiKey });
    expect((forAlice.body["messages"] as Array<{ id: string }>).map((m) => m.id)).toEqual([toAlice, idempotent]);

    // A send retried under its Idempotency-Key across the move gets its first answer, not a second message.
    const retried = await api(target, "POST", "/api/messages/send", { key: carol.apiKey, body: { to: "alice", body: "sent once" }, headers: { "idempotency-key": "move-1" } });
    expect(retried.body["messageId"]).toBe(idempotent);
    // The message held for approval came along with its receipt and its file: approved there, it is delivered whole.
    expect((await api(target, "GET", "/api/messages/msg_held/status", { key: alice.apiKey })).body).toMatchObject({ status: "pending_approval" });
    const held = await api(target, "GET", "/api/approvals", { key: bob.apiKey });
    expect((held.body["approvals"] as Array<{ approvalId: string }>).map((a) => a.approvalId)).toEqual(["apr_held"]);
    expect((await api(target, "POST", "/api/approvals/apr_held/approve", { key: bob.apiKey })).status).toBe(200);
    const approved = await api(target, "GET", "/api/messages/poll?timeout=10", { key: bob.apiKey });
    const delivered = approved.body["messages"] as Array<{ id: string; attachments?: Array<{ fileId: string }> }>;
    expect(delivered.map((m) => m.id)).toEqual(["msg_held"]);
    const heldLink = await api(target, "GET", `/api/files/${delivered[0]?.attachments?.[0]?.fileId ?? ""}`, { key: bob.apiKey });
    const heldUrl = new URL(String(heldLink.body["signedUrl"]));
    expect(Buffer.from(await (await fetch(`${target.url}${heldUrl.pathname}${heldUrl.search}`)).arrayBuffer()).equals(heldFile)).toBe(true);

    // A name made after the move gets an id past the copied ones.
    const dave = await runCli(["admin", "create-name", "dave", "--email", "d@example.com", "--database", urlWithSchema(schema.schema)]);
    expect(dave.code, dave.stderr).toBe(0);
  });

  it("refuses a target that holds other data, naming the conflict, and writes nothing", async () => {
    const schema = await newSchema();
    const storage = await openPostgresStorage({ url: TEST_DATABASE_URL, schema: schema.schema });
    let zedPrefix = "";
    const alicePrefix = /^claw_([^_]+)_/.exec(alice.apiKey)?.[1] ?? "";
    try {
      await createName(storage.directory, { name: "zed", email: "z@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
      zedPrefix = (await storage.directory.findNameByName("zed"))?.keyPrefix ?? "";
    } finally {
      await storage.close();
    }
    const to = urlWithSchema(schema.schema);
    const dry = await runCli(["admin", "migrate", "--data", dataDir, "--to", to, "--dry-run", "--json"]);
    expect(dry.code).toBe(1);
    expect((JSON.parse(dry.stdout) as Report).target.state).toBe("conflict");

    const res = await runCli(["admin", "migrate", "--data", dataDir, "--to", to]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`the target database holds other data: names: the target holds id="1" (name="zed", key_prefix="${zedPrefix}")`);
    expect(res.stderr).toContain(`the data folder's is id="1" (name="alice", key_prefix="${alicePrefix}"); nothing was copied`);
    // The columns that differ are named, not their values (a key hash or a webhook secret is among them).
    expect(res.stderr).toMatch(/which is not the data folder's row \(different name, account_id, key_prefix, key_hash[a-z_, ]*\); /);
    expect([await count(schema.schema, "accounts"), await count(schema.schema, "names"), await count(schema.schema, "messages")]).toEqual([1, 1, 0]);
  });
});

describe.skipIf(unavailable !== undefined)("migrateToPostgres", () => {
  const NOW = Date.parse("2026-03-01T12:00:00Z");
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  let dataDir: string;
  let schema: Schema;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "clawtell-migrate-lib-"));
    schema = await createTestSchema();
    const storage = await openEmbeddedStorage({ dataDir });
    try {
      await createName(storage.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
      await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
      const bob = await storage.directory.findNameByName("bob");
      const message = (id: string, createdAt: number) => ({
        id,
        recipientId: bob?.id ?? 0,
        recipient: "bob",
        sender: "alice",
        subject: "",
        body: `body of ${id}`,
        threadId: id,
        replyTo: null,
        autoReplyEligible: false,
        createdAt,
        attachments: [],
      });
      await storage.messages.insert([
        message("expired", NOW - 20 * DAY),
        message("acked-long-ago", NOW - 3 * HOUR),
        message("acked-lately", NOW - 3 * HOUR),
        message("waiting", NOW - DAY),
      ]);
      await storage.messages.ack([bob?.id ?? 0], ["acked-long-ago"], NOW - 2 * HOUR);
      await storage.messages.ack([bob?.id ?? 0], ["acked-lately"], NOW - 10 * MINUTE);
    } finally {
      await storage.close();
    }
  });
  afterAll(async () => {
    await schema?.drop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it("copies what retention keeps: unacked messages younger than 14 days, acked ones acked within the hour", async () => {
    const report = await migrateToPostgres({ dataDir, to: urlWithSchema(schema.schema), now: () => NOW, dryRun: true });
    expect(rowsOf(report)).toMatchObject({ names: 2, messages: 2 });
    const done = await migrateToPostgres({ dataDir, to: urlWithSchema(schema.schema), now: () => NOW });
    expect(done.checks?.find((c) => c.table === "messages")).toMatchObject({ sourceRows: 2, targetRows: 2 });
    const ids = await query<{ id: string }>(schema.schema, "SELECT id FROM messages ORDER BY seq");
    expect(ids.map((r) => r.id)).toEqual(["acked-lately", "waiting"]);
    // A later run keeps the first run's moment: the same messages, so it ends verified, not in a conflict.
    const later = await migrateToPostgres({ dataDir, to: urlWithSchema(schema.schema), now: () => NOW + 2 * HOUR });
    expect(later.target.state).toBe("copied");
  });

  it("resumes into a target an earlier run filled, after the folder's marks moved on: the later time wins, and it verifies", async () => {
    const folder = await mkdtemp(join(tmpdir(), "clawtell-migrate-resume-"));
    const other = await createTestSchema();
    const to = urlWithSchema(other.schema);
    const at = (minutes: number): number => NOW + minutes * MINUTE;
    try {
      let bobId = 0;
      const open = () => openEmbeddedStorage({ dataDir: folder });
      let storage = await open();
      try {
        await createName(storage.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
        await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
        bobId = (await storage.directory.findNameByName("bob"))?.id ?? 0;
        const message = (id: string) => ({
          id,
          recipientId: bobId,
          recipient: "bob",
          sender: "alice",
          subject: "",
          body: `body of ${id}`,
          threadId: id,
          replyTo: null,
          autoReplyEligible: false,
          createdAt: at(-60),
          attachments: [],
        });
        await storage.messages.insert([message("first"), message("second")]);
        // Two sends held for bob's approval: their receipts are rows of their own until decided.
        for (const messageId of ["held-1", "held-2"]) await storage.receipts.record({ messageId, sender: "alice", recipient: "bob", state: "pending_approval", at: at(-60) });
      } finally {
        await storage.close();
      }
      expect((await migrateToPostgres({ dataDir: folder, to, now: () => NOW })).target.state).toBe("copied");

      // A server ran on the folder again before the next run: "first" went out (delivered), "second" was acked, and
      // bob rejected held-1.
      storage = await open();
      try {
        expect((await storage.messages.claim([bobId], { limit: 1, now: at(1), leaseUntil: at(2) })).map((m) => m.id)).toEqual(["first"]);
        expect(await storage.messages.ack([bobId], ["second"], at(3))).toHaveLength(1);
        await storage.receipts.record({ messageId: "held-1", sender: "alice", recipient: "bob", state: "rejected", at: at(3) });
      } finally {
        await storage.close();
      }
      // The target knows a time the folder does not (held-2 rejected): the later value stays.
      await query(other.schema, "UPDATE message_receipts SET rejected_at = $1 WHERE message_id = 'held-2'", [at(2)]);

      const dry = await migrateToPostgres({ dataDir: folder, to, now: () => at(60), dryRun: true });
      expect(dry.target).toEqual({ state: "partly copied" });
      const resumed = await migrateToPostgres({ dataDir: folder, to, now: () => at(60) });
      expect(resumed.target.state).toBe("copied");
      for (const check of resumed.checks ?? []) expect(check.targetChecksum, check.table).toBe(check.sourceChecksum);
      const marks = await query<{ id: string; delivered_at: string | null; acked_at: string | null }>(
        other.schema,
        "SELECT id, delivered_at, acked_at FROM messages ORDER BY seq",
      );
      expect(marks.map((m) => [m.id, m.delivered_at === null ? null : Number(m.delivered_at), m.acked_at === null ? null : Number(m.acked_at)])).toEqual([
        ["first", at(1), null],
        ["second", null, at(3)],
      ]);
      const receipts = await query<{ message_id: string; pending_approval_at: string; rejected_at: string | null }>(
        other.schema,
        "SELECT message_id, pending_approval_at, rejected_at FROM message_receipts ORDER BY message_id",
      );
      expect(receipts.map((r) => [r.message_id, Number(r.pending_approval_at), r.rejected_at === null ? null : Number(r.rejected_at)])).toEqual([
        ["held-1", at(-60), at(3)],
        ["held-2", at(-60), at(2)],
      ]);
      expect((await migrateToPostgres({ dataDir: folder, to, now: () => at(120), dryRun: true })).target).toEqual({ state: "copied" });
    } finally {
      await other.drop();
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("resumes after a server changed the folder in other ways: the folder is the truth for live tables, the dry run says what changes", async () => {
    const folder = await mkdtemp(join(tmpdir(), "clawtell-migrate-moved-on-"));
    const other = await createTestSchema();
    const to = urlWithSchema(other.schema);
    // Real time: a real server runs on the folder between the two runs.
    const T = Date.now();
    const month = new Date(T).toISOString().slice(0, 7);
    let bob: CreatedName | undefined;
    let aliceAccount = "";
    let aliceId = 0;
    let bobId = 0;
    let folderServer: ServerProcess | undefined;
    try {
      let storage = await openEmbeddedStorage({ dataDir: folder });
      try {
        const alice = await createName(storage.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
        bob = await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
        aliceAccount = alice.accountId;
        aliceId = (await storage.directory.findNameByName("alice"))?.id ?? 0;
        bobId = (await storage.directory.findNameByName("bob"))?.id ?? 0;
        const message = (id: string) => ({
          id,
          recipientId: bobId,
          recipient: "bob",
          sender: "alice",
          subject: "",
          body: `body of ${id}`,
          threadId: id,
          replyTo: null,
          autoReplyEligible: false,
          createdAt: T - 30 * MINUTE,
          attachments: [],
        });
        await storage.messages.insert([message("kept"), message("acked")]);
        await storage.messages.ack([bobId], ["acked"], T - 20 * MINUTE);
        for (const id of ["decided", "purged"]) {
          await storage.approvals.hold({ approvalId: `apr_${id}`, senderId: aliceId, noticeId: `ntc_${id}`, expiresAt: T + 7 * DAY, message: message(`held-${id}`) });
        }
        await storage.quotas.take(aliceAccount, month, 100);
        await storage.quotas.take(aliceAccount, month, 100);
        await storage.registrations.insertInvite({ codeHash: "c".repeat(64), uses: 2, createdAt: T });
        await storage.registrations.insertRegistration({
          id: "reg_expiring",
          name: "erin",
          email: "e@example.com",
          pollHash: "p".repeat(64),
          verifyHash: "v".repeat(64),
          verifyUrl: null,
          ip: "127.0.0.1",
          createdAt: T,
          expiresAt: T + HOUR,
          verifiedAt: null,
          keyIssuedAt: null,
          failure: null,
        });
        await storage.sessions.insertSession({ tokenHash: "s".repeat(64), accountId: aliceAccount, createdAt: T, expiresAt: T + HOUR, ip: "127.0.0.1" });
      } finally {
        await storage.close();
      }
      // Two webhook deliveries as the server queues them: one due tomorrow, one that failed a while ago.
      const db = new DatabaseSync(join(folder, "clawtell.db"));
      try {
        const insert = db.prepare(
          `INSERT INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at, finished_at)
           VALUES (?, ?, 'alice', 'message.status', 'kept', 'bob', ?, ?, ?, ?, ?)`,
        );
        insert.run("whd_due", aliceId, "pending", 0, T, T + DAY, null);
        insert.run("whd_done", aliceId, "failed", 3, T - HOUR, null, T - HOUR);
      } finally {
        db.close();
      }
      expect((await migrateToPostgres({ dataDir: folder, to, now: () => T })).target.state).toBe("copied");

      // A server runs on the folder: bob rejects a held message.
      folderServer = await startServerProcess(folder);
      const rejected = await api(folderServer, "POST", "/api/approvals/apr_decided/reject", { key: bob.apiKey });
      expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
      expect(await folderServer.stop()).toBe(0);
      folderServer = undefined;
      // …and, later than a test can wait, its jobs: the other held message is approved, applied and purged; retention
      // deletes the acked message and the failed delivery; the due delivery goes out; the session and the sign-up
      // expire; a send is given back; the invite is used once.
      storage = await openEmbeddedStorage({ dataDir: folder });
      try {
        // (Decided before the rejection above, so that only it is old enough to be purged.)
        await storage.approvals.decide("apr_purged", { state: "approved", at: T - MINUTE, by: "bob" });
        await storage.approvals.markApplied("apr_purged", T - MINUTE);
        expect(await storage.approvals.purge(T)).toBe(1);
        expect((await storage.messages.purge(T + 2 * HOUR, T - 14 * DAY)).acked).toBe(1);
        expect((await storage.webhooks.claimDue({ now: T + DAY, limit: 10, leaseUntil: T + DAY + MINUTE })).map((d) => d.id)).toEqual(["whd_due"]);
        await storage.webhooks.recordAttempt("whd_due", { at: T + DAY, status: "delivered", attempted: true, statusCode: 200, error: null, nextAttemptAt: null });
        expect(await storage.webhooks.purge(T)).toBe(1);
        expect((await storage.sessions.purgeSessions(T + 2 * HOUR)).sessions).toBe(1);
        expect(await storage.registrations.purgeRegistrations(T + 2 * HOUR)).toBe(1);
        await storage.quotas.giveBack(aliceAccount, month);
        expect(await storage.registrations.useInvite("c".repeat(64))).toBe(true);
      } finally {
        await storage.close();
      }

      // The dry run says what a run would overwrite and remove, and writes nothing.
      const dry = await migrateToPostgres({ dataDir: folder, to, now: () => T + 3 * DAY, dryRun: true });
      expect(dry.target).toEqual({ state: "partly copied" });
      const changes = Object.fromEntries(dry.tables.filter((t) => t.overwrite + t.remove > 0).map((t) => [t.table, [t.overwrite, t.remove]]));
      // The server seals plain content it finds at rest: "kept" is then a changed row too.
      const folderDb = new DatabaseSync(join(folder, "clawtell.db"));
      const keptSubject = folderDb.prepare("SELECT subject FROM messages WHERE id = 'kept'").get()?.["subject"];
      folderDb.close();
      const keptSealed = typeof keptSubject === "string" && keptSubject.startsWith("ctseal1:") ? 1 : 0;
      expect(changes).toMatchObject({
        messages: [keptSealed, 1],
        approvals: [1, 1],
        quota_usage: [1, 0],
        invites: [1, 0],
        registrations: [0, 1],
        sessions: [0, 1],
        webhook_deliveries: [1, 1],
      });
      expect([await count(other.schema, "sessions"), await count(other.schema, "webhook_deliveries")]).toEqual([1, 2]);
      const lines = await runCli(["admin", "migrate", "--data", folder, "--to", to, "--dry-run"]);
      expect(lines.code, lines.stderr).toBe(0);
      expect(lines.stdout).toMatch(/^approvals: \d+ in the data folder, \d+ in the target \(1 to overwrite, 1 to remove\)$/m);

      const resumed = await migrateToPostgres({ dataDir: folder, to, now: () => T + 3 * DAY });
      expect(resumed.target.state).toBe("copied");
      for (const check of resumed.checks ?? []) {
        expect(check.targetRows, check.table).toBe(check.sourceRows);
        expect(check.targetChecksum, check.table).toBe(check.sourceChecksum);
      }
      expect((await query<{ id: string }>(other.schema, "SELECT id FROM messages WHERE id IN ('kept', 'acked') ORDER BY seq")).map((r) => r.id)).toEqual(["kept"]);
      const approvals = await query<{ approval_id: string; state: string }>(other.schema, "SELECT approval_id, state FROM approvals ORDER BY approval_id");
      expect(approvals.map((a) => [a.approval_id, a.state])).toEqual([["apr_decided", "rejected"]]);
      expect((await query<{ used: string }>(other.schema, "SELECT used FROM quota_usage")).map((r) => Number(r.used))).toEqual([1]);
      expect((await query<{ uses_left: string }>(other.schema, "SELECT uses_left FROM invites")).map((r) => Number(r.uses_left))).toEqual([1]);
      const deliveries = await query<{ id: string; status: string }>(other.schema, "SELECT id, status FROM webhook_deliveries ORDER BY id");
      expect(deliveries.map((d) => [d.id, d.status])).toEqual([["whd_due", "delivered"]]);
      expect([await count(other.schema, "sessions"), await count(other.schema, "registrations")]).toEqual([0, 0]);
      // Once more: nothing left to change.
      const again = await migrateToPostgres({ dataDir: folder, to, now: () => T + 4 * DAY, dryRun: true });
      expect(again.target).toEqual({ state: "copied" });
      expect(again.tables.every((t) => t.overwrite === 0 && t.remove === 0)).toBe(true);
    } finally {
      await folderServer?.kill();
      await other.drop();
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);

  it("fails verification, naming the table, when the target changed under the copy", async () => {
    const other = await createTestSchema();
    try {
      const to = urlWithSchema(other.schema);
      const run = migrateToPostgres({
        dataDir,
        to,
        now: () => NOW,
        onProgress: async (p) => {
          if (p.table === "messages") await query(other.schema, "UPDATE names SET communication_mode = 'manual_only' WHERE name = 'alice'");
        },
      });
      await expect(run).rejects.toThrow("verification failed: names: same count (2) but the contents differ");
    } finally {
      await other.drop();
    }
  });
});
