/**
 * Scale-out benchmarks: server processes on one PostgreSQL database, wake-ups and rate-limit counters through Redis.
 *   (d) full cycle send → long poll → ack, durable, through two processes (senders and receivers on both), against
 *       the embedded server (one process, data folder) in the same run — goal ratio ≥ 0.35;
 *   (e) send → receive latency at 500 msg/s, sent through process A and received on process B (long poll and SSE),
 *       with 10 000 idle connections parked on the two processes, after 2 s of sends at that rate that are not
 *       counted (the steady state); baseline: the same with the receivers on A — goal p99 ≤ 15 ms;
 *   (f) idle cost with the connections parked and no traffic: Redis commands and PostgreSQL transactions per second,
 *       the process heartbeat counted apart — goal: no PostgreSQL query from the waits themselves;
 * and the figures of the capacity model (docs/deployment.md): memory per parked long poll and per stream, rows, WAL
 * bytes and Redis commands per message, Redis memory of the parked connections.
 *
 * Every round has a database of its own, created on the shared PostgreSQL and dropped after it; PostgreSQL runs with
 * its own settings (durable: fsync and synchronous_commit as configured, printed). Redis is a redis-server of the
 * bench's own, so its counters see only the bench. `tsx bench/server-scale-out.ts [d|ef]` runs one part.
 * Knobs: BENCH_ROUNDS (5), BENCH_SENDERS (64), BENCH_DURATION_MS (8000), BENCH_IDLE (10000), BENCH_SECONDS (10),
 * BENCH_IDLE_SECONDS (30), BENCH_WARM_SECONDS (2), BENCH_SERVER_NODE_ARGS, BENCH_LATENCY_DUMP (a file prefix: (e) writes
 * each counted message's send time, latency and send → 200, one line each, to `<prefix>-cross.txt` and `-same.txt`).
 */
import { Redis } from "ioredis";
import pg from "pg";
import { Pool } from "undici";
import { redisServerUnavailable, startOwnRedis } from "../test/helpers/redis-server.js";
import { postgresUnavailable } from "../test/helpers/test-database.js";
import { describeSpread, fmt, machineLine, requestJson, rssMb, spreadOf, waitUntilQuiet } from "./lib/harness.js";
import { describeCpuUse, type Role } from "./lib/cpu-use.js";
import { measureLatency, p, WARM_SECONDS, type LatencyRun } from "./lib/scale-out-latency.js";
import { describeCounts, pgDelta, readPg, redisCommands, redisDelta, redisKeyBytes, redisUsedMemory, routeCounts, type PgCounters } from "./lib/scale-out-stats.js";
import { ADMIN_DATABASE_URL, parkConnections, SENDER_NAMES, startCluster, startEmbedded, type Cluster, type Keys } from "./lib/scale-out-targets.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SENDERS = Number(process.env["BENCH_SENDERS"] ?? 64);
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);
const IDLE = Number(process.env["BENCH_IDLE"] ?? 10_000);
const RATE = 500;
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 10);
const IDLE_SECONDS = Number(process.env["BENCH_IDLE_SECONDS"] ?? 30);
/** An idle backend reports its statistics up to 10 s late (PostgreSQL 15+); wait that long before a reading. */
const PG_STATS_DELAY_MS = 11_000;
const BODY = "benchmark payload of a typical short agent message";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const out = (...lines: string[]): void => void process.stdout.write(`${lines.join("\n")}\n`);

async function postgresSettings(): Promise<string> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    const rows = await client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'server_version') ORDER BY name",
    );
    return rows.rows.map((r) => `${r.name}=${r.setting}`).join(", ");
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------- (d)

interface Cycle {
  /** Messages sent, received and acked per second within the timed window. */
  rate: number;
  /** Messages sent (200) over the whole run, all of them received and acked by its end. */
  sent: number;
}

/**
 * The load of bench (a) over several processes: `SENDERS` concurrent senders spread over `senderUrls` (and over the
 * sender names, against the per-key rate limit), one long-poll receiver of bob per entry of `receiverUrls`, each
 * acking every batch. After the window the rest is drained, so every message sent is also received and acked.
 */
