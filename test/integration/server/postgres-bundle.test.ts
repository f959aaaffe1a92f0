// The shipped bin on PostgreSQL: two `clawtell server --database` processes serve the same accounts from one database.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createName, openPostgresStorage, type CreatedName, type PostgresStorage } from "../../../src/server/index.js";
import { runCli, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL, urlWithSchema } from "../../helpers/storage-backends.js";
import { api, TEST_BCRYPT_COST } from "../../helpers/test-server.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres bundle: skipping: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)("clawtell server --database", () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let unusedDataDir: string;
  let admin: PostgresStorage;
  const servers: ServerProcess[] = [];
  let alice: CreatedName;
  let bob: CreatedName;

  beforeAll(async () => {
    schema = await createTestSchema();
    unusedDataDir = await mkdtemp(join(tmpdir(), "clawtell-unused-"));
    const database = urlWithSchema(schema.schema);
    // Two processes start at once on an empty database: the migrations run once, under their lock.
    servers.push(...(await Promise.all([0, 1].map(() => startServerProcess(unusedDataDir, ["--database", database])))));
    admin = await openPostgresStorage({ url: TEST_DATABASE_URL, schema: schema.schema });
    alice = await createName(admin.directory, { name: "alice", email: "alice@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
    // The operator's way: `clawtell admin create-name --database`.
    const created = await runCli(["admin", "create-name", "bob", "--email", "bob@example.com", "--database", database]);
    expect(created.code, created.stderr).toBe(0);
    bob = JSON.parse(created.stdout) as CreatedName;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await admin?.close();
    await schema?.drop();
    await rm(unusedDataDir, { recursive: true, force: true });
  });

  it("takes a send on one process and hands it out, with its file, on the other; the ack there holds for both", async () => {
    const [one, two] = servers as [ServerProcess, ServerProcess];
    const content = Buffer.from("shared bytes");
    const sent = await api({ url: one.url }, "POST", "/api/messages/send", {
      key: alice.apiKey,
      body: { to: "bob", body: "hello from one", attachments: [{ filename: "a.txt", mime_type: "text/plain", data: content.toString("base64") }] },
    });
    expect(sent.status).toBe(200);

    const polled = await api({ url: two.url }, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect(polled.status).toBe(200);
    const messages = polled.body["messages"] as Array<{ id: string; body: string; attachments: Array<{ fileId: string }> }>;
    expect(messages.map((m) => [m.id, m.body])).toEqual([[sent.body["messageId"], "hello from one"]]);
    // Leased on two: one does not hand it out again.
    expect((await api({ url: one.url }, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).body["messages"]).toEqual([]);

    // A link signed by one process downloads from the other.
    const fileId = messages[0]?.attachments[0]?.fileId ?? "";
    const link = await api({ url: one.url }, "GET", `/api/files/${fileId}`, { key: bob.apiKey });
    const path = new URL(String(link.body["signedUrl"]));
    const downloaded = await fetch(`${two.url}${path.pathname}${path.search}`);
    expect(downloaded.status).toBe(200);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(content)).toBe(true);

    const acked = await api({ url: one.url }, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [sent.body["messageId"]] } });
    expect(acked.status).toBe(200);
    expect((await admin.messages.find(String(sent.body["messageId"])))?.ackedAt).not.toBeNull();
  });
});
