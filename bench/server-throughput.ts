/**
 * Benchmark (a): the full cycle send → receive (long poll) → ack, against our server with durable storage and
 * against the minimal in-memory baseline, in the same run. Goal: at every level of concurrent senders (32 and 64),
 * the median over the rounds of clawtell/baseline ≥ 0.6, each round's ratio taken between runs at the same level.
 * Each round also runs the baseline on bare fastify, so that the ratio splits into what the framework costs and what
 * our server does on top of it; and each server's event-loop CPU per message, which moves less with the machine.
 */
import { Pool } from "undici";
import { cpuUseBetween, snapshotCpu } from "./lib/cpu-use.js";
import { describeSpread, fmt, machineLine, mainThreadCpuTimeMs, requestJson, spreadOf, startBaseline, startClawTell, type BenchTarget } from "./lib/harness.js";

const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);
/** Concurrent senders; each server's best level counts. `BENCH_SENDERS=32` (comma-separated) picks others. */
const SENDER_LEVELS = (process.env["BENCH_SENDERS"] ?? "32,64").split(",").map(Number);
/** Alternating rounds; the figures are their medians. */
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);

/** Messages per second through send → long poll → ack with `senders` concurrent senders, for `BENCH_DURATION_MS`. */
export async function fullCycle(target: BenchTarget, senders: number): Promise<number> {
  const pool = new Pool(target.url, { connections: senders + 4, pipelining: 1 });
  // Warm-up: the first call of a key pays its bcrypt once.
  await requestJson(pool, "POST", "/api/messages/send", target.senderKey, { to: "bob", body: "warm-up" });
  const warm = await requestJson(pool, "GET", "/api/messages/poll?timeout=1", target.receiverKey);
  await requestJson(pool, "POST", "/api/messages/ack", target.receiverKey, { messageIds: (warm["messages"] as Array<{ id: string }>).map((m) => m.id) });
  let received = 0;
  let stopping = false;
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();

  const sender = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await requestJson(pool, "POST", "/api/messages/send", target.senderKey, { to: "bob", body: "benchmark payload of a typical short agent message" });
    }
  };
  const receiver = async (): Promise<void> => {
    while (!stopping) {
      const res = await requestJson(pool, "GET", "/api/messages/poll?timeout=1&limit=100", target.receiverKey);
      const ids = (res["messages"] as Array<{ id: string }>).map((m) => m.id);
      if (ids.length === 0) continue;
      await requestJson(pool, "POST", "/api/messages/ack", target.receiverKey, { messageIds: ids });
      if (performance.now() < deadline) received += ids.length;
    }
  };
  const receivers = [receiver(), receiver()];
  await Promise.all(Array.from({ length: senders }, sender));
  const elapsed = performance.now() - started;
  stopping = true;
  await Promise.all(receivers);
  await pool.close();
  return (received / elapsed) * 1000;
}

/** Whether each round also runs the baseline on bare fastify (`BENCH_FASTIFY=0` leaves it out). */
const WITH_FASTIFY = process.env["BENCH_FASTIFY"] !== "0";

/** One server's run: its rate, and its event loop's (main thread's) CPU per message and share of a core meanwhile. */
interface Run {
  readonly rate: number;
  readonly loopUs: number;
  readonly loopBusy: number;
  /** Cores of the machine busy meanwhile (all processes), and of those the server's own (all its threads). */
  readonly machineCores: number;
  readonly serverCores: number;
}

interface Server {
  readonly label: string;
  readonly start: () => Promise<BenchTarget>;
}

const SERVERS: readonly Server[] = [
  { label: "baseline", start: () => startBaseline() },
  ...(WITH_FASTIFY ? [{ label: "fastify", start: () => startBaseline({ fastify: true }) }] : []),
  { label: "clawtell", start: () => startClawTell() },
];

async function measure(server: Server, senders: number): Promise<Run> {
  const target = await server.start();
  try {
    const roles = new Map([["server", { pids: [target.pid] }]]);
    const cpuBefore = await mainThreadCpuTimeMs(target.pid);
    const machineBefore = snapshotCpu(roles);
    const started = performance.now();
    const rate = await fullCycle(target, senders);
    const elapsedMs = performance.now() - started;
    const machine = cpuUseBetween(machineBefore, snapshotCpu(roles), elapsedMs);
    const loopMs = (await mainThreadCpuTimeMs(target.pid)) - cpuBefore;
    return {
      rate,
      loopUs: (loopMs * 1000) / ((rate * DURATION_MS) / 1000),
      loopBusy: loopMs / elapsedMs,
      machineCores: machine.busyCores,
      serverCores: machine.roles.get("server") ?? 0,
    };
  } finally {
    await target.stop();
  }
}

