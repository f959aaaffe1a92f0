// The PostgreSQL backend's statements run as named prepared statements: a connection prepares a text once and runs it
// again by name, with one generic plan. A prepared statement whose result columns a migration changed under it is prepared afresh, and the
// call that met the change still answers.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSilentLogger } from "../../../src/infra/index.js";
import { openDatabase, type Database } from "../../../src/server/store/postgres/pg-database.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL, urlWithSchema } from "../../helpers/storage-backends.js";

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

  it("keeps one generic plan per statement, through indexes and without JIT, on its connections", async () => {
    expect(await db.query("SHOW plan_cache_mode")).toEqual([{ plan_cache_mode: "force_generic_plan" }]);
    expect(await db.query("SHOW enable_seqscan")).toEqual([{ enable_seqscan: "off" }]);
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
});
