// `clawtell admin migrate` run again after two rows of the folder exchanged unique values (names, key prefixes, a
// sign-up's link hashes): the run overwrites both rows, whichever batch each falls in.
import { mkdtemp, rm } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migrateToPostgres } from "../../../src/server/migrate-to-postgres/index.js";
import { createName, openEmbeddedStorage } from "../../../src/server/index.js";
import { createTestSchema, postgresUnavailable, urlWithSchema } from "../../helpers/storage-backends.js";
import { TEST_BCRYPT_COST } from "../../helpers/test-server.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`admin migrate (swapped unique values): skipping: ${unavailable}\n`);

const NOW = Date.parse("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;

async function query<R extends pg.QueryResultRow>(schema: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: urlWithSchema(schema) });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Exchanges `column` between the rows `a` and `b` of `table` (by `key`), through a value no row holds. */
function swap(db: DatabaseSync, table: string, key: string, column: string, a: string | number, b: string | number): void {
  const read = (k: string | number): string => String(db.prepare(`SELECT ${column} AS v FROM ${table} WHERE ${key} = ?`).get(k)?.["v"]);
  const [va, vb] = [read(a), read(b)];
  const write = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
  write.run("swapping", a);
  write.run(va, b);
  write.run(vb, a);
}

describe.skipIf(unavailable !== undefined)("clawtell admin migrate, run again after a swap of unique values", () => {
  it.each([500, 1])("overwrites both rows of each swap (batches of %i)", async (batchSize) => {
    const folder = await mkdtemp(join(tmpdir(), "clawtell-migrate-swap-"));
    const target = await createTestSchema();
    const to = urlWithSchema(target.schema);
    try {
      const storage = await openEmbeddedStorage({ dataDir: folder });
      let aliceId = 0;
      let bobId = 0;
      try {
        await createName(storage.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
        await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
        aliceId = (await storage.directory.findNameByName("alice"))?.id ?? 0;
        bobId = (await storage.directory.findNameByName("bob"))?.id ?? 0;
        for (const [id, letter] of [["reg_one", "1"], ["reg_two", "2"]] as const) {
          await storage.registrations.insertRegistration({
            id,
            name: `erin${letter}`,
            email: `e${letter}@example.com`,
            pollHash: letter.repeat(64),
            verifyHash: `v${letter}`.repeat(32),
            verifyUrl: null,
            ip: "127.0.0.1",
            createdAt: NOW,
            expiresAt: NOW + HOUR,
            verifiedAt: null,
            keyIssuedAt: null,
            failure: null,
          });
        }
      } finally {
        await storage.close();
      }
      expect((await migrateToPostgres({ dataDir: folder, to, now: () => NOW, batchSize })).target.state).toBe("copied");

      // Between the runs the two names exchange their names and their keys, and the two sign-ups their link hashes.
      const db = new DatabaseSync(join(folder, "clawtell.db"));
      try {
        for (const column of ["name", "key_prefix", "key_hash"]) swap(db, "names", "id", column, aliceId, bobId);
        for (const column of ["poll_hash", "verify_hash"]) swap(db, "registrations", "id", column, "reg_one", "reg_two");
      } finally {
        db.close();
      }

      const dry = await migrateToPostgres({ dataDir: folder, to, now: () => NOW + HOUR, batchSize, dryRun: true });
      expect(dry.target).toEqual({ state: "partly copied" });
      expect(dry.tables.filter((t) => t.overwrite + t.remove > 0).map((t) => [t.table, t.overwrite, t.remove])).toEqual([
        ["names", 2, 0],
        ["registrations", 2, 0],
      ]);
      const again = await migrateToPostgres({ dataDir: folder, to, now: () => NOW + HOUR, batchSize });
      expect(again.target.state).toBe("copied");
      for (const check of again.checks ?? []) expect(check.targetChecksum, check.table).toBe(check.sourceChecksum);
      const names = await query<{ id: string; name: string }>(target.schema, "SELECT id, name FROM names ORDER BY id");
      expect(names.map((n) => [Number(n.id), n.name])).toEqual([
        [aliceId, "bob"],
        [bobId, "alice"],
      ]);
      const registrations = await query<{ id: string; poll_hash: string }>(target.schema, "SELECT id, poll_hash FROM registrations ORDER BY id");
      expect(registrations.map((r) => [r.id, r.poll_hash])).toEqual([
        ["reg_one", "2".repeat(64)],
        ["reg_two", "1".repeat(64)],
      ]);
      expect((await migrateToPostgres({ dataDir: folder, to, now: () => NOW + 2 * HOUR, batchSize, dryRun: true })).target).toEqual({ state: "copied" });
    } finally {
      await target.drop();
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
