/**
 * What each message costs PostgreSQL when it goes alone (as at a few hundred messages a second, where nothing is
 * grouped): the database backend's CPU time per statement of the PostgreSQL message store, for sizing the database
 * (docs/deployment.md, "Capacity model"). One pooled connection, so one backend runs every statement of the store, and
 * its CPU time (utime + stime from /proc: PostgreSQL must run on this machine) is read around each arm.
 *
 * Arms, taking turns in rotating order over BENCH_ROUNDS rounds (default 5) of BENCH_CALLS calls each (default 1 000):
 * - `SELECT 1` and a one-row INSERT into a table of its own, committed: the baselines (a round trip; a durable write);
 * - send: the store's insert of one message (its CTE binds the Idempotency-Key, stores files, queues webhooks);
 * - claim: one message leased and handed out (asynchronous commit), its lease ended at once so the next claim takes it
 *   again;
 * - ack: one message acked (by its id, not leased: the statement is the same);
 * - cycle: send, claim and ack of one message, one after the other, as a message goes through the servers.
 * It prints each arm's median and spread of µs a call and its ratio to the committed one-row INSERT.
 *
 * Needs PostgreSQL at CLAWTELL_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); works in a schema of
 * its own, dropped at the end.
 */
import { createSilentLogger } from "../src/infra/index.js";
import { applyMigrations } from "../src/server/store/postgres/migrate.js";
import { openDatabase, type Database } from "../src/server/store/postgres/pg-database.js";
import { createPostgresMessages, type PostgresMessageStore } from "../src/server/store/postgres/pg-messages.js";
import { createProcessLeases } from "../src/server/store/postgres/pg-processes.js";
import { createTestSchema } from "../test/helpers/storage-backends.js";
import { newMessage } from "../test/helpers/store-records.js";
import { postgresUnavailable, TEST_DATABASE_URL } from "../test/helpers/test-database.js";
import { cpuTimeMs, describeSpread, fmt, machineLine, spreadOf } from "./lib/harness.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const CALLS = Number(process.env["BENCH_CALLS"] ?? 1_000);
/** Calls before each arm's measured ones: prepared statements, plans, caches. */
const WARM_CALLS = 100;

/** Each arm's messages go to a name of its own, so that no arm's claims meet another's unacked messages. */
const CYCLE = { id: 1, name: "bob" } as const;
const SENT = { id: 2, name: "carol" } as const;
const CLAIMED = { id: 3, name: "dave" } as const;
const ACKED = { id: 4, name: "erin" } as const;

interface Arm {
  readonly label: string;
  /** Prepares the arm's round (not measured), e.g. the messages an ack needs. */
  readonly setUp?: (calls: number) => Promise<void>;
  readonly call: () => Promise<unknown>;
}

function armsOf(db: Database, messages: PostgresMessageStore): Arm[] {
  let serial = 0;
  const nextId = (): string => `m${++serial}`;
  let now = 1_000_000;
  /** Messages stored for the ack arm, acked one per call. */
  const toAck: string[] = [];
  let claimable: string | undefined;
  return [
    { label: "SELECT 1", call: () => db.query("SELECT 1") },
    { label: "one-row INSERT, committed", call: () => db.query("INSERT INTO bench_rows (v) VALUES ($1)", ["x"]) },
    { label: "send (store insert)", call: () => messages.insert([newMessage(nextId(), SENT, ++now)]) },
    {
      label: "claim of one message",
      async setUp() {
        // One unacked message, claimed again and again: each lease ends as it is given.
        if (claimable !== undefined) return;
        claimable = nextId();
        await messages.insert([newMessage(claimable, CLAIMED, ++now)]);
      },
      async call() {
        now++;
        await messages.claim([CLAIMED.id], { limit: 1, now, leaseUntil: now });
      },
    },
    {
      label: "ack of one message",
      async setUp(calls) {
        for (let i = 0; i < calls; i++) toAck.push(nextId());
        for (let i = 0; i < toAck.length; i += 500) await messages.insert(toAck.slice(i, i + 500).map((id) => newMessage(id, ACKED, ++now)));
      },
      call: () => messages.ack([ACKED.id], [toAck.shift() ?? "none"], ++now),
    },
    {
      label: "cycle: send, claim, ack",
      async call() {
        const id = nextId();
        now++;
        await messages.insert([newMessage(id, CYCLE, now)]);
        await messages.claim([CYCLE.id], { limit: 1, now, leaseUntil: now + 60_000 });
        await messages.ack([CYCLE.id], [id], now);
      },
    },
  ];
}

async function measure(arm: Arm, pid: number): Promise<number> {
  await arm.setUp?.(WARM_CALLS + CALLS);
  for (let i = 0; i < WARM_CALLS; i++) await arm.call();
  const before = await cpuTimeMs(pid);
  for (let i = 0; i < CALLS; i++) await arm.call();
  return (((await cpuTimeMs(pid)) - before) * 1000) / CALLS;
}

async function main(): Promise<void> {
  const unavailable = await postgresUnavailable();
  if (unavailable !== undefined) {
    process.stdout.write(`## PostgreSQL cost per statement: skipped: ${unavailable}\n`);
    return;
  }
  const logger = createSilentLogger();
  const { schema, drop } = await createTestSchema();
  const db = openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 1, logger });
  // No heartbeat within the run: its statements would run on the measured backend.
  const processes = createProcessLeases(db, logger, { heartbeatIntervalMs: 3_600_000, staleAfterMs: 7_200_000 });
  const messages = createPostgresMessages(db, processes);
  try {
    await applyMigrations(db.pool, logger);
    await processes.start();
    await db.query("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, v text NOT NULL)");
    const [row] = await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const pid = row?.pid ?? 0;
    try {
      await cpuTimeMs(pid);
    } catch {
      process.stdout.write("## PostgreSQL cost per statement: skipped: the backend's /proc entry cannot be read (PostgreSQL runs elsewhere)\n");
      return;
    }
    const before = machineLine();
    const arms = armsOf(db, messages);
    const figures = arms.map((): number[] => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < arms.length; k++) {
        const i = (round + k) % arms.length;
        figures[i]?.push(await measure(arms[i] as Arm, pid));
      }
      process.stderr.write(`round ${round + 1}: ${arms.map((arm, i) => `${arm.label} ${fmt(figures[i]?.[round] ?? Number.NaN, 0)} µs`).join(", ")}\n`);
    }
    const write = spreadOf(figures[1] ?? []).median;
    process.stdout.write(
      [
        "## PostgreSQL backend CPU per call, each message alone",
        `${before} (at start)`,
        `one connection, ${CALLS} calls per arm and round, ${ROUNDS} rounds in rotating order; CPU of the backend (/proc), in 10 ms ticks`,
        ...arms.map((arm, i) => {
          const median = spreadOf(figures[i] ?? []).median;
          return `  ${arm.label}: ${describeSpread(figures[i] ?? [], 0, " µs")}; ${fmt(median / write, 2)}× the committed one-row INSERT`;
        }),
        `${machineLine()} (at end)`,
        "",
      ].join("\n"),
    );
  } finally {
    await messages.drain();
    await processes.stop();
    await db.close();
    await drop();
  }
}

await main();
