// The PostgreSQL backend beyond the contract: migrations under concurrent opens, and what a lost connection does.
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS, openPostgresStorage, type PostgresStorage } from "../../../src/server/index.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/storage-backends.js";
import { nameRecord } from "../../helpers/store-records.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres storage: skipping: ${unavailable}\n`);

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(unavailable !== undefined)("postgres storage", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const open = async (schema: string, extra: Partial<Parameters<typeof openPostgresStorage>[0]> = {}): Promise<PostgresStorage> => {
    const storage = await openPostgresStorage({ url: TEST_DATABASE_URL, schema, ...extra });
    cleanups.push(() => storage.close());
    return storage;
  };
  const freshSchema = async (): Promise<string> => {
    const { schema, drop } = await createTestSchema();
    cleanups.push(drop);
    return schema;
  };

  it("applies each migration once when several processes open a new database at the same moment", async () => {
    const schema = await freshSchema();
    const opened = await Promise.all(Array.from({ length: 4 }, () => open(schema)));
    const rows = await withAdmin(async (client) => (await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows);
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    // Every one of them works on the same tables.
    await opened[0]?.directory.insertAccount({ id: "acc_1", email: "team@example.com", createdAt: 1 });
    for (const storage of opened) expect((await storage.directory.findAccountById("acc_1"))?.email).toBe("team@example.com");
    // A later open finds nothing to do.
    await open(schema);
    const again = await withAdmin(async (client) => (await client.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`)).rows[0] as { n: number });
    expect(again.n).toBe(MIGRATIONS.length);
  });

  it("refuses to open with CT_UNAVAILABLE when the database cannot be reached", async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.port = "1";
    await expect(openPostgresStorage({ url: url.toString(), connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: "CT_UNAVAILABLE" });
  });

  it("answers CT_UNAVAILABLE for a call whose connection is ended, and serves again on new connections by itself", async () => {
    const schema = await freshSchema();
    const appName = `clawtell_${schema}`;
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set("application_name", appName);
    const storage = await open(schema, { url: url.toString(), poolSize: 3 });
    await storage.directory.insertAccount({ id: "acc_1", email: "team@example.com", createdAt: 1 });
    const bob = await storage.directory.insertName(nameRecord("bob", "acc_1", "pbob"));

    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      // Hold bob's row, so that a change to it waits on a connection of the pool; then end every pool connection.
      await admin.query("BEGIN");
      await admin.query(`SELECT id FROM ${schema}.names WHERE id = $1 FOR UPDATE`, [bob.id]);
      // Its failure is caught at once: it may arrive before the answer to pg_terminate_backend does.
      const blocked = storage.directory.updateNameSettings(bob.id, { webhookUrl: null }).then(
        () => undefined,
        (err: unknown) => err,
      );
      const waiting = async (): Promise<number> =>
        (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [appName])).rows[0].n as number;
      for (let i = 0; i < 200 && (await waiting()) === 0; i++) await new Promise((done) => setTimeout(done, 25));
      expect(await waiting()).toBe(1);
      const ended = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [appName]);
      expect(ended.rowCount).toBeGreaterThan(0);
      expect(await blocked).toMatchObject({ code: "CT_UNAVAILABLE" });
      await admin.query("ROLLBACK");
    } finally {
      await admin.end();
    }

    // Connections that were idle when ended fail their next use at most once each; then the pool has new ones.
    let served = false;
    for (let attempt = 0; attempt < 10 && !served; attempt++) {
      try {
        await storage.ping();
        served = true;
      } catch (err) {
        expect(err).toMatchObject({ code: "CT_UNAVAILABLE" });
      }
    }
    expect(served).toBe(true);
    expect((await storage.directory.findNameByName("bob"))?.id).toBe(bob.id);
    await storage.messages.insert([
      { id: "m1", recipientId: bob.id, recipient: "bob", sender: "alice", subject: "s", body: "b", threadId: "m1", replyTo: null, autoReplyEligible: false, createdAt: 1, attachments: [] },
    ]);
    expect((await storage.messages.claim([bob.id], { limit: 5, now: 10, leaseUntil: 1_000 })).map((m) => m.id)).toEqual(["m1"]);
  });

  it("keeps attachment bytes and a shared secret in the database, the same for every process", async () => {
    const schema = await freshSchema();
    const [one, two] = await Promise.all([open(schema), open(schema)]);
    const fileId = await one!.files.save(new TextEncoder().encode("hello"));
    const chunks: Buffer[] = [];
    for await (const chunk of two!.files.read(fileId)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("hello");
    expect(await two!.files.listWrittenBefore(Date.now() + 1)).toEqual([fileId]);
    await two!.files.remove([fileId]);
    await expect(async () => {
      for await (const _ of one!.files.read(fileId)) void _;
    }).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
    const [a, b] = await Promise.all([one!.sharedSecret("links"), two!.sharedSecret("links")]);
    expect(Buffer.from(a!).equals(Buffer.from(b!))).toBe(true);
    expect(a!.length).toBe(32);
  });
});
