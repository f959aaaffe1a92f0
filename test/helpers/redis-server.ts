// A redis-server of the test's own on a free loopback port (no persistence), which the test may kill and start
// again; the shared Redis is never touched. Also: whether the shared Redis answers, and a unique channel per test.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL, by its pid) and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

/** A channel no other test file uses. */
export const uniqueChannel = (label: string): string => `test-${label}-${randomBytes(4).toString("hex")}`;

/** Why no redis-server can be started here, or undefined. */
export async function redisServerUnavailable(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn("redis-server", ["--version"], { stdio: "ignore" });
    child.on("error", (err) => resolve(`redis-server not runnable: ${err.message}`));
    child.on("exit", (code) => resolve(code === 0 ? undefined : `redis-server --version exited with ${code}`));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
        child.stdout?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
    child.stdout?.on("data", onData);
    child.stderr?.resume();
    child.once("exit", onExit);
  });
}

/** Starts a redis-server on a free port and answers once it accepts commands. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child = await launch(port);
  const url = `redis://127.0.0.1:${port}`;
  return {
    port,
    url,
    async kill() {
      const running = child;
      if (running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
      if (running.pid !== undefined) process.kill(running.pid, "SIGKILL");
      await exited;
    },
    async restart() {
      child = await launch(port);
    },
  };
}

/** One Redis command round trip, for tests that read INFO or count subscribers. */
export async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

export const TEST_REDIS_URL = process.env["CLAWTELL_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** Why the Redis at `url` cannot be used, or undefined. */
export async function redisUnavailable(url = TEST_REDIS_URL): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (err) {
    return `Redis not reachable: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    redis.disconnect();
  }
}
