// The PostgreSQL backend's statements run as named prepared statements: a connection prepares a text once and runs it
// again by name, with one generic plan. A prepared statement whose result columns a migration changed under it is prepared afresh, and the
// call that met the change still answers.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSilentLogger } from "../../../src/infra/index.js";
import { applyMigrations } from "../../../src/server/store/postgres/migrate.js";
import { openDatabase, type Database } from "../../../src/server/store/postgres/pg-database.js";
import { createPostgresMessages } from "../../../src/server/store/postgres/pg-messages.js";
import { createProcessLeases } from "../../../src/server/store/postgres/pg-processes.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL, TEST_HEARTBEAT, urlWithSchema } from "../../helpers/storage-backends.js";
import { newMessage } from "../../helpers/store-records.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres prepared statements: skipped: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)("statements prepared once per connection", () => {
  let schema: { schema: string; drop(): Promise<void> };
  let db: Database;

  beforeEach(async () => {
    schema = await createTestSchema();
    // One connection: every call below runs on the same session, whose prepared statements it can list.
    db = openDatabase({ url: TEST_DATABASE_URL, schema: schema.schema, poolSize: 1, logger: createSilentLogger() });
  });
  afterEach(async () => {
    await db.close();
    await schema.drop();
  });

  const prepared = async (text: string): Promise<number> => {
    const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1", [text]);
    return row?.n ?? 0;
  };

  it("prepares a statement on its first call and runs it by name afterwards", async () => {
    const text = "SELECT $1::int + 1 AS n";
    expect(await prepared(text)).toBe(0);
    for (let i = 0; i < 3; i++) expect(await db.query<{ n: number }>(text, [i])).toEqual([{ n: i + 1 }]);
    expect(await prepared(text)).toBe(1);
  });

  it("keeps one generic plan per statement, through indexes, without hash or merge joins and without JIT, on its connections", async () => {
    expect(await db.query("SHOW plan_cache_mode")).toEqual([{ plan_cache_mode: "force_generic_plan" }]);
    expect(await db.query("SHOW enable_seqscan")).toEqual([{ enable_seqscan: "off" }]);
    expect(await db.query("SHOW enable_hashjoin")).toEqual([{ enable_hashjoin: "off" }]);
    expect(await db.query("SHOW enable_mergejoin")).toEqual([{ enable_mergejoin: "off" }]);
    expect(await db.query("SHOW jit")).toEqual([{ jit: "off" }]);
  });

  it("keeps the settings a URL carries in its options beside its own", async () => {
    const other = openDatabase({ url: urlWithSchema(schema.schema), poolSize: 1, logger: createSilentLogger() });
    try {
      expect(await other.query("SHOW plan_cache_mode")).toEqual([{ plan_cache_mode: "force_generic_plan" }]);
      expect(await other.query("SHOW search_path")).toEqual([{ search_path: schema.schema }]);
    } finally {
      await other.close();
    }
  });

  it("prepares a statement afresh when a migration changed its result columns, and answers the call that met it", async () => {
    await db.query("CREATE TABLE notes (id int PRIMARY KEY)");
    await db.query("INSERT INTO notes (id) VALUES (1)");
    const text = "SELECT * FROM notes ORDER BY id";
    expect(await db.query(text)).toEqual([{ id: 1 }]);
    await db.query("ALTER TABLE notes ADD COLUMN title text NOT NULL DEFAULT 'first'");
    expect(await db.query(text)).toEqual([{ id: 1, title: "first" }]);
    expect(await db.query(text)).toEqual([{ id: 1, title: "first" }]);
  });

  it("keeps for the claim, planned while the table was empty, a plan that reads only the recipient's own rows", async () => {
    await applyMigrations(db.pool, createSilentLogger());
    const processes = createProcessLeases(db, createSilentLogger(), TEST_HEARTBEAT);
    await processes.start();
    try {
      const messages = createPostgresMessages(db, processes);
      const bob = { id: 1, name: "bob" };
      const eve = { id: 2, name: "eve" };
      // The connection plans the claim now, on an empty table, and keeps that plan.
      expect(await messages.claim([bob.id], { limit: 10, now: 100, leaseUntil: 200 })).toEqual([]);
      // Then bob's history (acked), another name's backlog (unacked), and three unacked messages of bob's.
      for (let batch = 0; batch < 10; batch++) {
        const history = Array.from({ length: 200 }, (_, i) => newMessage(`h${batch}-${i}`, bob, 5));
        await messages.insert(history);
        await messages.ack([bob.id], history.map((m) => m.id), 6);
        await messages.insert(Array.from({ length: 200 }, (_, i) => newMessage(`e${batch}-${i}`, eve, 10)));
      }
      await messages.insert(["b1", "b2", "b3"].map((id) => newMessage(id, bob, 20)));
      await db.query("ANALYZE messages");
      const [statement] = await db.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE statement LIKE '%FOR UPDATE OF m SKIP LOCKED%' AND statement NOT LIKE '%pg_prepared_statements%'");
      expect(statement).toBeDefined();
      // The kept plan, run: bob's three rows, read through his own part of messages_pending and taken by seq, not his
      // history, the other name's backlog or the whole table.
      const [row] = await db.query<{ "QUERY PLAN": Array<{ Plan: unknown }> }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${statement?.name ?? ""}('{1}', 100, 10, 200, NULL, true, '${processes.id}', 5000)`,
      );
      const plan = JSON.stringify(row?.["QUERY PLAN"][0]?.Plan);
      expect(plan).toContain('"Index Name":"messages_pending"');
      expect(plan).not.toMatch(/messages_(history|unacked_age)|Hash|Merge|Seq Scan/);
      // The run above leased them (until 200), as any claim does.
      expect((await messages.claim([bob.id], { limit: 10, now: 150, leaseUntil: 250 })).map((m) => m.id)).toEqual([]);
      expect((await messages.claim([bob.id], { limit: 10, now: 200, leaseUntil: 300 })).map((m) => m.id)).toEqual(["b1", "b2", "b3"]);
    } finally {
      await processes.stop();
    }
  });
});
