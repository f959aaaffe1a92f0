/**
 * What encryption at rest costs: bench (a)'s full cycle (send → long poll → ack, `fullCycle` of server-throughput.ts) at
 * 32 concurrent senders against our built server on a fresh data folder, with encryption on (the default: subjects and
 * bodies sealed with AES-256-GCM on the way in, opened on the way out) and off (`--no-encryption`), in the same run.
 * The arms alternate for `BENCH_ROUNDS` rounds (default 5), the order rotating each round (lib/rounds.ts); each round's
 * ratio compares two runs seconds apart. Goal: median on/off ≥ 0.90 (encryption costs ≤ 10 %). Beside the rates it
 * prints the server's CPU time per message (from /proc, over the run), which a busy neighbour moves less: all its
 * threads (the thread pool's syncs among them), and its main thread's alone, the event loop every request
 * waits for.
 */
import { cpuTimeMs, describeSpread, mainThreadCpuTimeMs, fmt, machineLine, spreadOf, startClawTell } from "./lib/harness.js";
import { alternateRounds } from "./lib/rounds.js";
import { fullCycle } from "./server-throughput.js";

const ROUNDS = Math.max(5, Number(process.env["BENCH_ROUNDS"] ?? 5));
const SENDERS = Number(process.env["BENCH_SENDERS_ENCRYPTION"] ?? 32);
const GOAL_PERCENT = 10;
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);

/** The server's CPU µs per message of each arm's runs, in run order: all its threads, and its event loop's alone. */
const cpuPerMessage: number[][] = [[], []];
const loopCpuPerMessage: number[][] = [[], []];

const arm = (index: number, serverArgs: readonly string[]) => async (): Promise<number> => {
  const target = await startClawTell({ serverArgs });
  try {
    const cpuBefore = await cpuTimeMs(target.pid);
    const loopBefore = await mainThreadCpuTimeMs(target.pid);
    const rate = await fullCycle(target, SENDERS);
    const cpu = (await cpuTimeMs(target.pid)) - cpuBefore;
    const loop = (await mainThreadCpuTimeMs(target.pid)) - loopBefore;
    cpuPerMessage[index]?.push((cpu * 1000) / (rate * (DURATION_MS / 1000)));
    loopCpuPerMessage[index]?.push((loop * 1000) / (rate * (DURATION_MS / 1000)));
    return rate;
  } finally {
    await target.stop();
  }
};

export async function runEncryptionOverheadBench(): Promise<{ off: number; on: number; costPercent: number }> {
  const before = machineLine();
  const [off = [], on = []] = await alternateRounds([arm(0, ["--no-encryption"]), arm(1, [])], ROUNDS, (round, [offRate = 0, onRate = 0]) => {
    process.stderr.write(`round ${round + 1}: off ${fmt(offRate, 0)}, on ${fmt(onRate, 0)} msg/s (on/off ${fmt(onRate / offRate, 3)})\n`);
  });
  const ratios = on.map((rate, i) => rate / (off[i] ?? Number.NaN));
  const ratio = spreadOf(ratios).median;
  const costPercent = (1 - ratio) * 100;
  process.stdout.write(
    [
      "## encryption at rest: full cycle send + receive + ack, --no-encryption vs on",
      `${before} (at start)`,
      `${SENDERS} concurrent senders, 2 long-poll receivers acking each batch; ${ROUNDS} alternating rounds`,
      `  off: ${describeSpread(off, 0, " msg/s")}`,
      `  on:  ${describeSpread(on, 0, " msg/s")}`,
      `  on/off per round: ${describeSpread(ratios, 3)}; rounds: ${ratios.map((r) => fmt(r, 3)).join(", ")}`,
      `  cost of encryption (1 − median ratio): ${fmt(costPercent, 1)} % (goal <= ${GOAL_PERCENT} %)`,
      `  server CPU per message: off ${describeSpread(cpuPerMessage[0] ?? [], 0, " µs")}, on ${describeSpread(cpuPerMessage[1] ?? [], 0, " µs")}`,
      `  of it the event loop's: off ${describeSpread(loopCpuPerMessage[0] ?? [], 0, " µs")}, on ${describeSpread(loopCpuPerMessage[1] ?? [], 0, " µs")}`,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  return { off: spreadOf(off).median, on: spreadOf(on).median, costPercent };
}

if (import.meta.url === `file://${process.argv[1]}`) await runEncryptionOverheadBench();
