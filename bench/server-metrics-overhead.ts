/**
 * What metrics cost: bench (a)'s full cycle (send → long poll → ack) at 32 senders against our server with metrics
 * off (`--no-metrics`) and on (the default), in the same run. The arms take turns for `BENCH_ROUNDS` rounds (default 5),
 * the order rotating each round; every round is printed, then the medians and spreads, and the cost of metrics as
 * 1 − on/off of each round's pair. Goal: median cost ≤ 3 %.
 *
 * Throughput moves with whatever else the machine runs; the server's own CPU time per message (from /proc) moves far
 * less, so it is printed too, with its ratio to "off" per round.
 *
 * `BENCH_PAIRED=1` runs the arms of a round at the same time instead of one after the other (each with its own
 * senders): on a machine shared with other work, both then see the same neighbours, and the ratio within a round is
 * steadier than between rounds taken minutes apart.
 *
 * `BENCH_OBSERVERS=1` adds a third arm: metrics on, plus what a metrics library's "default metrics" install in the
 * process — a GC PerformanceObserver that handles every collection and an event-loop delay monitor — loaded with
 * `node --import`, to show what those cost on their own.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTimeMs, describeSpread, fmt, machineLine, spreadOf, startClawTell, type BenchTarget } from "./lib/harness.js";
import { fullCycle } from "./server-throughput.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SENDERS = Number(process.env["BENCH_SENDERS"] ?? 32);
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);
const PAIRED = process.env["BENCH_PAIRED"] === "1";

/** Loaded into the server with `--import`: the observers of a typical default-metrics setup, feeding a histogram. */
const OBSERVERS = `
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const buckets = [0.001, 0.01, 0.1, 1, 2, 5];
const counts = new Map();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const key = JSON.stringify({ kind: entry.detail?.kind ?? 0 });
    const row = counts.get(key) ?? new Array(buckets.length + 1).fill(0);
    const seconds = entry.duration / 1000;
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]) i++;
    row[i]++;
    counts.set(key, row);
  }
}).observe({ entryTypes: ["gc"] });
`;

interface Arm {
  label: string;
  serverArgs: string[];
  nodeArgs: string[];
}

interface Measured {
  /** Messages per second through the full cycle. */
  rate: number;
  /** The server's CPU time (user + system) per message, µs. */
  cpuUs: number;
}

/** One round of the given arms: one after the other in `order`, or (paired) all at once. Answers by arm index. */
async function measureRound(arms: readonly Arm[], order: readonly number[]): Promise<Map<number, Measured>> {
  const targets = new Map<number, BenchTarget>();
  try {
    for (const i of order) {
      const arm = arms[i];
      if (arm !== undefined && PAIRED) targets.set(i, await startClawTell({ serverArgs: arm.serverArgs, nodeArgs: arm.nodeArgs }));
    }
    const run = async (i: number): Promise<[number, Measured]> => {
      const arm = arms[i];
      if (arm === undefined) throw new Error(`no arm ${i}`);
      const target = targets.get(i) ?? (await startClawTell({ serverArgs: arm.serverArgs, nodeArgs: arm.nodeArgs }));
      targets.set(i, target);
      try {
        const cpuBefore = await cpuTimeMs(target.pid);
        const rate = await fullCycle(target, SENDERS);
        const cpuMs = (await cpuTimeMs(target.pid)) - cpuBefore;
        return [i, { rate, cpuUs: (cpuMs * 1000) / ((rate * DURATION_MS) / 1000) }];
      } finally {
        if (!PAIRED) {
          targets.delete(i);
          await target.stop();
        }
      }
    };
    if (PAIRED) return new Map(await Promise.all(order.map(run)));
    const measured = new Map<number, Measured>();
    for (const i of order) {
      const [index, result] = await run(i);
      measured.set(index, result);
    }
    return measured;
  } finally {
    await Promise.all([...targets.values()].map((target) => target.stop()));
  }
}

export async function runMetricsOverheadBench(): Promise<{ off: number; on: number; costPercent: number }> {
  const before = machineLine();
  const dir = await mkdtemp(join(tmpdir(), "clawtell-bench-observers-"));
  const arms: Arm[] = [
    { label: "off", serverArgs: ["--no-metrics"], nodeArgs: [] },
    { label: "on", serverArgs: [], nodeArgs: [] },
  ];
  if (process.env["BENCH_OBSERVERS"] === "1") {
    await writeFile(join(dir, "observers.mjs"), OBSERVERS);
    arms.push({ label: "on + GC/event-loop observers", serverArgs: [], nodeArgs: ["--import", join(dir, "observers.mjs")] });
  }
  const results = arms.map(() => [] as Measured[]);
  const lines: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = arms.map((_, i) => (i + round) % arms.length);
      const measured = await measureRound(arms, order);
      for (const [i, result] of measured) results[i]?.push(result);
      const parts = arms.map((arm, i) => {
        const r = results[i]?.[round];
        return `${arm.label} ${fmt(r?.rate ?? 0, 0)} msg/s ${fmt(r?.cpuUs ?? 0, 1)} µs/msg`;
      });
      lines.push(`  round ${round + 1}${PAIRED ? "" : ` (first: ${arms[order[0] ?? 0]?.label})`}: ${parts.join("; ")}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const off = results[0] ?? [];
  const summary: string[] = [];
  let costPercent = Number.NaN;
  arms.forEach((arm, i) => {
    const rows = results[i] ?? [];
    summary.push(`${arm.label}: ${describeSpread(rows.map((r) => r.rate), 0, " msg/s")}; server CPU ${describeSpread(rows.map((r) => r.cpuUs), 1, " µs/msg")}`);
    if (i === 0) return;
    const cost = rows.map((r, k) => (1 - r.rate / (off[k]?.rate ?? Number.NaN)) * 100);
    const cpu = rows.map((r, k) => (r.cpuUs / (off[k]?.cpuUs ?? Number.NaN) - 1) * 100);
    if (i === 1) costPercent = spreadOf(cost).median;
    summary.push(
      `  ${arm.label} vs off, per round: throughput cost ${describeSpread(cost, 1, " %")}${i === 1 ? " (goal <= 3 %)" : ""}; server CPU per message ${describeSpread(cpu, 1, " %")}`,
    );
  });
  process.stdout.write(
    [
      "## metrics overhead: full cycle send + receive + ack, metrics off vs on",
      `${before} (at start)`,
      `${SENDERS} concurrent senders, 2 long-poll receivers acking each batch; ${ROUNDS} rounds of ${DURATION_MS} ms per arm, ` +
        (PAIRED ? "the arms of a round at the same time" : "one arm after the other, order rotating"),
      ...lines,
      ...summary,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  return { off: spreadOf(off.map((r) => r.rate)).median, on: spreadOf((results[1] ?? []).map((r) => r.rate)).median, costPercent };
}

if (import.meta.url === `file://${process.argv[1]}`) await runMetricsOverheadBench();