async function fullCycle(senderUrls: readonly string[], receiverUrls: readonly string[], keys: Keys, onWarm?: () => Promise<void>): Promise<Cycle> {
  const urls = [...new Set([...senderUrls, ...receiverUrls])];
  const pools = new Map(urls.map((url) => [url, new Pool(url, { connections: Math.ceil(SENDERS / senderUrls.length) + 4, pipelining: 1 })]));
  const poolOf = (url: string): Pool => pools.get(url) ?? (undefined as never);
  // Warm-up: each key's one slow check on every process, one at a time (a server checks at most 4 keys at once).
  for (const url of urls) {
    for (const key of keys.senders) await requestJson(poolOf(url), "POST", "/api/messages/send", key, { to: "bob", body: "warm-up" });
  }
  const drain = async (pool: Pool): Promise<number> => {
    let taken = 0;
    for (;;) {
      const res = await requestJson(pool, "GET", "/api/messages/poll?timeout=0&limit=100", keys.poller);
      const ids = (res["messages"] as Array<{ id: string }>).map((m) => m.id);
      if (ids.length === 0) return taken;
      await requestJson(pool, "POST", "/api/messages/ack", keys.poller, { messageIds: ids });
      taken += ids.length;
    }
  };
  for (const url of urls) await drain(poolOf(url));
  await onWarm?.();

  let received = 0;
  let sent = 0;
  let stopping = false;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  const sender = async (i: number): Promise<void> => {
    const pool = poolOf(senderUrls[i % senderUrls.length] ?? "");
    const key = keys.senders[i % keys.senders.length] ?? "";
    while (performance.now() < deadline) {
      await requestJson(pool, "POST", "/api/messages/send", key, { to: "bob", body: BODY });
      sent++;
    }
  };
  const receiver = async (url: string): Promise<void> => {
    const pool = poolOf(url);
    while (!stopping) {
      const res = await requestJson(pool, "GET", "/api/messages/poll?timeout=1&limit=100", keys.poller);
      const ids = (res["messages"] as Array<{ id: string }>).map((m) => m.id);
      if (ids.length === 0) continue;
      await requestJson(pool, "POST", "/api/messages/ack", keys.poller, { messageIds: ids });
      if (performance.now() < deadline) received += ids.length;
    }
  };
  const receivers = receiverUrls.map(receiver);
  await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i)));
  const elapsed = performance.now() - started;
  stopping = true;
  await Promise.all(receivers);
  // Leases of messages handed out but unacked when the receivers stopped end with their connections: take them all.
  const first = receiverUrls[0] ?? "";
  for (let attempt = 0; attempt < 50; attempt++) {
    await drain(poolOf(first));
    const check = await requestJson(poolOf(first), "GET", "/api/messages/poll?timeout=0&limit=1", keys.poller);
    if ((check["messages"] as unknown[]).length === 0) break;
    await sleep(100);
  }
  await Promise.all([...pools.values()].map((pool) => pool.close()));
  return { rate: (received / elapsed) * 1000, sent };
}

interface ClusterCycle extends Cycle {
  pg: PgCounters;
  redis: { total: number; byCommand: Map<string, number> };
}

async function cycleOnCluster(redisUrl: string, probe: Redis): Promise<ClusterCycle> {
  await probe.flushall();
  const cluster = await startCluster(2, redisUrl);
  try {
    const [a, b] = cluster.processes.map((s) => s.url);
    let pgBefore: PgCounters | undefined;
    let redisBefore = new Map<string, number>();
    const onWarm = async (): Promise<void> => {
      await sleep(PG_STATS_DELAY_MS);
      pgBefore = await readPg(cluster.root, cluster.admin, cluster.database);
      redisBefore = await redisCommands(probe);
    };
    const cycle = await fullCycle([a ?? "", b ?? ""], [a ?? "", b ?? ""], cluster.keys, onWarm);
    const redis = redisDelta(redisBefore, await redisCommands(probe));
    // The servers' connections end with them, and report their statistics as they end.
    await cluster.stopServers();
    await sleep(500);
    const pgAfter = await readPg(cluster.root, cluster.admin, cluster.database);
    return { ...cycle, pg: pgDelta(pgBefore ?? pgAfter, pgAfter), redis };
  } finally {
    await cluster.stop();
  }
}

