/**
 * Benchmark (a): the full cycle send → receive (long poll) → ack, against our server with durable storage and
 * against the minimal in-memory baseline, in the same run. Goal: at every level of concurrent senders (32 and 64),
 * the median over the rounds of clawtell/baseline ≥ 0.6, each round's ratio taken between runs at the same level.
 */
import { Pool } from "undici";
import { describeSpread, fmt, machineLine, requestJson, spreadOf, startBaseline, startClawTell, type BenchTarget } from "./lib/harness.js";

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

export async function runThroughputBench(): Promise<{ ours: number; baseline: number; ratio: number }> {
  // The two servers alternate within every round (which goes first alternates too), and each round's ratio compares
  // two runs seconds apart: the load generator and any neighbour share the machine's two cores.
  const before = machineLine();
  const rates = new Map(SENDER_LEVELS.map((n) => [n, { baseline: [] as number[], ours: [] as number[], ratios: [] as number[] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const senders of SENDER_LEVELS) {
      const run = async (start: () => Promise<BenchTarget>): Promise<number> => {
        const target = await start();
        return fullCycle(target, senders).finally(() => target.stop());
      };
      let baseline: number;
      let ours: number;
      if (round % 2 === 0) {
        baseline = await run(startBaseline);
        ours = await run(startClawTell);
      } else {
        ours = await run(startClawTell);
        baseline = await run(startBaseline);
      }
      const level = rates.get(senders);
      level?.baseline.push(baseline);
      level?.ours.push(ours);
      level?.ratios.push(ours / baseline);
      process.stderr.write(`round ${round + 1}, ${senders} senders: baseline ${fmt(baseline, 0)}, clawtell ${fmt(ours, 0)} msg/s (ratio ${fmt(ours / baseline, 2)})\n`);
    }
  }
  const lines = [...rates].flatMap(([senders, level]) => [
    `  ${senders} senders: baseline ${describeSpread(level.baseline, 0, " msg/s")}`,
    `  ${senders} senders: clawtell ${describeSpread(level.ours, 0, " msg/s")}`,
    `  ${senders} senders: ratio clawtell/baseline per round ${describeSpread(level.ratios)} (goal >= 0.6)`,
    `    rounds: ${level.ratios.map((r) => fmt(r, 2)).join(", ")}`,
  ]);
  process.stdout.write(
    [
      "## (a) full cycle send + receive + ack",
      `${before} (at start)`,
      `${SENDER_LEVELS.join(" and ")} concurrent senders, 2 long-poll receivers acking each batch; ${ROUNDS} alternating rounds of ${DURATION_MS} ms per server and level`,
      "baseline: in-memory node:http; clawtell: fdatasync'd message journal, group commit, SQLite archive",
      ...lines,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  const worst = [...rates.values()].reduce<{ ours: number; baseline: number; ratio: number } | undefined>((acc, level) => {
    const ratio = spreadOf(level.ratios).median;
    return acc !== undefined && acc.ratio <= ratio ? acc : { ours: spreadOf(level.ours).median, baseline: spreadOf(level.baseline).median, ratio };
  }, undefined);
  return worst ?? { ours: Number.NaN, baseline: Number.NaN, ratio: Number.NaN };
}

if (import.meta.url === `file://${process.argv[1]}`) await runThroughputBench();