/** One level's runs: per server label, one run per round. */
type Level = Map<string, Run[]>;

export async function runThroughputBench(): Promise<{ ours: number; baseline: number; ratio: number }> {
  // The servers take turns within every round (the order rotating by one each round), and each round's ratios compare
  // runs seconds apart: the load generator and any neighbour share the machine's two cores.
  const before = machineLine();
  const levels = new Map<number, Level>(SENDER_LEVELS.map((n) => [n, new Map(SERVERS.map((server) => [server.label, []]))]));
  const runsOf = (level: Level, label: string): Run[] => level.get(label) ?? [];
  const ratiosOf = (level: Level, over: string, under: string): number[] => {
    const unders = runsOf(level, under);
    return runsOf(level, over).map((run, round) => run.rate / (unders[round]?.rate ?? Number.NaN));
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [senders, level] of levels) {
      for (let k = 0; k < SERVERS.length; k++) {
        const server = SERVERS[(round + k) % SERVERS.length] as Server;
        runsOf(level, server.label).push(await measure(server, senders));
      }
      const described = SERVERS.map((server) => {
        const run = runsOf(level, server.label)[round] as Run;
        return `${server.label} ${fmt(run.rate, 0)} msg/s (event loop ${fmt(run.loopUs, 1)} µs a message, busy ${fmt(run.loopBusy, 2)}; server ${fmt(run.serverCores, 2)} cores, machine ${fmt(run.machineCores, 2)})`;
      });
      const ratio = ratiosOf(level, "clawtell", "baseline")[round] ?? Number.NaN;
      process.stderr.write(`round ${round + 1}, ${senders} senders: ${described.join(", ")}; ratio ${fmt(ratio, 2)}\n`);
    }
  }
  const lines = [...levels].flatMap(([senders, level]) => {
    const ratios = ratiosOf(level, "clawtell", "baseline");
    return [
      ...SERVERS.map((server) => `  ${senders} senders: ${server.label} ${describeSpread(runsOf(level, server.label).map((r) => r.rate), 0, " msg/s")}`),
      `  ${senders} senders: ratio clawtell/baseline per round ${describeSpread(ratios)} (goal >= 0.6)`,
      `    rounds: ${ratios.map((r) => fmt(r, 2)).join(", ")}`,
      ...(WITH_FASTIFY
        ? [
            `  ${senders} senders: ratio fastify/baseline (the framework alone) ${describeSpread(ratiosOf(level, "fastify", "baseline"))}; clawtell/fastify ${describeSpread(ratiosOf(level, "clawtell", "fastify"))}`,
          ]
        : []),
      ...SERVERS.map((server) => {
        const runs = runsOf(level, server.label);
        return (
          `  ${senders} senders: ${server.label} event loop ${describeSpread(runs.map((r) => r.loopUs), 1, " µs a message")}, busy ${describeSpread(runs.map((r) => r.loopBusy))} of a core; ` +
          `the server's threads ${describeSpread(runs.map((r) => r.serverCores), 2, " cores")}, the machine ${describeSpread(runs.map((r) => r.machineCores), 2, " cores")} busy`
        );
      }),
    ];
  });
  process.stdout.write(
    [
      "## (a) full cycle send + receive + ack",
      `${before} (at start)`,
      `${SENDER_LEVELS.join(" and ")} concurrent senders, 2 long-poll receivers acking each batch; ${ROUNDS} rounds of ${DURATION_MS} ms per server and level, the servers taking turns`,
      `baseline: in-memory node:http;${WITH_FASTIFY ? " fastify: the same in-memory server on bare fastify;" : ""} clawtell: fdatasync'd message journal, group commit, SQLite archive`,
      "event loop: the server's main thread (/proc) over the run; busy near 1 means the server, not the load generator, set the rate; " +
        "the machine's busy cores near all of them mean the run was short of CPU (the load generator shares them)",
      ...lines,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  // The level with the lowest median ratio.
  const medianRate = (level: Level, label: string): number => spreadOf(runsOf(level, label).map((r) => r.rate)).median;
  const worst = [...levels.values()].reduce<{ ours: number; baseline: number; ratio: number } | undefined>((acc, level) => {
    const ratio = spreadOf(ratiosOf(level, "clawtell", "baseline")).median;
    return acc !== undefined && acc.ratio <= ratio ? acc : { ours: medianRate(level, "clawtell"), baseline: medianRate(level, "baseline"), ratio };
  }, undefined);
  return worst ?? { ours: Number.NaN, baseline: Number.NaN, ratio: Number.NaN };
}

if (import.meta.url === `file://${process.argv[1]}`) await runThroughputBench();
