/** Shared pieces of the server benchmarks: start a server child process, HTTP helpers, statistics, RSS. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Pool } from "undici";
import { createName, openSqliteStore } from "../../src/server/index.js";

const ROOT = resolve(import.meta.dirname, "../..");

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
  stop(): Promise<void>;
}

function spawnUntilListening(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CLAWTELL_LOG_LEVEL: "warn", NODE_OPTIONS: process.env["BENCH_SERVER_NODE_OPTIONS"] ?? "" } });
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1] !== undefined) resolvePromise({ child, url: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`server exited early (${String(code)})`)));
  });
}

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((r) => {
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });

/** Our server, as `clawtell server`, on a fresh data folder (durable SQLite storage). */
export async function startClawTell(): Promise<BenchTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), "clawtell-bench-"));
  const store = openSqliteStore({ dataDir });
  const alice = await createName(store, { name: "alice", email: "a@example.com" });
  const bob = await createName(store, { name: "bob", email: "b@example.com" });
  const idle = await createName(store, { name: "idle", email: "i@example.com" });
  store.close();
  // Run exactly as `npm start` does (a small young generation suits a server holding many idle connections).
  const { child, url } = await spawnUntilListening(["--max-semi-space-size=8", join(ROOT, "dist/cli.js"), "server", "--port", "0", "--data", dataDir]);
  return {
    label: "clawtell (SQLite, durable)",
    url,
    pid: child.pid ?? 0,
    senderKey: alice.apiKey,
    receiverKey: bob.apiKey,
    idleKey: idle.apiKey,
    async stop() {
      await stopChild(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The minimal in-memory long-poll server of bench/baseline-server.ts. */
export async function startBaseline(): Promise<BenchTarget> {
  const { child, url } = await spawnUntilListening([join(ROOT, "bench/baseline-server.ts")]);
  return {
    label: "baseline (in-memory node:http)",
    url,
    pid: child.pid ?? 0,
    senderKey: "alice",
    receiverKey: "bob",
    idleKey: "idle",
    stop: () => stopChild(child),
  };
}

export async function requestJson(pool: Pool, method: "GET" | "POST", path: string, key: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await pool.request({
    method,
    path,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode !== 200) throw new Error(`${method} ${path} → ${response.statusCode}: ${JSON.stringify(parsed)}`);
  return parsed;
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

export const fmt = (n: number, digits = 1): string => n.toFixed(digits);