async function cycleOnEmbedded(): Promise<Cycle> {
  const { target, keys } = await startEmbedded();
  try {
    return await fullCycle([target.url], [target.url, target.url], keys);
  } finally {
    await target.stop();
  }
}

export interface ScaleOutThroughput {
  ratio: number;
  perMessage: { rows: string; wal: number; xacts: number; redis: number };
}

export async function runScaleOutThroughput(redisUrl: string, probe: Redis): Promise<ScaleOutThroughput> {
  out(
    "## (d) full cycle through two processes on PostgreSQL + Redis, against the embedded server",
    `${machineLine()} (at start)`,
    `PostgreSQL (shared, settings as they are): ${await postgresSettings()}`,
    `${SENDERS} concurrent senders (${SENDER_NAMES} sender names), ${DURATION_MS} ms per round; cluster: senders spread over both processes, ` +
      "one long-poll receiver on each; embedded: 2 long-poll receivers (as bench (a)); a fresh database and data folder per round",
  );
  const ratios: number[] = [];
  const ours: number[] = [];
  const embedded: number[] = [];
  const perMessage = { ins: [] as number[], upd: [] as number[], wal: [] as number[], xacts: [] as number[], redis: [] as number[] };
  let lastRedis = new Map<string, number>();
  for (let round = 1; round <= ROUNDS; round++) {
    let base: Cycle;
    let cluster: ClusterCycle;
    // Alternate which goes first.
    if (round % 2 === 1) {
      base = await cycleOnEmbedded();
      cluster = await cycleOnCluster(redisUrl, probe);
    } else {
      cluster = await cycleOnCluster(redisUrl, probe);
      base = await cycleOnEmbedded();
    }
    const ratio = cluster.rate / base.rate;
    ratios.push(ratio);
    ours.push(cluster.rate);
    embedded.push(base.rate);
    const messages = cluster.pg.tables.get("messages") ?? { ins: 0, upd: 0, hot: 0, del: 0, scans: 0 };
    const n = cluster.sent;
    perMessage.ins.push(messages.ins / n);
    perMessage.upd.push(messages.upd / n);
    perMessage.wal.push(cluster.pg.walBytes / n);
    perMessage.xacts.push(cluster.pg.xacts / n);
    perMessage.redis.push(cluster.redis.total / n);
    lastRedis = cluster.redis.byCommand;
    out(
      `round ${round}: embedded ${fmt(base.rate, 0)} msg/s, cluster ${fmt(cluster.rate, 0)} msg/s, ratio ${fmt(ratio, 2)}; ` +
        `cluster per message (${n} sent, all acked): messages rows inserted ${fmt(messages.ins / n, 2)}, updated ${fmt(messages.upd / n, 2)} ` +
        `(HOT ${fmt(messages.hot / n, 2)}), transactions ${fmt(cluster.pg.xacts / n, 2)}, WAL ${fmt(cluster.pg.walBytes / n, 0)} B, ` +
        `Redis commands ${fmt(cluster.redis.total / n, 2)} — ${machineLine()}`,
    );
  }
  const ratio = spreadOf(ratios).median;
  out(
    `embedded (one process, data folder): ${describeSpread(embedded, 0, " msg/s")}`,
    `cluster (2 processes, PostgreSQL + Redis): ${describeSpread(ours, 0, " msg/s")}`,
    `ratio cluster/embedded per round: ${ratios.map((r) => fmt(r, 2)).join(", ")}; ${describeSpread(ratios, 2)} (goal >= 0.35)`,
    `per message sent + received + acked (cluster): rows inserted into messages ${describeSpread(perMessage.ins, 2)}, rows updated ${describeSpread(perMessage.upd, 2)}, ` +
      `transactions ${describeSpread(perMessage.xacts, 2)}, WAL ${describeSpread(perMessage.wal, 0, " B")} (cluster-wide WAL: other databases' writes count too), ` +
      `Redis commands ${describeSpread(perMessage.redis, 2)} (last round: ${describeCounts(lastRedis)})`,
    `${machineLine()} (at end)`,
    "",
  );
  const median = (values: number[]): number => spreadOf(values).median;
  return {
    ratio,
    perMessage: { rows: `${fmt(median(perMessage.ins), 2)} inserted, ${fmt(median(perMessage.upd), 2)} updated`, wal: median(perMessage.wal), xacts: median(perMessage.xacts), redis: median(perMessage.redis) },
  };
}

