// What the scale-out tests share: a private PostgreSQL and a private Redis (the shared ones are never disturbed),
// `clawtell server --database` processes on them, names made through the database, and small HTTP and SSE clients.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import pg from "pg";
import { request, type Dispatcher } from "undici";
import { createName, openPostgresStorage, type PostgresStorage } from "../../../src/server/index.js";
import { startDatabaseServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { postgresClusterUnavailable, startPostgresCluster, type PostgresCluster } from "../../helpers/postgres-cluster.js";
import { redisServerUnavailable, startOwnRedis, type OwnRedis } from "../../helpers/redis-server.js";
import { TEST_BCRYPT_COST } from "../../helpers/test-server.js";

export interface Services {
  /** The private cluster and Redis, there once the first `database()` has started them (reading them before throws). */
  readonly cluster: PostgresCluster;
  readonly redis: OwnRedis;
  /** A fresh database on the private cluster, as a URL; the first one starts the cluster and Redis. */
  database(label: string): Promise<string>;
  /** Stops and removes whatever was started. */
  dispose(): Promise<void>;
}

/**
 * A private PostgreSQL and Redis for one test file, or undefined (the reason printed, the caller skips) when they
 * cannot run here. Nothing starts until the file's first `database()`, in a `beforeAll`: collecting the file starts
 * no process, so `vitest list`, or a filter that leaves none of its tests and so runs none of its hooks, leaves none
 * behind.
 */
export async function servicesOrSkip(file: string): Promise<Services | undefined> {
  const reason = (await redisServerUnavailable()) ?? (await postgresClusterUnavailable());
  if (reason === undefined) return lazyServices();
  process.stderr.write(`${file}: skipping: ${reason}\n`);
  return undefined;
}

function lazyServices(): Services {
  let running: { cluster: PostgresCluster; redis: OwnRedis } | undefined;
  let starting: Promise<{ cluster: PostgresCluster; redis: OwnRedis }> | undefined;
  const start = (): Promise<{ cluster: PostgresCluster; redis: OwnRedis }> =>
    (starting ??= (async () => {
      const cluster = await startPostgresCluster();
      if (typeof cluster === "string") throw new Error(cluster);
      try {
        running = { cluster, redis: await startOwnRedis() };
        return running;
      } catch (err) {
        await cluster.dispose();
        throw err;
      }
    })());
  const started = (): { cluster: PostgresCluster; redis: OwnRedis } => {
    if (running === undefined) throw new Error("the private PostgreSQL and Redis start with the first database(): call it first, in a beforeAll");
    return running;
  };
  let made = 0;
  return {
    get cluster() {
      return started().cluster;
    },
    get redis() {
      return started().redis;
    },
    async database(label) {
      const { cluster } = await start();
      const name = `scale_${label}_${++made}`;
      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      const url = new URL(cluster.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dispose() {
      const services = await starting?.catch(() => undefined);
      if (services === undefined) return;
      try {
        await services.redis.kill();
      } finally {
        await services.cluster.dispose();
      }
    },
  };
}

export interface Fleet {
  readonly processes: ServerProcess[];
  readonly admin: PostgresStorage;
  /** Creates a name (cost-4 key) and answers its API key. */
  name(name: string): Promise<string>;
  /** Stops whatever still runs. */
  close(): Promise<void>;
}

/** `count` server processes on one database (started together, so the migrations race as in a deployment). */
export async function startFleet(options: { database: string; redis?: string; count: number; args?: readonly string[] }): Promise<Fleet> {
  const processes = await Promise.all(
    Array.from({ length: options.count }, () =>
      startDatabaseServerProcess({ database: options.database, ...(options.redis === undefined ? {} : { redis: options.redis }), ...(options.args === undefined ? {} : { args: options.args }) }),
    ),
  );
  const admin = await openPostgresStorage({ url: options.database });
  return {
    processes,
    admin,
    async name(name) {
      return (await createName(admin.directory, { name, email: `${name}@example.com` }, { bcryptCost: TEST_BCRYPT_COST })).apiKey;
    },
    async close() {
      // Every step runs even when one fails, so that no process outlives the test.
      await Promise.allSettled(processes.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? p.stop() : undefined)));
      await admin.close();
    },
  };
}

/** SIGKILL by PID, and wait for the exit. */
export async function killByPid(server: ServerProcess): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid ?? 0, "SIGKILL");
  await exited;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A JSON call; a refused or reset connection answers status 0. */
