/**
 * What the per-request guards cost: bench (a)'s full cycle against our server with rate limits off
 * (`--rate-limit-ip 0 --rate-limit-key 0`) and on (the default), in the same run (lib/arms.ts: rounds, order,
 * `BENCH_PAIRED`). Every request of both arms is authenticated (there is no server without keys); the key check's own
 * cost is shown against another build with `BENCH_BEFORE_CLI=<path of its cli.js>`, e.g. one built from a commit before
 * the authenticated context (a third arm, "before"). Goal: rate limiting costs ≤ 5 % of the full cycle (median).
 */
import { compareArms, type Arm } from "./lib/arms.js";

export async function runAuthOverheadBench(): Promise<{ costPercent: number }> {
  const arms: Arm[] = [{ label: "rate limits off", serverArgs: ["--rate-limit-ip", "0", "--rate-limit-key", "0"] }, { label: "rate limits on" }];
  const beforeCli = process.env["BENCH_BEFORE_CLI"];
  if (beforeCli !== undefined && beforeCli !== "") arms.push({ label: "before", cli: beforeCli });
  const { costPercent } = await compareArms({ title: "auth and rate limits: full cycle send + receive + ack, rate limits off vs on", arms, goalPercent: 5 });
  return { costPercent };
}

if (import.meta.url === `file://${process.argv[1]}`) await runAuthOverheadBench();
