/**
 * What metrics cost: bench (a)'s full cycle (send → long poll → ack) at 32 senders against our server with metrics
 * off (`--no-metrics`) and on (the default), in the same run. The two take turns for `BENCH_ROUNDS` rounds (default 5),
 * swapping which goes first each round; every round is printed, then the medians and spreads, and the cost of metrics
 * as 1 − on/off of each round's pair. Goal: median cost ≤ 3 %.
 *
 * Throughput moves with whatever else the machine runs; the server's own CPU time per message (from /proc) moves far
 * less, so it is printed too, with its ratio on/off per round.
 */
import { cpuTimeMs, describeSpread, fmt, machineLine, spreadOf, startClawTell } from "./lib/harness.js";
import { fullCycle } from "./server-throughput.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SENDERS = Number(process.env["BENCH_SENDERS"] ?? 32);
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);

interface Measured {
  /** Messages per second through the full cycle. */
  rate: number;
  /** The server's CPU time (user + system) per message, µs. */
  cpuUs: number;
}

async function measure(metrics: boolean): Promise<Measured> {
  const target = await startClawTell({ serverArgs: metrics ? [] : ["--no-metrics"] });
  try {
    const cpuBefore = await cpuTimeMs(target.pid);
    const rate = await fullCycle(target, SENDERS);
    const cpuMs = (await cpuTimeMs(target.pid)) - cpuBefore;
    return { rate, cpuUs: (cpuMs * 1000) / ((rate * DURATION_MS) / 1000) };
  } finally {
    await target.stop();
  }
}

export async function runMetricsOverheadBench(): Promise<{ off: number; on: number; costPercent: number }> {
  const before = machineLine();
  const off: number[] = [];
  const on: number[] = [];
  const cost: number[] = [];
  const cpuOff: number[] = [];
  const cpuOn: number[] = [];
  const cpuCost: number[] = [];
  const lines: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const onFirst = round % 2 === 1;
    const first = await measure(onFirst);
    const second = await measure(!onFirst);
    const [withMetrics, without] = onFirst ? [first, second] : [second, first];
    on.push(withMetrics.rate);
    off.push(without.rate);
    cost.push((1 - withMetrics.rate / without.rate) * 100);
    cpuOn.push(withMetrics.cpuUs);
    cpuOff.push(without.cpuUs);
    cpuCost.push((withMetrics.cpuUs / without.cpuUs - 1) * 100);
    lines.push(
      `  round ${round + 1} (${onFirst ? "on first" : "off first"}): off ${fmt(without.rate, 0)}, on ${fmt(withMetrics.rate, 0)} msg/s, cost ${fmt(cost.at(-1) ?? 0, 1)} %; ` +
        `server CPU off ${fmt(without.cpuUs, 1)}, on ${fmt(withMetrics.cpuUs, 1)} µs/msg (${fmt(cpuCost.at(-1) ?? 0, 1)} %)`,
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
      `server CPU per message: off ${describeSpread(cpuOff, 1, " µs")}, on ${describeSpread(cpuOn, 1, " µs")}; more with metrics per round: ${describeSpread(cpuCost, 1, " %")}`,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await runMetricsOverheadBench();
