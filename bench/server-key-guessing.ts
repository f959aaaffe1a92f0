/**
 * Key guessing: a valid key's `GET /api/me` latency while 100 wrong keys a second arrive. Goal: its p99 stays
 * ≤ 20 ms with the guesses running.
 *
 * Our server runs as `npm start` runs it (production bcrypt cost). Each round measures the valid key at
 * `BENCH_RATE` requests a second (default 50; every other one on a new connection, so the key is looked up again
 * rather than recognised by its connection) for `BENCH_SECONDS`, first quiet, then with `BENCH_GUESS_RATE` wrong
 * keys a second (default 100) sent alongside. Every wrong key is a distinct secret: a quarter for the valid key's own
 * prefix (refused without hashing: that prefix's key is known), half for the prefixes of 16 other names whose keys
 * the server has not seen (these it must hash), a quarter for prefixes of no name. Each comes from one of
 * `BENCH_GUESS_SOURCES` loopback addresses (default 4, 127.0.0.1 included, the valid key's own address), chosen at
 * random, so the allowance per name and address lasts (16 × 4 × 10 guesses a minute) and hashing goes on.
 * Quiet and hostile phases alternate for `BENCH_ROUNDS` rounds (default 5); medians and spreads over the rounds.
 */
import { randomBytes, randomInt } from "node:crypto";
import { Pool } from "undici";
import { cpuTimeMs, describeSpread, fmt, machineLine, percentile, spreadOf, startClawTell, watchOwnEventLoop, type BenchTarget } from "./lib/harness.js";

const RATE = Number(process.env["BENCH_RATE"] ?? 50);
const GUESS_RATE = Number(process.env["BENCH_GUESS_RATE"] ?? 100);
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 6);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const GUESS_SOURCES = Number(process.env["BENCH_GUESS_SOURCES"] ?? 4);
/** Names besides alice, bob and idle whose keys are never used: their prefixes are guessed at. */
const VICTIM_NAMES = 14;
const GOAL_MS = 20;

const prefixOf = (key: string): string => key.split("_")[1] ?? "";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `fire(i)` `rate` times a second for `seconds`, on schedule (open loop: a slow answer does not delay the next call). */
async function atRate(rate: number, seconds: number, fire: (i: number) => Promise<void>): Promise<void> {
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const calls: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    calls.push(fire(i));
  }
  await Promise.all(calls);
}

interface Phase {
  /** Latencies of the valid key's requests, ms, sorted. */
  sorted: number[];
  /** The same, only those on a new connection. */
  freshSorted: number[];
  /** Answers to the wrong keys, by `<kind> <status>` (kind own, other or none; status "error" for a failed request). */
  guesses: Map<string, number>;
  /** Retry-After values (s) on the 429s. */
  retryAfter: number[];
  /** The server process's CPU time during the phase (main thread and hashing workers), ms. */
  serverCpuMs: number;
  generatorLoopP99Ms: number;
}

async function phase(target: BenchTarget, valid: { keepAlive: Pool; fresh: Pool }, guessers: readonly Pool[] | undefined): Promise<Phase> {
  const latencies: number[] = [];
  const fresh: number[] = [];
  const guesses = new Map<string, number>();
  const retryAfter: number[] = [];
  const victims = [target.receiverKey, target.idleKey, ...target.extraKeys].map(prefixOf);
  const ownPrefix = prefixOf(target.senderKey);

  const validCall = async (i: number): Promise<void> => {
    const onNewConnection = i % 2 === 1;
    const started = performance.now();
    const response = await (onNewConnection ? valid.fresh : valid.keepAlive).request({
      method: "GET",
      path: "/api/me",
      headers: { authorization: `Bearer ${target.senderKey}`, ...(onNewConnection ? { connection: "close" } : {}) },
    });
    await response.body.text();
    const took = performance.now() - started;
    if (response.statusCode !== 200) throw new Error(`valid key answered ${response.statusCode}`);
    latencies.push(took);
    if (onNewConnection) fresh.push(took);
  };
  const guessCall = async (i: number): Promise<void> => {
    const kind = i % 4 === 0 ? "own" : i % 4 === 3 ? "none" : "other";
    const prefix = kind === "own" ? ownPrefix : kind === "none" ? randomBytes(6).toString("hex") : (victims[randomInt(victims.length)] ?? "");
    const key = `claw_${prefix}_${randomBytes(24).toString("base64url")}`;
    // Any address for any prefix: each (prefix, address) pair has its own allowance of guesses a minute.
    const pool = guessers?.[randomInt(guessers.length)];
    if (pool === undefined) return;
    let status: string;
    try {
      const response = await pool.request({ method: "GET", path: "/api/me", headers: { authorization: `Bearer ${key}` } });
      await response.body.text();
      status = String(response.statusCode);
      if (response.statusCode === 429) retryAfter.push(Number(response.headers["retry-after"]));
    } catch {
      status = "error";
    }
    guesses.set(`${kind} ${status}`, (guesses.get(`${kind} ${status}`) ?? 0) + 1);
  };

  const cpuBefore = await cpuTimeMs(target.pid);
  const loop = watchOwnEventLoop();
  await Promise.all([atRate(RATE, SECONDS, validCall), guessers === undefined ? undefined : atRate(GUESS_RATE, SECONDS, guessCall)]);
  const generator = loop.stop();
  return {
    sorted: latencies.sort((a, b) => a - b),
    freshSorted: fresh.sort((a, b) => a - b),
    guesses,
    retryAfter,
    serverCpuMs: (await cpuTimeMs(target.pid)) - cpuBefore,
    generatorLoopP99Ms: generator.p99Ms,
  };
}

