/**
 * Notifier wake-ups across processes. Two notifier instances stand for two server processes (here in one Node
 * process): a waiter parks on B, A notifies, and the time until B's waiter resolves is measured, for Redis pub/sub
 * and PostgreSQL LISTEN/NOTIFY against the in-process notifier (one instance, the baseline) in the same run. Kinds
 * alternate over BENCH_ROUNDS rounds (default 5) of BENCH_SAMPLES sequential wake-ups (default 300).
 * Then the idle cost: BENCH_IDLE_WAITERS (default 10 000) waiters parked on distinct names for BENCH_IDLE_SECONDS
 * (default 10) with no traffic; Redis commands per second from INFO commandstats (a redis-server of its own, so
 * nothing else counts) and PostgreSQL transactions per second in a database of its own (pg_stat_database), plus
 * whether the listening connection ran any statement (pg_stat_activity.query_start).
 *
 * Needs redis-server on PATH and PostgreSQL at CLAWTELL_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import pg from "pg";
import { Redis } from "ioredis";
import { createNotifier, type Notifier, type NotifierOptions } from "../src/server/notifier.js";
import { startOwnRedis, uniqueChannel } from "../test/helpers/redis-server.js";
import { TEST_DATABASE_URL } from "../test/helpers/test-database.js";
import { describeSpread, fmt, machineLine, percentile, spreadOf } from "./lib/harness.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SAMPLES = Number(process.env["BENCH_SAMPLES"] ?? 300);
const IDLE_WAITERS = Number(process.env["BENCH_IDLE_WAITERS"] ?? 10_000);
const IDLE_SECONDS = Number(process.env["BENCH_IDLE_SECONDS"] ?? 10);

interface Pair {
  readonly label: string;
  readonly a: Notifier;
  readonly b: Notifier;
}

async function healthy(notifier: Notifier): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (!notifier.healthy()) {
    if (performance.now() > deadline) throw new Error("notifier did not connect");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function pairOf(label: string, options: NotifierOptions | undefined): Promise<Pair> {
  if (options === undefined) {
    const one = createNotifier();
    return { label, a: one, b: one };
  }
  const channel = uniqueChannel("bench");
  const a = createNotifier({ ...options, channel });
  const b = createNotifier({ ...options, channel });
  await Promise.all([healthy(a), healthy(b)]);
  return { label, a, b };
}

/** One round: sequential wake-ups, each on a fresh name; answers the latencies in ms, sorted. */
async function round(pair: Pair): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const name = 1_000_000 + i;
    const parked = pair.b.wait([name], 10_000);
    const start = performance.now();
    pair.a.notify(name);
    if (!(await parked)) throw new Error(`${pair.label}: wake-up lost`);
    latencies.push(performance.now() - start);
  }
  return latencies.sort((x, y) => x - y);
}

/** Calls per command so far, read on `probe` (one connection for both readings, so its own HELLO is not counted). */
async function redisCommandCount(probe: Redis): Promise<Map<string, number>> {
  const info = await probe.info("commandstats");
  const counts = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_(\S+):calls=(\d+)/gm)) counts.set(match[1] ?? "", Number(match[2]));
  return counts;
}

