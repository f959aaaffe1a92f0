// Names by key prefix on PostgreSQL: kept in memory by each process, forgotten when the database announces a change.
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openPostgresStorage, type PostgresStorage } from "../../../src/server/index.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/storage-backends.js";
import { nameRecord } from "../../helpers/store-records.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres key records: skipping: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)("postgres names by key prefix", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Two server processes' storages on one fresh schema, and a plain connection to change rows behind their backs. */
  const setUp = async () => {
    const { schema, drop } = await createTestSchema();
    cleanups.push(drop);
    const [one, two] = await Promise.all([0, 1].map(() => openPostgresStorage({ url: TEST_DATABASE_URL, schema })));
    cleanups.push(async () => {
      await Promise.all([one?.close(), two?.close()]);
    });
    const raw = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await raw.connect();
    cleanups.push(() => raw.end());
    await raw.query(`SET search_path = ${schema}`);
    await (one as PostgresStorage).directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    const bob = await (one as PostgresStorage).directory.insertName(nameRecord("bob", "acc_1", "bobprefix", "hash-0"));
    return { one: one as PostgresStorage, two: two as PostgresStorage, raw, bob };
  };

  /** Changes bob's stored hash without the trigger, so no process hears of it. */
  const silentlySetHash = async (raw: pg.Client, hash: string): Promise<void> => {
    await raw.query("BEGIN");
    await raw.query("ALTER TABLE names DISABLE TRIGGER names_changed");
    await raw.query("UPDATE names SET key_hash = $1 WHERE key_prefix = 'bobprefix'", [hash]);
    await raw.query("ALTER TABLE names ENABLE TRIGGER names_changed");
    await raw.query("COMMIT");
  };

  it("answers from memory once it listens, and forgets when another process replaces the key", async () => {
    const { one, two, raw, bob } = await setUp();
    let n = 0;
    // Once process one listens, it keeps what it read: a change no notification announced is not seen.
    await expect
      .poll(async () => {
        const seen = (await one.directory.findNameByKeyPrefix("bobprefix"))?.keyHash;
        await silentlySetHash(raw, `hash-${++n}`);
        return (await one.directory.findNameByKeyPrefix("bobprefix"))?.keyHash === seen;
      })
      .toBe(true);

    await two.directory.replaceNameKey(bob.id, "bobnewprefix", "hash-new");
    await expect.poll(() => one.directory.findNameByKeyPrefix("bobprefix")).toBeUndefined();
    expect((await one.directory.findNameByKeyPrefix("bobnewprefix"))?.keyHash).toBe("hash-new");
  });

  it("forgets at once what its own process changes, and hears of a deleted name and a changed setting", async () => {
    const { one, two, bob } = await setUp();
    await expect.poll(async () => (await one.directory.findNameByKeyPrefix("bobprefix"))?.id).toBe(bob.id);
    await one.directory.replaceNameKey(bob.id, "bobsecond", "hash-2");
    expect(await one.directory.findNameByKeyPrefix("bobprefix")).toBeUndefined();

    expect((await two.directory.findNameByKeyPrefix("bobsecond"))?.communicationMode).toBe(bob.communicationMode);
    const mode = bob.communicationMode === "anyone" ? "manual_only" : "anyone";
    await one.directory.updateNameSettings(bob.id, { communicationMode: mode });
    await expect.poll(async () => (await two.directory.findNameByKeyPrefix("bobsecond"))?.communicationMode).toBe(mode);

    await one.directory.deleteName(bob.id);
    await expect.poll(() => two.directory.findNameByKeyPrefix("bobsecond")).toBeUndefined();
  });
});