// ------------------------------------------------------------------------------------------------------------ (e) (f)

interface IdleCost {
  seconds: number;
  redisCommands: number;
  redisByCommand: Map<string, number>;
  xacts: number;
  heartbeats: number;
  messageScans: number;
  pollsAnswered: number;
  streamsOpened: number;
  walBytes: number;
}

interface LatencyRound {
  cross: LatencyRun;
  same: LatencyRun;
  parkedPolls: number;
  parkedStreams: number;
  /** Parking requests answered with an error (503: the database pool busy), issued again after 1–2 s. */
  refused: number;
  rss: { aEmpty: number; aIdle: number; bEmpty: number; bIdle: number };
  redisMemory: { before: number; after: number; keys: number; keyBytes: number };
  idle: IdleCost;
}

async function latencyRound(redisUrl: string, probe: Redis, crossFirst: boolean): Promise<LatencyRound> {
  await probe.flushall();
  const cluster = await startCluster(2, redisUrl);
  try {
    const [a, b] = cluster.processes;
    if (a === undefined || b === undefined) throw new Error("two processes");
    await Promise.all([waitUntilQuiet(a.pid), waitUntilQuiet(b.pid)]);
    const rss = { aEmpty: await rssMb(a.pid), bEmpty: await rssMb(b.pid), aIdle: 0, bIdle: 0 };
    const memoryBefore = await redisUsedMemory(probe);
    // Long polls on A, streams on B: each process's RSS then tells the memory of one kind.
    const polls = await parkConnections(a.url, cluster.keys.idle, IDLE / 2, "poll");
    const streams = await parkConnections(b.url, cluster.keys.idle, IDLE / 2, "stream");
    try {
      await Promise.all([waitUntilQuiet(a.pid), waitUntilQuiet(b.pid)]);
      rss.aIdle = await rssMb(a.pid);
      rss.bIdle = await rssMb(b.pid);
      const held = await redisKeyBytes(probe);
      const redisMemory = { before: memoryBefore, after: await redisUsedMemory(probe), keys: held.keys, keyBytes: held.bytes };
      let cross: LatencyRun;
      let same: LatencyRun;
      // Halfway through the warm-up the messages table's statistics are brought up to date, as autovacuum keeps them
      // on a database that has run a while: the plans the servers keep were made while the table was empty.
      const analyze = async (): Promise<void> => {
        await cluster.admin.query("ANALYZE messages");
      };
      const roles = new Map<string, Role>([
        ["A", { pids: [a.pid] }],
        ["B", { pids: [b.pid] }],
        ["parkers", { pids: [...polls.pids, ...streams.pids] }],
        ["redis", { command: "redis-server" }],
      ]);
      if (crossFirst) {
        cross = await measureLatency(a.url, b.url, cluster.keys, RATE, SECONDS, analyze, roles);
        same = await measureLatency(a.url, a.url, cluster.keys, RATE, SECONDS, analyze, roles);
      } else {
        same = await measureLatency(a.url, a.url, cluster.keys, RATE, SECONDS, analyze, roles);
        cross = await measureLatency(a.url, b.url, cluster.keys, RATE, SECONDS, analyze, roles);
      }
      const idle = await idleCost(cluster, probe, a.url, b.url, [a.pid, b.pid]);
      return { cross, same, parkedPolls: polls.parked, parkedStreams: streams.parked, refused: polls.refused + streams.refused, rss, redisMemory, idle };
    } finally {
      await Promise.all([polls.stop(), streams.stop()]);
    }
  } finally {
    await cluster.stop();
  }
}

