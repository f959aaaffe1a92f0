/**
 * What metrics cost: bench (a)'s full cycle (send → long poll → ack) at 32 senders against our server with metrics
 * off (`--no-metrics`) and on (the default), in the same run (lib/arms.ts: rounds, order, `BENCH_PAIRED`). Goal:
 * median cost ≤ 3 %.
 *
 * `BENCH_OBSERVERS=1` adds a third arm: metrics on, plus what a metrics library's "default metrics" install in the
 * process — a GC PerformanceObserver that handles every collection and an event-loop delay monitor — loaded with
 * `node --import`, to show what those cost on their own.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareArms, type Arm } from "./lib/arms.js";
import { spreadOf } from "./lib/harness.js";

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

export async function runMetricsOverheadBench(): Promise<{ off: number; on: number; costPercent: number }> {
  const dir = await mkdtemp(join(tmpdir(), "clawtell-bench-observers-"));
  const arms: Arm[] = [
    { label: "off", serverArgs: ["--no-metrics"] },
    { label: "on" },
  ];
  if (process.env["BENCH_OBSERVERS"] === "1") {
    await writeFile(join(dir, "observers.mjs"), OBSERVERS);
    arms.push({ label: "on + GC/event-loop observers", nodeArgs: ["--import", join(dir, "observers.mjs")] });
  }
  try {
    const { results, costPercent } = await compareArms({ title: "metrics overhead: full cycle send + receive + ack, metrics off vs on", arms, goalPercent: 3 });
    const median = (i: number): number => spreadOf((results[i] ?? []).map((r) => r.rate)).median;
    return { off: median(0), on: median(1), costPercent };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runMetricsOverheadBench();
