// The heartbeat of a PostgreSQL server process on a manual clock: one beat each time the clock reaches its turn, one
// (not a backlog) after a long jump, a row another process removed put back, a failed beat followed by the next one,
// and nothing once stopped. The beats are counted on the way to a real database.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock, createSilentLogger } from "../../../src/infra/index.js";
import { applyMigrations } from "../../../src/server/store/postgres/migrate.js";
import { openDatabase, type Database } from "../../../src/server/store/postgres/pg-database.js";
import { createProcessLeases, type ProcessLeases } from "../../../src/server/store/postgres/pg-processes.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/storage-backends.js";

const INTERVAL = 60_000;
const BEAT = /^INSERT INTO server_processes/;

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres heartbeat: skipped: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)("the heartbeat of a postgres server process", () => {
  const logger = createSilentLogger();
  let schema: { schema: string; drop(): Promise<void> };
  let db: Database;
  let beats: number;
  let failures: number;
  let failNext: boolean;
  let counted: Database;
  let leases: ProcessLeases | undefined;

  beforeEach(async () => {
    schema = await createTestSchema();
    db = openDatabase({ url: TEST_DATABASE_URL, schema: schema.schema, poolSize: 2, logger });
    await applyMigrations(db.pool, logger);
    beats = 0;
    failures = 0;
    failNext = false;
    // The database the process is given, counting its beats; `failNext` makes the next beat fail as an outage would.
    counted = {
      query: async (sql, params) => {
        if (BEAT.test(sql)) {
          if (failNext) {
            failNext = false;
            failures++;
            throw new Error("the database is away");
          }
          beats++;
        }
        return db.query(sql, params);
      },
      transaction: (work) => db.transaction(work),
      pool: db.pool,
      get closed() {
        return db.closed;
      },
      close: () => db.close(),
    };
  });
  afterEach(async () => {
    await leases?.stop();
    leases = undefined;
    await db.close();
    await schema.drop();
  });

  const rowOf = async (id: string): Promise<number> => (await db.query("SELECT 1 FROM server_processes WHERE id = $1", [id])).length;

  it("beats each time the injected clock reaches its turn, once after a long jump, and never after stop", async () => {
    const clock = createManualClock(1_000_000);
    const started = createProcessLeases(counted, logger, { clock, heartbeatIntervalMs: INTERVAL });
    leases = started;
    await started.start();
    expect(beats).toBe(1);
    await clock.advance(INTERVAL);
    await expect.poll(() => beats).toBe(2);
    // Ten turns missed at once: one late beat now, then the next a whole interval later.
    await clock.advance(10 * INTERVAL);
    await expect.poll(() => beats).toBe(3);
    await clock.advance(INTERVAL - 1);
    expect(beats).toBe(3);
    await clock.advance(1);
    await expect.poll(() => beats).toBe(4);
    expect(await rowOf(started.id)).toBe(1);

    await started.stop();
    leases = undefined;
    expect(await rowOf(started.id)).toBe(0);
    await clock.advance(10 * INTERVAL);
    expect(beats).toBe(4);
    expect(await rowOf(started.id)).toBe(0);
  });

  it("puts its row back when another process removed it, and beats on after a beat that failed", async () => {
    const clock = createManualClock(1_000_000);
    const started = createProcessLeases(counted, logger, { clock, heartbeatIntervalMs: INTERVAL });
    leases = started;
    await started.start();
    // Another process took this one for dead (its beats did not reach the database for a while).
    await db.query("DELETE FROM server_processes WHERE id = $1", [started.id]);
    failNext = true;
    await clock.advance(INTERVAL);
    await expect.poll(() => failures).toBe(1);
    expect(await rowOf(started.id)).toBe(0);
    await clock.advance(INTERVAL);
    await expect.poll(() => rowOf(started.id)).toBe(1);
    expect([beats, failures]).toEqual([2, 1]);
  });
});