/** (f): counters over `IDLE_SECONDS` with the connections parked and no messages, once the processes are quiet. */
async function idleCost(cluster: Cluster, probe: Redis, aUrl: string, bUrl: string, pids: number[]): Promise<IdleCost> {
  await Promise.all(pids.map((pid) => waitUntilQuiet(pid)));
  await sleep(PG_STATS_DELAY_MS);
  const routes = async (): Promise<{ polls: number; streams: number }> => {
    const [ra, rb] = await Promise.all([routeCounts(aUrl), routeCounts(bUrl)]);
    const sum = (route: string): number => (ra.get(route) ?? 0) + (rb.get(route) ?? 0);
    return { polls: sum("GET /api/messages/poll"), streams: sum("GET /v1/stream") };
  };
  const pgBefore = await readPg(cluster.root, cluster.admin, cluster.database);
  const redisBefore = await redisCommands(probe);
  const routesBefore = await routes();
  await sleep(IDLE_SECONDS * 1000);
  const redisAfter = await redisCommands(probe);
  const routesAfter = await routes();
  const pgAfter = await readPg(cluster.root, cluster.admin, cluster.database);
  const pgChange = pgDelta(pgBefore, pgAfter);
  const heartbeatTable = pgChange.tables.get("server_processes");
  const redis = redisDelta(redisBefore, redisAfter);
  return {
    seconds: IDLE_SECONDS,
    redisCommands: redis.total,
    redisByCommand: redis.byCommand,
    // Less the one transaction of the bench's own reading of the table statistics (readPg) inside the window.
    xacts: pgChange.xacts - 1,
    heartbeats: (heartbeatTable?.ins ?? 0) + (heartbeatTable?.upd ?? 0),
    messageScans: pgChange.tables.get("messages")?.scans ?? 0,
    // /metrics counts a request when it is answered: a long poll that times out, a stream that ends.
    pollsAnswered: routesAfter.polls - routesBefore.polls,
    streamsOpened: routesAfter.streams - routesBefore.streams,
    walBytes: pgChange.walBytes,
  };
}

/** CPU ms a message took from a role's cores over the counted window. */
const msPerMessage = (r: LatencyRun, role: string): number => ((r.cpu.roles.get(role) ?? 0) * r.cpu.ms) / r.expected;

const describeRun = (label: string, r: LatencyRun): string =>
  `  ${label}: poll p50 ${fmt(p(r.poll, 50), 2)} p99 ${fmt(p(r.poll, 99), 2)} ms; stream p50 ${fmt(p(r.stream, 50), 2)} p99 ${fmt(p(r.stream, 99), 2)} ms; ` +
  `both p50 ${fmt(p(r.all, 50), 2)} p99 ${fmt(p(r.all, 99), 2)} max ${fmt(r.all.at(-1) ?? Number.NaN, 1)} ms (${r.all.length}/${r.expected} received, ${r.again} of them again); ` +
  `send → 200 p50 ${fmt(p(r.send, 50), 2)} p99 ${fmt(p(r.send, 99), 2)} ms (${r.queuedSends} sends waited for a free connection, at most ${r.maxQueued} at once); event loops late at p99 (beyond the 5 ms sampling interval): sender ${fmt(r.senderLoopLateP99Ms, 1)} ms, receivers ${fmt(r.receiverLoopLateP99Ms, 1)} ms\n` +
  `    CPU while counted, ${describeCpuUse(r.cpu)}; a message took ${fmt(msPerMessage(r, "postgres"), 2)} ms of PostgreSQL's CPU and ${fmt(msPerMessage(r, "A") + msPerMessage(r, "B"), 2)} ms of the servers'`;

export interface ScaleOutLatency {
  crossP99Ms: number;
  sameP99Ms: number;
  pollKb: number;
  streamKb: number;
  wakeQueriesPerSecond: number;
}