async function main(): Promise<void> {
  console.log(machineLine());
  const redis = await startOwnRedis();
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const database = `clawtell_bench_${process.pid}`;
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  const benchUrl = new URL(TEST_DATABASE_URL);
  benchUrl.pathname = `/${database}`;
  try {
    const pairs = [
      await pairOf("in-process", undefined),
      await pairOf("redis", { redisUrl: redis.url }),
      await pairOf("postgres", { databaseUrl: benchUrl.toString() }),
    ];
    // Warm-up: connections, JIT.
    for (const pair of pairs) await round(pair);
    const p50 = new Map<string, number[]>(pairs.map((p) => [p.label, []]));
    const p99 = new Map<string, number[]>(pairs.map((p) => [p.label, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? pairs : [...pairs].reverse();
      const parts: string[] = [];
      for (const pair of order) {
        const sorted = await round(pair);
        p50.get(pair.label)?.push(percentile(sorted, 50));
        p99.get(pair.label)?.push(percentile(sorted, 99));
        parts.push(`${pair.label} p50 ${fmt(percentile(sorted, 50), 3)} ms p99 ${fmt(percentile(sorted, 99), 3)} ms`);
      }
      console.log(`round ${r + 1}: ${parts.join("; ")}`);
    }
    console.log(`\nwake-up latency, ${ROUNDS} rounds × ${SAMPLES} sequential wake-ups (median of rounds, min–max):`);
    const base50 = spreadOf(p50.get("in-process") ?? []).median;
    const base99 = spreadOf(p99.get("in-process") ?? []).median;
    for (const pair of pairs) {
      const v50 = p50.get(pair.label) ?? [];
      const v99 = p99.get(pair.label) ?? [];
      console.log(
        `  ${pair.label.padEnd(10)} p50 ${describeSpread(v50, 3, " ms")}, p99 ${describeSpread(v99, 3, " ms")}` +
          `  ratio to in-process: p50 ×${fmt(spreadOf(v50).median / base50, 1)}, p99 ×${fmt(spreadOf(v99).median / base99, 1)}`,
      );
    }

    // Idle cost with many parked waiters and no traffic.
    const redisPair = pairs[1];
    const pgPair = pairs[2];
    if (redisPair === undefined || pgPair === undefined) throw new Error("pairs");
    const gone = new AbortController();
    const parked: Promise<boolean>[] = [];
    for (let i = 0; i < IDLE_WAITERS; i++) {
      parked.push(redisPair.b.wait([i + 1], 3_600_000, gone.signal), pgPair.b.wait([i + 1], 3_600_000, gone.signal));
    }
    // An idle backend reports the statistics of its last statements up to 10 s late (PostgreSQL 15+).
    await new Promise((r) => setTimeout(r, 11_000));
    const listenerQuery = "SELECT pid, query_start FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %' ORDER BY pid";
    // Every client connection of the notifier's database with the start of its latest statement.
    const activityQuery = "SELECT pid, backend_type, query_start FROM pg_stat_activity WHERE datname = $1 ORDER BY pid";
    const activityBefore = (await admin.query<{ pid: number; backend_type: string; query_start: Date | null }>(activityQuery, [database])).rows;
    const xacts = async (): Promise<number> => {
      const res = await admin.query<{ n: string }>("SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1", [database]);
      return Number(res.rows[0]?.n ?? Number.NaN);
    };
    const listenersBefore = (await admin.query(listenerQuery, [database])).rows;
    const xactBefore = await xacts();
    const probe = new Redis(redis.url, { lazyConnect: true });
    await probe.connect();
    const commandsBefore = await redisCommandCount(probe);
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const commandsAfter = await redisCommandCount(probe);
    probe.disconnect();
    const xactAfter = await xacts();
    const listenersAfter = (await admin.query(listenerQuery, [database])).rows;
    const activityAfter = (await admin.query<{ pid: number; backend_type: string; query_start: Date | null }>(activityQuery, [database])).rows;
    const ranStatements = activityAfter.filter((row) => {
      const before = activityBefore.find((b) => b.pid === row.pid);
      return before === undefined || before.query_start?.getTime() !== row.query_start?.getTime();
    });
    let commands = 0;
    const byCommand: string[] = [];
    for (const [name, calls] of commandsAfter) {
      // The INFO calls of this measurement itself.
      if (name === "info") continue;
      const delta = calls - (commandsBefore.get(name) ?? 0);
      if (delta > 0) byCommand.push(`${name} ${delta}`);
      commands += delta;
    }
    console.log(`\nidle: ${IDLE_WAITERS} waiters parked on each of redis and postgres (distinct names), no traffic, ${IDLE_SECONDS} s:`);
    console.log(`  redis: ${fmt(commands / IDLE_SECONDS, 2)} commands/s (${commands} in ${IDLE_SECONDS} s${byCommand.length > 0 ? `: ${byCommand.join(", ")}` : ""})`);
    console.log(`  postgres: ${fmt((xactAfter - xactBefore) / IDLE_SECONDS, 2)} transactions/s in the notifier's database (${xactAfter - xactBefore} in ${IDLE_SECONDS} s)`);
    console.log(
      `  postgres listening connections: ${listenersAfter.length} (2 instances); statements they ran while idle: ${JSON.stringify(listenersBefore) === JSON.stringify(listenersAfter) ? "none (query_start unchanged)" : "some (query_start changed)"}`,
    );
    console.log(
      `  postgres connections of the notifier's database: ${activityAfter.length}; ran a statement while idle: ${ranStatements.length === 0 ? "none" : ranStatements.map((r) => `${r.backend_type} ${r.pid}`).join(", ")}`,
    );
    console.log(`  waiting: redis B ${redisPair.b.waiting()}, postgres B ${pgPair.b.waiting()}`);
    gone.abort();
    await Promise.all(parked);
    for (const pair of pairs) await Promise.all([pair.a.close(), pair.b.close()]);
  } finally {
    await redis.kill();
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(database)} WITH (FORCE)`);
    await admin.end();
  }
  console.log(machineLine());
}

await main();
