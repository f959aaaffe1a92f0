// The listening PostgreSQL connection is killed (pg_terminate_backend) and the notifier listens again by itself.
import { Writable } from "node:stream";
import pg from "pg";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNotifier } from "../../../src/server/notifier.js";
import { uniqueChannel } from "../../helpers/redis-server.js";
import { postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/test-database.js";

describe("notifier over PostgreSQL when the listening connection is lost", () => {
  let skipReason: string | undefined;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    skipReason = await postgresUnavailable();
    if (skipReason !== undefined) process.stderr.write(`notifier PostgreSQL outage: skipping: ${skipReason}\n`);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Backends listening for the notifier under test (a terminated one may linger for a moment). */
  async function listenerPids(admin: pg.Client, applicationName: string, channel: string): Promise<number[]> {
    const res = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query = $2 AND datname = current_database()",
      [applicationName, `LISTEN "${channel}"`],
    );
    return res.rows.map((row) => row.pid);
  }

  it("listens again after pg_terminate_backend, wakes every parked waiter once, and keeps the caller's pool open", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const channel = uniqueChannel("pg");
    const applicationName = `${channel}-b`;
    const lines: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, application_name: applicationName, max: 3 });
    cleanups.push(() => pool.end());
    const a = createNotifier({ databaseUrl: TEST_DATABASE_URL, channel });
    cleanups.push(() => a.close());
    const b = createNotifier({ pool, channel, logger, fallbackPollMs: 600_000 });
    cleanups.push(() => b.close());
    await expect.poll(() => a.healthy() && b.healthy(), { timeout: 10_000, interval: 20 }).toBe(true);

    const [before, ...others] = await listenerPids(admin, applicationName, channel);
    expect(before).toBeTypeOf("number");
    expect(others).toEqual([]);
    const parked = b.wait([21], 600_000);
    await admin.query("SELECT pg_terminate_backend($1)", [before]);
    // Notifications may have been missed while it was gone: the parked waiter looks once.
    expect(await parked).toBe(true);
    await expect.poll(() => b.healthy(), { timeout: 10_000, interval: 20 }).toBe(true);
    await expect
      .poll(async () => (await listenerPids(admin, applicationName, channel)).filter((pid) => pid !== before).length, { timeout: 10_000 })
      .toBe(1);
    expect(lines.filter((l) => l.includes("subscription lost"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("subscription back"))).toHaveLength(1);

    const woken = b.wait([22], 600_000);
    a.notify(22);
    expect(await woken).toBe(true);

    await b.close();
    await expect.poll(() => listenerPids(admin, applicationName, channel), { timeout: 10_000 }).toEqual([]);
    expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("does not fail a send when the database cannot be reached", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const notifier = createNotifier({ databaseUrl: "postgres://postgres@127.0.0.1:1/none", channel: uniqueChannel("pg"), fallbackPollMs: 50 });
    cleanups.push(() => notifier.close());
    expect(notifier.healthy()).toBe(false);
    const parked = notifier.wait([1], 600_000);
    notifier.notify(2);
    // Nothing reaches this process, so its waiter looks on the next poll.
    expect(await parked).toBe(true);
  });

  it("tells every process to look once when publishing works again after it failed", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const channel = uniqueChannel("pg");
    // A's pool has room for its listening connection only: a publish waits for a connection and gives up.
    const poolA = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1, connectionTimeoutMillis: 200 });
    cleanups.push(() => poolA.end());
    const a = createNotifier({ pool: poolA, channel, fallbackPollMs: 100 });
    cleanups.push(() => a.close());
    const b = createNotifier({ databaseUrl: TEST_DATABASE_URL, channel, fallbackPollMs: 600_000 });
    cleanups.push(() => b.close());
    await expect.poll(() => a.healthy() && b.healthy(), { timeout: 10_000, interval: 20 }).toBe(true);

    const parked = b.wait([51], 600_000);
    a.notify(51);
    await expect.poll(() => a.healthy(), { timeout: 10_000, interval: 20 }).toBe(false);
    expect(b.healthy()).toBe(true);
    expect(b.waiting()).toBe(1);
    // Room for a second connection: the next repair publish goes through.
    poolA.options.max = 2;
    expect(await parked).toBe(true);
    await expect.poll(() => a.healthy(), { timeout: 10_000, interval: 20 }).toBe(true);
  });
});