/** Wrong keys of a phase answered `status`, of one kind or of all. */
const count = (p: Phase, status: string, kind?: string): number =>
  [...p.guesses].filter(([label]) => label.endsWith(` ${status}`) && (kind === undefined || label.startsWith(`${kind} `))).reduce((sum, [, n]) => sum + n, 0);
const KINDS = [
  ["own", "valid key's prefix"],
  ["other", "other names' prefixes (each 401 took a bcrypt hash)"],
  ["none", "no name's prefix"],
] as const;

function describePhase(label: string, p: Phase): string {
  const s = p.sorted;
  const wrong = [...p.guesses.values()].reduce((a, b) => a + b, 0);
  const others = [...p.guesses].filter(([label]) => !label.endsWith(" 401") && !label.endsWith(" 429"));
  return (
    `  ${label}: valid key p50 ${fmt(percentile(s, 50), 2)} ms, p99 ${fmt(percentile(s, 99), 2)} ms, max ${fmt(s.at(-1) ?? Number.NaN, 2)} ms ` +
    `(${s.length} requests; on new connections p99 ${fmt(percentile(p.freshSorted, 99), 2)} ms); server CPU ${fmt(p.serverCpuMs / SECONDS / 10, 0)} % of a core; ` +
    `generator loop p99 ${fmt(p.generatorLoopP99Ms, 2)} ms` +
    (wrong === 0
      ? ""
      : `; wrong keys ${wrong}: 401 ${count(p, "401")}, 429 ${count(p, "429")}` +
        (others.length === 0 ? "" : `, else ${others.map(([label, n]) => `${label}×${n}`).join(" ")}`))
  );
}

export async function runKeyGuessingBench(): Promise<{ quietP99Ms: number; hostileP99Ms: number; ratio: number }> {
  const lines: string[] = [
    `## key guessing: a valid key's GET /api/me at ${RATE}/s, quiet vs with ${GUESS_RATE} wrong keys/s`,
    `${machineLine()} (at start)`,
    `${ROUNDS} alternating rounds of ${SECONDS} s per phase; wrong keys from ${GUESS_SOURCES} loopback addresses; ` +
      `a quarter for the valid key's prefix, half for ${VICTIM_NAMES + 2} other names' prefixes, a quarter for no name's`,
  ];
  const target = await startClawTell({ extraNames: VICTIM_NAMES });
  const valid = { keepAlive: new Pool(target.url, { connections: 4 }), fresh: new Pool(target.url, { connections: 8 }) };
  const guessers = Array.from(
    { length: GUESS_SOURCES },
    (_, i) => new Pool(target.url, { connections: 16, localAddress: `127.0.0.${i + 1}` }),
  );
  const rounds: Array<{ quiet: Phase; hostile: Phase }> = [];
  try {
    // Warm-up: the valid key pays its one bcrypt check, and the pools open connections, before timing starts.
    await phase(target, valid, undefined);
    for (let round = 1; round <= ROUNDS; round++) {
      const quiet = await phase(target, valid, undefined);
      const hostile = await phase(target, valid, guessers);
      rounds.push({ quiet, hostile });
      lines.push(`### round ${round} of ${ROUNDS}`, describePhase("quiet  ", quiet), describePhase("hostile", hostile));
      process.stderr.write(`round ${round}: quiet p99 ${fmt(percentile(quiet.sorted, 99), 2)} ms, hostile p99 ${fmt(percentile(hostile.sorted, 99), 2)} ms\n`);
    }
  } finally {
    await Promise.all([valid.keepAlive.close(), valid.fresh.close(), ...guessers.map((pool) => pool.close())]);
    await target.stop();
  }
  const p99 = (p: Phase): number => percentile(p.sorted, 99);
  const quietP99 = rounds.map((r) => p99(r.quiet));
  const hostileP99 = rounds.map((r) => p99(r.hostile));
  const ratios = rounds.map((r) => p99(r.hostile) / p99(r.quiet));
  const hostileMedian = spreadOf(hostileP99).median;
  const total = (status: string, kind?: string): number => rounds.reduce((sum, r) => sum + count(r.hostile, status, kind), 0);
  const sent = rounds.reduce((sum, r) => sum + [...r.hostile.guesses.values()].reduce((a, b) => a + b, 0), 0);
  const retry = spreadOf(rounds.flatMap((r) => r.hostile.retryAfter));
  lines.push(
    `### over ${ROUNDS} rounds`,
    `valid key p99, quiet:   ${describeSpread(quietP99, 2, " ms")}`,
    `valid key p99, hostile: ${describeSpread(hostileP99, 2, " ms")} (goal <= ${GOAL_MS} ms: ${hostileMedian <= GOAL_MS ? "met" : "NOT met"})`,
    `ratio hostile/quiet p99 per round: ${describeSpread(ratios)}`,
    `valid key p50, quiet ${describeSpread(rounds.map((r) => percentile(r.quiet.sorted, 50)), 2, " ms")}, ` +
      `hostile ${describeSpread(rounds.map((r) => percentile(r.hostile.sorted, 50)), 2, " ms")}`,
    `wrong keys: ${sent} sent; 401 ${total("401")}, 429 ${total("429")} (Retry-After ${fmt(retry.min, 0)}–${fmt(retry.max, 0)} s), ` +
      `anything else ${sent - total("401") - total("429")}; by prefix: ` +
      KINDS.map(([kind, label]) => `${label} 401 ${total("401", kind)} / 429 ${total("429", kind)}`).join(", "),
    `${machineLine()} (at end)`,
    "",
  );
  process.stdout.write(lines.join("\n"));
  return { quietP99Ms: spreadOf(quietP99).median, hostileP99Ms: hostileMedian, ratio: spreadOf(ratios).median };
}

if (import.meta.url === `file://${process.argv[1]}`) await runKeyGuessingBench();
