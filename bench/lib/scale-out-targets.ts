/**
 * Targets of the scale-out benchmark: a cluster of server processes on one fresh PostgreSQL database (created on the
 * shared server for the round and dropped after it) with wake-ups and rate-limit counters through a redis-server of
 * the bench's own, and the embedded single-process server as the baseline. Also the parkers of idle connections.
 */
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import pg from "pg";
import { createName, openPostgresStorage } from "../../src/server/index.js";
import { TEST_DATABASE_URL } from "../../test/helpers/test-database.js";
import { spawnUntil, type StartedChild } from "./children.js";
import { startClawTell, type BenchTarget } from "./harness.js";

/** The master key the round's server processes share (every process on one database must seal with the same key). */
const BENCH_MASTER_KEY = randomBytes(32).toString("hex");

const ROOT = resolve(import.meta.dirname, "../..");
const LISTENING = /listening on (http:\/\/\S+)/;
const SERVER_NODE_ARGS = (process.env["BENCH_SERVER_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== "");
/** The shared PostgreSQL (CLAWTELL_TEST_DATABASE_URL, as the tests); each round creates a database of its own there. */
export const ADMIN_DATABASE_URL = TEST_DATABASE_URL;

/** Senders use these names in turn, so that no key reaches the per-key rate limit (60 000 requests a minute). */
export const SENDER_NAMES = 8;

export interface Keys {
  /** Keys that send (alice, extra-1, …). */
  senders: string[];
  /** bob: receives by long poll. */
  poller: string;
  /** carol: receives by SSE stream (cluster only). */
  streamer: string;
  /** idle: the parked connections. */
  idle: string;
}

export interface ServerProcess {
  url: string;
  pid: number;
}

export interface Cluster {
  label: string;
  database: string;
  processes: ServerProcess[];
  keys: Keys;
  /** A client on the round's database (table statistics). */
  admin: pg.Client;
  /** A client on the shared server's own database (the round's database's transaction count, WAL position). */
  root: pg.Client;
  /** Stops the server processes (their connections end, so their statistics are flushed); the database stays. */
  stopServers(): Promise<void>;
  /** Stops the servers if running and drops the database. */
  stop(): Promise<void>;
}

let serial = 0;

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * `count` server processes `clawtell server --database <fresh database> --redis <redisUrl>`, run as `npm start` runs
 * the bin. Names alice, bob, carol, idle and extra-1…extra-7 are created first (production bcrypt cost).
 */
export async function startCluster(count: number, redisUrl: string): Promise<Cluster> {
  const database = `clawtell_scale_${process.pid}_${++serial}`;
  const root = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await root.connect();
  await root.query(`CREATE DATABASE ${root.escapeIdentifier(database)}`);
  const url = databaseUrl(database);
  const servers: StartedChild[] = [];
  let admin: pg.Client | undefined;
  const stopServers = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  };
  const stop = async (): Promise<void> => {
    await stopServers();
    await admin?.end().catch(() => {});
    await root.query(`DROP DATABASE IF EXISTS ${root.escapeIdentifier(database)} WITH (FORCE)`);
    await root.end();
  };
  try {
    const storage = await openPostgresStorage({ url });
    let keys: Keys;
    try {
      const make = async (name: string): Promise<string> => (await createName(storage.directory, { name, email: `${name}@example.com` })).apiKey;
      const senders = [await make("alice")];
      for (let i = 1; i < SENDER_NAMES; i++) senders.push(await make(`extra-${i}`));
      keys = { senders, poller: await make("bob"), streamer: await make("carol"), idle: await make("idle") };
    } finally {
      await storage.close();
    }
    for (let i = 0; i < count; i++) {
      servers.push(
        await spawnUntil(
          process.execPath,
          [...SERVER_NODE_ARGS, "--max-semi-space-size=8", resolve(ROOT, process.env["BENCH_CLI"] ?? "dist/bundle/cli.js"), "server", "--port", "0", "--database", url, "--redis", redisUrl],
          LISTENING,
          { cwd: ROOT, env: { ...process.env, CLAWTELL_LOG_LEVEL: "warn", NODE_OPTIONS: "", CLAWTELL_MASTER_KEY: BENCH_MASTER_KEY } },
        ),
      );
    }
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    return {
      label: `clawtell × ${count} processes (PostgreSQL + Redis)`,
      database,
      processes: servers.map((s) => ({ url: s.match[1] ?? "", pid: s.child.pid ?? 0 })),
      keys,
      admin,
      root,
      stopServers,
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/** The embedded server (one process, data folder) with the same sender names; bob receives. */
export async function startEmbedded(): Promise<{ target: BenchTarget; keys: Keys }> {
  const target = await startClawTell({ extraNames: SENDER_NAMES - 1 });
  return {
    target,
    keys: { senders: [target.senderKey, ...target.extraKeys], poller: target.receiverKey, streamer: "", idle: target.idleKey },
  };
}

/** Parks `count` idle connections of one kind on `url` from a separate process (scale-out-parker.ts). */
export async function parkConnections(
  url: string,
  key: string,
  count: number,
  mode: "poll" | "stream",
): Promise<{ parked: number; refused: number; pids: number[]; stop(): Promise<void> }> {
  const parker = await spawnUntil(process.execPath, [join(ROOT, "bench/lib/scale-out-parker.ts"), url, key, String(count), mode], /parked (\d+) \(failures \d+, refused (\d+)\)/, {
    cwd: ROOT,
    stdin: "pipe",
  });
  return { parked: Number(parker.match[1]), refused: Number(parker.match[2]), pids: [parker.child.pid ?? 0], stop: () => parker.stop() };
}
