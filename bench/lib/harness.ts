/** Shared pieces of the server benchmarks: the two servers under test as child processes, HTTP helpers, statistics. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createName, openEmbeddedDirectory } from "../../src/server/index.js";
import { removeOnExit, spawnUntil } from "./children.js";

export { requestJson } from "./request-json.js";

const ROOT = resolve(import.meta.dirname, "../..");
const LISTENING = /listening on (http:\/\/\S+)/;
/** Extra Node flags for our server, for profiling (`BENCH_SERVER_NODE_ARGS="--cpu-prof --trace-gc"`). */
const SERVER_NODE_ARGS = (process.env["BENCH_SERVER_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== "");
/** Our server's young-generation semi-space, MB: 8 as `npm start` runs it; `BENCH_SEMI_SPACE_MB` tries another. */
const SEMI_SPACE_MB = Number(process.env["BENCH_SEMI_SPACE_MB"] ?? 8);

export interface BenchTarget {
  label: string;
  url: string;
  pid: number;
  /** Key that sends as alice. */
  senderKey: string;
  /** Key that receives bob's messages. */
  receiverKey: string;
  /** Key of a name that never gets messages (for idle connections). */
  idleKey: string;
  /** Keys of further names, never used by the bench (`startClawTell({ extraNames })`; none on the baseline). */
  extraKeys: string[];
  stop(): Promise<void>;
}

/**
 * Our server, run exactly as `npm start` runs it, on a fresh data folder (durable SQLite storage). Names alice, bob
 * and idle, and `extraNames` more (`extra-1`, …), each with its own key hashed at the production bcrypt cost.
 * `serverArgs` are added to the `clawtell server` command line, `nodeArgs` to Node's; `cli` (or `BENCH_CLI`) runs another
 * build's `cli.js`, a path from this folder or absolute.
 */
export async function startClawTell(
  options: { extraNames?: number; serverArgs?: readonly string[]; nodeArgs?: readonly string[]; cli?: string } = {},
): Promise<BenchTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), "clawtell-bench-"));
  removeOnExit(dataDir);
  const { directory, close } = openEmbeddedDirectory({ dataDir });
  const alice = await createName(directory, { name: "alice", email: "a@example.com" });
  const bob = await createName(directory, { name: "bob", email: "b@example.com" });
  const idle = await createName(directory, { name: "idle", email: "i@example.com" });
  const extraKeys: string[] = [];
  for (let i = 1; i <= (options.extraNames ?? 0); i++) {
    extraKeys.push((await createName(directory, { name: `extra-${i}`, email: `x${i}@example.com` })).apiKey);
  }
  await close();
  const server = await spawnUntil(
    process.execPath,
    [...SERVER_NODE_ARGS, ...(options.nodeArgs ?? []), `--max-semi-space-size=${SEMI_SPACE_MB}`, resolve(ROOT, options.cli ?? process.env["BENCH_CLI"] ?? "dist/bundle/cli.js"), "server", "--port", "0", "--data", dataDir, ...(options.serverArgs ?? [])],
    LISTENING,
    { cwd: ROOT, env: { ...process.env, CLAWTELL_LOG_LEVEL: "warn", NODE_OPTIONS: "" } },
  );
  return {
    label: "clawtell (durable: message journal + SQLite)",
    url: server.match[1] ?? "",
    pid: server.child.pid ?? 0,
    senderKey: alice.apiKey,
    receiverKey: bob.apiKey,
    idleKey: idle.apiKey,
    extraKeys,
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The minimal in-memory long-poll server of bench/baseline-server.ts (names are the keys there); with `fastify`, the
 * same server on bare fastify instead of plain node:http.
 */
export async function startBaseline(options: { fastify?: boolean } = {}): Promise<BenchTarget> {
  const fastify = options.fastify === true;
  const server = await spawnUntil(process.execPath, [join(ROOT, "bench/baseline-server.ts"), ...(fastify ? ["--fastify"] : [])], LISTENING, { cwd: ROOT });
  return {
    label: fastify ? "baseline on fastify (in-memory)" : "baseline (in-memory node:http)",
    url: server.match[1] ?? "",
    pid: server.child.pid ?? 0,
    senderKey: "alice",
    receiverKey: "bob",
    idleKey: "idle",
    extraKeys: [],
    stop: () => server.stop(),
  };
}

/** Parks `count` idle connections on the target from a separate process (bench/lib/idle-parker.ts). */
export async function parkIdleConnections(
  target: BenchTarget,
  count: number,
  mode: "poll" | "mixed",
): Promise<{ parked: number; stop(): Promise<void> }> {
  const parker = await spawnUntil(
    process.execPath,
    [join(ROOT, "bench/lib/idle-parker.ts"), target.url, target.idleKey, String(count), mode],
    /parked (\d+)/,
    { cwd: ROOT, stdin: "pipe" },
  );
  return { parked: Number(parker.match[1]), stop: () => parker.stop() };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** CPU time the process has used so far, in ms (utime + stime from /proc; the kernel counts in 10 ms ticks). */
export async function cpuTimeMs(pid: number): Promise<number> {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (user + system) of the process's main thread alone, its event loop, in ms (Linux). */
export async function mainThreadCpuTimeMs(pid: number): Promise<number> {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

async function statCpuMs(path: string): Promise<number> {
  return parseProcStat(await readFile(path, "utf8")).ms;
}

/** A `/proc/<pid>/stat` (or a thread's) text: its command name and CPU ms, user + system (the kernel counts 10 ms ticks). */
export function parseProcStat(stat: string): { command: string; ms: number } {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { command: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), ms: (Number(fields[11]) + Number(fields[12])) * 10 };
}

/**
 * Waits until the process has been nearly idle (< 5 % of a core) for a whole half second, at most `timeoutMs`:
 * sockets counted as open by a client may still be queued for the server's accept and first request.
 */
export async function waitUntilQuiet(pid: number, timeoutMs = 30_000): Promise<void> {
  const WINDOW_MS = 500;
  const deadline = performance.now() + timeoutMs;
  let last = await cpuTimeMs(pid);
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const now = await cpuTimeMs(pid);
    if (now - last <= WINDOW_MS * 0.05) return;
    last = now;
  }
}

export const fmt = (n: number, digits = 1): string => n.toFixed(digits);

/** One line describing the machine's state, printed with every result: numbers from a busy machine mean less. */
export function machineLine(): string {
  const [one = 0, five = 0] = loadavg();
  return `machine: ${cpus().length} cpus, load average ${fmt(one, 2)} (1 min) ${fmt(five, 2)} (5 min), node ${process.version}`;
}

/** Measures the event-loop delay of the benchmark process itself (is the load generator keeping up?). */
export function watchOwnEventLoop(): { stop(): { p99Ms: number; maxMs: number } } {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      return { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
    },
  };
}

/** Median (the upper middle for an even count), smallest and largest of a figure over rounds. */
export function spreadOf(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((x, y) => x - y);
  return { median: percentile(sorted, 50), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

/** `median M (min–max A–B)` of a figure over rounds. */
export function describeSpread(values: readonly number[], digits = 2, unit = ""): string {
  const { median, min, max } = spreadOf(values);
  return `median ${fmt(median, digits)}${unit} (min–max ${fmt(min, digits)}–${fmt(max, digits)}${unit})`;
}