export async function call(
  base: string,
  method: "GET" | "POST" | "PATCH",
  path: string,
  options: { key?: string; body?: unknown; dispatcher?: Dispatcher } = {},
): Promise<Answer> {
  try {
    const response = await request(`${base}${path}`, {
      method,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      headers: { "content-type": "application/json", ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await response.body.text();
    let body: Record<string, unknown> = {};
    try {
      body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = { text };
    }
    return { status: response.statusCode, body };
  } catch {
    return { status: 0, body: {} };
  }
}

/**
 * A call as a well-behaved client makes it: a 429 (all clients of a test share one address, and a process that has not
 * seen a key yet checks only a few at once) is tried again after its `retry_after`, a bounded number of times.
 */
export async function callPatiently(...args: Parameters<typeof call>): Promise<Answer> {
  for (let tries = 0; ; tries++) {
    const answer = await call(...args);
    if (answer.status !== 429 || tries === 20) return answer;
    await new Promise((resolve) => setTimeout(resolve, Number(answer.body["retry_after"] ?? 1) * 1000));
  }
}

export interface Message {
  id: string;
  body: string;
  to_name?: string;
}

export const messagesIn = (answer: Answer): Message[] => (answer.body["messages"] as Message[] | undefined) ?? [];

/** Waits (bounded, polling `/health`) until the process holds `count` parked long polls or streams. */
export async function waitForParked(server: { url: string }, count: number, dispatcher?: Dispatcher): Promise<number> {
  let waiting = -1;
  for (let tries = 0; tries < 400; tries++) {
    const health = await call(server.url, "GET", "/health", dispatcher === undefined ? {} : { dispatcher });
    waiting = Number(health.body["waiting"]);
    if (waiting === count) return waiting;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return waiting;
}

/** Waits (bounded) until `check` holds, polling every 50 ms; answers whether it did. */
export async function until(check: () => Promise<boolean> | boolean, maxMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

export interface OpenStream {
  status: number;
  events: EventSourceMessage[];
  /** Message events so far. */
  messages(): EventSourceMessage[];
  ended(): boolean;
  /** Waits (bounded) until `count` message events came, the stream ended, or `maxMs` passed; answers the message events. */
  nextMessages(count: number, maxMs?: number): Promise<EventSourceMessage[]>;
  close(): Promise<void>;
}

/** An SSE stream whose events are collected as they arrive, while it stays open. */
export async function openStream(
  base: string,
  key: string,
  options: { query?: string; lastEventId?: string; dispatcher?: Dispatcher } = {},
): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await request(`${base}/v1/stream?${options.query ?? "timeout=120"}`, {
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    headers: { authorization: `Bearer ${key}`, ...(options.lastEventId === undefined ? {} : { "last-event-id": options.lastEventId }) },
    signal: controller.signal,
    bodyTimeout: 0,
  });
  const events: EventSourceMessage[] = [];
  const waiters: Array<() => void> = [];
  const wakeAll = (): void => {
    for (const wake of waiters.splice(0)) wake();
  };
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
      wakeAll();
    },
  });
  let ended = false;
  const reading = (async () => {
    try {
      for await (const chunk of response.body) parser.feed((chunk as Buffer).toString("utf8"));
    } catch {
      // Aborted by close(), or the process died.
    } finally {
      ended = true;
      wakeAll();
    }
  })();
  const messages = (): EventSourceMessage[] => events.filter((e) => e.event === "message");
  return {
    status: response.statusCode,
    events,
    messages,
    ended: () => ended,
    async nextMessages(count, maxMs = 15_000) {
      const deadline = Date.now() + maxMs;
      while (messages().length < count && !ended && Date.now() < deadline) {
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
          waiters.push(() => {
            clearTimeout(timer);
            wake();
          });
        });
      }
      return messages();
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}