export async function runScaleOutLatency(redisUrl: string, probe: Redis): Promise<ScaleOutLatency> {
  out(
    `## (e) cross-process latency and (f) idle cost, ${IDLE} idle connections over two processes`,
    `${machineLine()} (at start)`,
    `two processes A and B on a fresh database per round; ${IDLE / 2} long polls (timeout=30, issued again as they return) parked on A and ` +
      `${IDLE / 2} SSE streams on B, each by a parker process of its own; ${RATE} msg/s for ${SECONDS} s (after ${WARM_SECONDS} s not counted) sent through A, alternately to bob ` +
      "(long poll, acks each batch) and carol (SSE stream, acks each message); cross: both receive on B; same: both receive on A (baseline)",
  );
  const rounds: LatencyRound[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await latencyRound(redisUrl, probe, round % 2 === 1);
    rounds.push(r);
    const kb = (idle: number, empty: number, n: number): string => fmt(((idle - empty) * 1024) / n, 1);
    const perSecond = (n: number): string => fmt(n / r.idle.seconds, 2);
    out(
      `### round ${round} of ${ROUNDS} — ${machineLine()}`,
      describeRun("cross (A → B)", r.cross),
      describeRun("same (A → A)", r.same),
      `  ratio cross/same p99 (both kinds): ${fmt(p(r.cross.all, 99) / p(r.same.all, 99), 2)}`,
      `  memory: A ${fmt(r.rss.aEmpty)} → ${fmt(r.rss.aIdle)} MB with ${r.parkedPolls} long polls (${kb(r.rss.aIdle, r.rss.aEmpty, r.parkedPolls)} KB each); ` +
        `B ${fmt(r.rss.bEmpty)} → ${fmt(r.rss.bIdle)} MB with ${r.parkedStreams} streams (${kb(r.rss.bIdle, r.rss.bEmpty, r.parkedStreams)} KB each); ` +
        `refused while parking ${r.refused}; Redis used_memory ${r.redisMemory.before} → ${r.redisMemory.after} B; ${r.redisMemory.keys} keys of ${r.redisMemory.keyBytes} B (rate-limit counters)`,
      `  idle ${r.idle.seconds} s: Redis ${perSecond(r.idle.redisCommands)} commands/s (${describeCounts(r.idle.redisByCommand)}); ` +
        `PostgreSQL ${perSecond(r.idle.xacts)} transactions/s, of which heartbeats ${perSecond(r.idle.heartbeats)}/s; ` +
        `other ${r.idle.xacts - r.idle.heartbeats} in ${r.idle.seconds} s; scans of messages ${r.idle.messageScans}; ` +
        `long polls answered (timed out) ${r.idle.pollsAnswered}, streams ended ${r.idle.streamsOpened}; WAL (cluster-wide) ${fmt(r.idle.walBytes / r.idle.seconds, 0)} B/s`,
    );
  }
  const crossP99 = rounds.map((r) => p(r.cross.all, 99));
  const sameP99 = rounds.map((r) => p(r.same.all, 99));
  const pollKb = rounds.map((r) => ((r.rss.aIdle - r.rss.aEmpty) * 1024) / r.parkedPolls);
  const streamKb = rounds.map((r) => ((r.rss.bIdle - r.rss.bEmpty) * 1024) / r.parkedStreams);
  const other = rounds.map((r) => (r.idle.xacts - r.idle.heartbeats) / r.idle.seconds);
  const perPoll = rounds.filter((r) => r.idle.pollsAnswered > 0).map((r) => (r.idle.xacts - r.idle.heartbeats) / r.idle.pollsAnswered);
  // Each parked long poll goes round once every 30 s (its timeout): answered, issued again, one claim when it opens.
  const cycles = (r: LatencyRound): number => (r.parkedPolls * r.idle.seconds) / 30;
  const perCycle = rounds.map((r) => (r.idle.xacts - r.idle.heartbeats) / cycles(r));
  const scansPerCycle = rounds.map((r) => r.idle.messageScans / cycles(r));
  const median = (values: number[]): number => spreadOf(values).median;
  out(
    `### over ${ROUNDS} rounds`,
    `(e) cross-process p99 (poll and stream together): ${crossP99.map((v) => fmt(v, 2)).join(", ")} ms; ${describeSpread(crossP99, 2, " ms")} (goal <= 15 ms)`,
    `    CPU while the cross run was counted: machine busy ${describeSpread(rounds.map((r) => r.cross.cpu.busyCores), 2, " cores")} of ${rounds[0]?.cross.cpu.cores ?? 0}, ` +
      `stolen by the hypervisor ${describeSpread(rounds.map((r) => r.cross.cpu.stealCores), 2, " cores")}; ` +
      `a message took PostgreSQL ${describeSpread(rounds.map((r) => msPerMessage(r.cross, "postgres")), 2, " ms")} and the servers ` +
      `${describeSpread(rounds.map((r) => msPerMessage(r.cross, "A") + msPerMessage(r.cross, "B")), 2, " ms")} of CPU`,
    `    cross p50 ${describeSpread(rounds.map((r) => p(r.cross.all, 50)), 2, " ms")}; poll p99 ${describeSpread(rounds.map((r) => p(r.cross.poll, 99)), 2, " ms")}; ` +
      `stream p99 ${describeSpread(rounds.map((r) => p(r.cross.stream, 99)), 2, " ms")}`,
    `    same-process p99 (baseline): ${describeSpread(sameP99, 2, " ms")}, p50 ${describeSpread(rounds.map((r) => p(r.same.all, 50)), 2, " ms")}; ` +
      `ratio cross/same p99 per round: ${rounds.map((r) => fmt(p(r.cross.all, 99) / p(r.same.all, 99), 2)).join(", ")}`,
    `(f) Redis commands/s idle: ${describeSpread(rounds.map((r) => r.idle.redisCommands / r.idle.seconds), 2)}; ` +
      `PostgreSQL transactions/s idle: ${describeSpread(rounds.map((r) => r.idle.xacts / r.idle.seconds), 2)}, heartbeats ${describeSpread(rounds.map((r) => r.idle.heartbeats / r.idle.seconds), 2)}; ` +
      `other transactions/s ${describeSpread(other, 2)}; long polls that timed out and were issued again: ${describeSpread(rounds.map((r) => r.idle.pollsAnswered), 0)} per window; ` +
      `other transactions per timed-out poll ${perPoll.length > 0 ? describeSpread(perPoll, 2) : "n/a (none timed out in the window)"}; ` +
      `per parked poll and 30 s: transactions ${describeSpread(perCycle, 2)}, scans of messages ${describeSpread(scansPerCycle, 2)}`,
    `capacity: memory per parked long poll ${describeSpread(pollKb, 1, " KB")}, per SSE stream ${describeSpread(streamKb, 1, " KB")}; ` +
      `Redis memory with the connections parked: ${describeSpread(rounds.map((r) => r.redisMemory.after - r.redisMemory.before), 0, " B")} more`,
    `${machineLine()} (at end)`,
    "",
  );
  return {
    crossP99Ms: median(crossP99),
    sameP99Ms: median(sameP99),
    pollKb: median(pollKb),
    streamKb: median(streamKb),
    wakeQueriesPerSecond: median(other),
  };
}

export async function runScaleOutBench(only?: string): Promise<void> {
  const missing = (await postgresUnavailable()) ?? (await redisServerUnavailable());
  if (missing !== undefined) {
    out(`## (d) (e) (f) scale-out: skipped — ${missing}`, "");
    return;
  }
  const redis = await startOwnRedis();
  const probe = new Redis(redis.url, { lazyConnect: true });
  await probe.connect();
  try {
    if (only === undefined || only === "d") await runScaleOutThroughput(redis.url, probe);
    if (only === undefined || only === "ef") await runScaleOutLatency(redis.url, probe);
  } finally {
    probe.disconnect();
    await redis.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runScaleOutBench(process.argv[2]);
