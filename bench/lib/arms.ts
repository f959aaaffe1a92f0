/**
 * Arms of one comparison: bench (a)'s full cycle (send → long poll → ack) against our server started differently per
 * arm (flags, Node options, another build), in the same run. The arms take turns for `BENCH_ROUNDS` rounds (default
 * 5), the order rotating each round; every round is printed, then the medians and spreads, and each arm's cost against
 * the first as 1 − arm/first of each round's pair. Throughput moves with whatever else the machine runs; the server's
 * own CPU time per message (from /proc) moves far less, so it is printed too.
 *
 * `BENCH_PAIRED=1` runs the arms of a round at the same time instead of one after the other (each with its own
 * senders): on a machine shared with other work, both then see the same neighbours.
 */
import { cpuTimeMs, describeSpread, fmt, machineLine, spreadOf, startClawTell, type BenchTarget } from "./harness.js";
import { fullCycle } from "../server-throughput.js";

export interface Arm {
  readonly label: string;
  readonly serverArgs?: readonly string[];
  readonly nodeArgs?: readonly string[];
  /** Another build's cli.js (see startClawTell). */
  readonly cli?: string;
}

export interface Measured {
  /** Messages per second through the full cycle. */
  readonly rate: number;
  /** The server's CPU time (user + system) per message, µs. */
  readonly cpuUs: number;
}

export interface Comparison {
  /** The heading line. */
  readonly title: string;
  /** The first arm is what the others are compared with. */
  readonly arms: readonly Arm[];
  /** The goal of the second arm's cost, in percent (printed beside its figure). */
  readonly goalPercent?: number;
}

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SENDERS = Number(process.env["BENCH_SENDERS"] ?? 32);
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);
const PAIRED = process.env["BENCH_PAIRED"] === "1";

const start = (arm: Arm): Promise<BenchTarget> =>
  startClawTell({ serverArgs: arm.serverArgs ?? [], nodeArgs: arm.nodeArgs ?? [], ...(arm.cli === undefined ? {} : { cli: arm.cli }) });

/** One round of the arms: one after the other in `order`, or (paired) all at once. Answers by arm index. */
async function measureRound(arms: readonly Arm[], order: readonly number[]): Promise<Map<number, Measured>> {
  const targets = new Map<number, BenchTarget>();
  try {
    if (PAIRED) for (const i of order) targets.set(i, await start(arms[i] as Arm));
    const run = async (i: number): Promise<[number, Measured]> => {
      const target = targets.get(i) ?? (await start(arms[i] as Arm));
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

/** Runs the comparison, prints it, and answers each arm's measurements and the second arm's median cost in percent. */
export async function compareArms(comparison: Comparison): Promise<{ results: Measured[][]; costPercent: number }> {
  const { arms } = comparison;
  const before = machineLine();
  const results = arms.map(() => [] as Measured[]);
  const lines: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = arms.map((_, i) => (i + round) % arms.length);
    const measured = await measureRound(arms, order);
    for (const [i, result] of measured) results[i]?.push(result);
    const parts = arms.map((arm, i) => {
      const r = results[i]?.[round];
      return `${arm.label} ${fmt(r?.rate ?? 0, 0)} msg/s ${fmt(r?.cpuUs ?? 0, 1)} µs/msg`;
    });
    lines.push(`  round ${round + 1}${PAIRED ? "" : ` (first: ${arms[order[0] ?? 0]?.label})`}: ${parts.join("; ")}`);
    process.stderr.write(`${lines.at(-1) ?? ""}\n`);
  }
  const first = results[0] ?? [];
  const summary: string[] = [];
  let costPercent = Number.NaN;
  arms.forEach((arm, i) => {
    const rows = results[i] ?? [];
    summary.push(`${arm.label}: ${describeSpread(rows.map((r) => r.rate), 0, " msg/s")}; server CPU ${describeSpread(rows.map((r) => r.cpuUs), 1, " µs/msg")}`);
    if (i === 0) return;
    const cost = rows.map((r, k) => (1 - r.rate / (first[k]?.rate ?? Number.NaN)) * 100);
    const cpu = rows.map((r, k) => (r.cpuUs / (first[k]?.cpuUs ?? Number.NaN) - 1) * 100);
    if (i === 1) costPercent = spreadOf(cost).median;
    const goal = i === 1 && comparison.goalPercent !== undefined ? ` (goal <= ${comparison.goalPercent} %)` : "";
    summary.push(
      `  ${arm.label} vs ${arms[0]?.label ?? ""}, per round: throughput cost ${describeSpread(cost, 1, " %")}${goal}; server CPU per message ${describeSpread(cpu, 1, " %")}`,
    );
  });
  process.stdout.write(
    [
      `## ${comparison.title}`,
      `${before} (at start)`,
      `${SENDERS} concurrent senders, 2 long-poll receivers acking each batch; ${ROUNDS} rounds of ${DURATION_MS} ms per arm, ` +
        (PAIRED ? "the arms of a round at the same time" : "one arm after the other, order rotating"),
      ...lines,
      ...summary,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  return { results, costPercent };
}
