/**
 * Benchmark (a): the full cycle send → receive (long poll) → ack, against our server with durable storage and
 * against the minimal in-memory baseline, in the same run. Goal: ratio ≥ 0.5.
 */
import { Pool } from "undici";
import { fmt, machineLine, requestJson, startBaseline, startClawTell, type BenchTarget } from "./lib/harness.js";

const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);
/** 32 by default for both servers; BENCH_SENDERS compares them at another concurrency. */
const SENDERS = Number(process.env["BENCH_SENDERS"] ?? 32);

async function fullCycle(target: BenchTarget): Promise<number> {
  const pool = new Pool(target.url, { connections: SENDERS + 4, pipelining: 1 });
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
  await Promise.all(Array.from({ length: SENDERS }, sender));
  const elapsed = performance.now() - started;
  stopping = true;
  await Promise.all(receivers);
  await pool.close();
  return (received / elapsed) * 1000;
}

export async function runThroughputBench(): Promise<{ ours: number; baseline: number; ratio: number }> {
  // Alternate the two servers and keep each one's best round: the load generator shares the machine's two cores.
  const before = machineLine();
  let baseline = 0;
  let ours = 0;
  for (let round = 0; round < 2; round++) {
    const baselineTarget = await startBaseline();
    baseline = Math.max(baseline, await fullCycle(baselineTarget).finally(() => baselineTarget.stop()));
    const oursTarget = await startClawTell();
    ours = Math.max(ours, await fullCycle(oursTarget).finally(() => oursTarget.stop()));
  }
  const ratio = ours / baseline;
  process.stdout.write(
    [
      "## (a) full cycle send + receive + ack",
      `${before} (at start)`,
      `${SENDERS} concurrent senders, 2 long-poll receivers acking each batch; best of 2 alternating rounds of ${DURATION_MS} ms each`,
      `baseline (in-memory node:http): ${fmt(baseline, 0)} msg/s`,
      `clawtell (fdatasync'd message journal, group commit; SQLite archive): ${fmt(ours, 0)} msg/s`,
      `ratio clawtell/baseline: ${fmt(ratio, 2)} (goal >= 0.5)`,
      `${machineLine()} (at end)`,
      "",
    ].join("\n"),
  );
  return { ours, baseline, ratio };
}

if (import.meta.url === `file://${process.argv[1]}`) await runThroughputBench();
