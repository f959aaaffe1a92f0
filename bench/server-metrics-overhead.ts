/**
 * What metrics cost: bench (a)'s full cycle (send → long poll → ack) at 32 senders against our server with metrics
 * off (`--no-metrics`) and on (the default), in the same run. The two take turns for `BENCH_ROUNDS` rounds (default 5),
 * swapping which goes first each round; every round is printed, then the medians and spreads, and the cost of metrics
 * as 1 − on/off of each round's pair. Goal: median cost ≤ 3 %.
 */
import { describeSpread, fmt, machineLine, spreadOf, startClawTell } from "./lib/harness.js";
import { fullCycle } from "./server-throughput.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SENDERS = Number(process.env["BENCH_SENDERS"] ?? 32);

async function measure(metrics: boolean): Promise<number> {
  const target = await startClawTell({ serverArgs: metrics ? [] : ["--no-metrics"] });
  try {
    return await fullCycle(target, SENDERS);
  } finally {
    await target.stop();
  }
}

export async function runMetricsOverheadBench(): Promise<{ off: number; on: number; costPercent: number }> {
  const before = machineLine();
  const off: number[] = [];
  const on: number[] = [];
  const cost: number[] = [];
  const lines: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const onFirst = round % 2 === 1;
    const first = await measure(onFirst);
    const second = await measure(!onFirst);
    const [withMetrics, without] = onFirst ? [first, second] : [second, first];
    on.push(withMetrics);
    off.push(without);
    cost.push((1 - withMetrics / without) * 100);
    lines.push(
      `  round ${round + 1} (${onFirst ? "on first" : "off first"}): off ${fmt(without, 0)}, on ${fmt(withMetrics, 0)} msg/s, cost ${fmt(cost.at(-1) ?? 0, 1)} %`,
    );
  }
  const result = { off: spreadOf(off).median, on: spreadOf(on).median, costPercent: spreadOf(cost).median };
  process.stdout.write(
    [
      "## metrics overhead: full cycle send + receive + ack, metrics off vs on",
      `${before} (at start)`,
      `${SENDERS} concurrent senders, 2 long-poll receivers acking each batch; ${ROUNDS} alternating rounds`,
      ...lines,
      `metrics off: ${describeSpread(off, 0, " msg/s")}`,
      `metrics on:  ${describeSpread(on, 0, " msg/s")}`,
      `cost of metrics (1 − on/off per round): ${describeSpread(cost, 1, " %")} (goal <= 3 %)`,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await runMetricsOverheadBench();
