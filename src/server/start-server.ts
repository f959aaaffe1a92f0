/**
 * Composition root of a running server: open the storage, build, listen (127.0.0.1 by default). The storage is the
 * embedded backend in a data folder (one process per folder, held by a lock), or PostgreSQL when a database URL is
 * given (any number of processes; the data folder is not used then: attachment bytes and the link secret live in the
 * database too). Message content is sealed at rest on either (crypto/at-rest.ts) unless encryption is turned off.
 */

import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import type { Dispatcher } from "undici";
import { acquireFileLock, ClawTellError, createSilentLogger, ensureDir, systemClock, type Clock, type Logger } from "../infra/index.js";
import { buildServer } from "./build-server.js";
import { checkSharedKey, encryptAtRest, openAtRestKeys, type AtRestKeys, type EncryptionOptions, type ServerEncryption } from "./crypto/index.js";
import type { ServerOptions } from "./context.js";
import { openFileStore, type FileStore } from "./files.js";
import { createNotifier, type Notifier } from "./notifier.js";
import { defaultRegistrationMode } from "./signup.js";
import { JOURNAL_FILE, openEmbeddedStorage, openPostgresStorage, type Storage } from "./store/index.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8787;
/** The name of the signed-link secret that the processes on one database share. */
export const LINK_SECRET_NAME = "signed-links";

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  storage: Storage;
  /** Where its attachment bytes are kept. */
  files: FileStore;
  /** Its encryption at rest; undefined when it stores new content plain (`--no-encryption`). */
  encryption: ServerEncryption | undefined;
  close(): Promise<void>;
}

/** What a server stores through, the master keys it seals with, and how to let go of them. */
interface OpenedBackend {
  readonly storage: Storage;
  readonly files: FileStore;
  readonly keys: AtRestKeys;
  /** The storage's message port seals its own content (the embedded store). */
  readonly messagesSealed: boolean;
  readonly linkSecret?: Uint8Array;
  close(): Promise<void>;
}

async function openEmbeddedBackend(dataDir: string, logger: Logger, encryption: EncryptionOptions): Promise<OpenedBackend> {
  // One server per data folder: its message journal holds sends that only it knows of until the archive has them.
  await ensureDir(dataDir);
  const lock = await acquireFileLock(join(dataDir, JOURNAL_FILE), {
    logger,
    field: "data",
    waitInProcessMs: 2_000,
    heldHere: `${dataDir} is already used by a server in this process`,
    heldBy: (pid) => `${dataDir} is in use by another clawtell server (process ${pid}); stop it, or give this one its own --data folder`,
  });
  let keys: AtRestKeys;
  let storage: Storage;
  try {
    // After the lock: a missing key file is made by the one server that holds the folder.
    keys = openAtRestKeys({ encryption, dataDir });
    // The message store seals its journal and archive itself, and recovers a sealed journal with the keys.
    storage = await openEmbeddedStorage({ dataDir, logger, sealing: keys.content });
  } catch (err) {
    await lock.release();
    throw err;
  }
  return {
    storage,
    files: openFileStore(dataDir),
    keys,
    messagesSealed: true,
    async close() {
      try {
        await storage.close();
      } finally {
        await lock.release();
      }
    },
  };
}

async function openPostgresBackend(url: string, logger: Logger, encryption: EncryptionOptions): Promise<OpenedBackend> {
  const keys = openAtRestKeys({ encryption, database: url });
  const storage = await openPostgresStorage({ url, logger });
  const close = (): Promise<void> => storage.close();
  try {
    return { storage, files: storage.files, keys, messagesSealed: false, linkSecret: await storage.sharedSecret(LINK_SECRET_NAME), close };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function startServer(opts: {
  host?: string;
  port?: number;
  /** The embedded backend's data folder; not used when `database` is given. */
  dataDir?: string;
  /** A `postgres://` URL: the PostgreSQL backend, which any number of server processes may share. */
  database?: string;
  /**
   * A `redis://` URL: wake-ups and rate-limit counters shared through Redis. With `database` but no Redis, wake-ups go
   * through PostgreSQL's LISTEN/NOTIFY and rate limits count per process.
   */
  redis?: string;
  logger?: Logger;
  clock?: Clock;
  /** The pool of outgoing requests (buildServer's `outbound`); a guarded one of the server's own by default. */
  outbound?: Dispatcher;
  options?: ServerOptions;
  /**
   * Encryption at rest (crypto/at-rest.ts): on unless `enabled` is false. With `database`, `masterKey` or
   * `masterKeyFile` is required (every process must use the same key).
   */
  encryption?: EncryptionOptions;
}): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const logger = opts.logger ?? createSilentLogger();
  // Before anything is opened: servers on one database that would seal under different keys must not start.
  checkSharedKey({ encryption: opts.encryption ?? {}, database: opts.database });
  const encryption = opts.encryption ?? {};
  let backend: OpenedBackend;
  if (opts.database !== undefined) backend = await openPostgresBackend(opts.database, logger, encryption);
  else if (opts.dataDir !== undefined) backend = await openEmbeddedBackend(opts.dataDir, logger, encryption);
  else throw new ClawTellError("CT_CONFIG_INVALID", "the server needs a data folder or a database URL", { field: "data" });
  let atRest: ReturnType<typeof encryptAtRest>;
  try {
    atRest = encryptAtRest({ storage: backend.storage, files: backend.files, keys: backend.keys, messagesSealed: backend.messagesSealed, logger });
  } catch (err) {
    await backend.close();
    throw err;
  }
  const { storage, files } = atRest;
  const shared = await openSharedServices(opts, logger, opts.clock ?? systemClock);
  const closeAll = async (): Promise<void> => {
    try {
      await atRest.stop();
      await shared.close();
    } finally {
      await backend.close();
    }
  };
  let app: FastifyInstance;
  try {
    // Real time, not the server's clock: a connection comes up in real time, and a test's manual clock stands still.
    await untilSubscribed(shared.notifier, systemClock, logger);
    app = await buildServer({
      storage,
      files,
      logger,
      notifier: shared.notifier,
      ...(shared.redis === undefined ? {} : { rateLimitStore: { redis: shared.redis } }),
      ...(backend.linkSecret === undefined ? {} : { linkSecret: backend.linkSecret }),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      ...(opts.outbound === undefined ? {} : { outbound: opts.outbound }),
      // Registration is open by default only to callers on this machine.
      options: { ...opts.options, signup: { ...opts.options?.signup, registration: opts.options?.signup?.registration ?? defaultRegistrationMode(host) } },
    });
    await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (err) {
    await closeAll();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : (opts.port ?? DEFAULT_PORT);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    host,
    port,
    storage,
    files,
    encryption: atRest.encryption,
    async close() {
      await app.close();
      // Let handlers of just-closed connections finish their turn before the database goes away.
      await new Promise((resolve) => setImmediate(resolve));
      await closeAll();
    },
  };
}

/** How long a starting server waits for its notifier's subscription before it listens anyway. */
const SUBSCRIBE_WAIT_MS = 5_000;

/**
 * Waits (bounded) until the notifier reaches the other processes, so that a server is ready when it says it listens.
 * Past the bound it starts anyway: its waiters look again every second until the subscription is up.
 */
async function untilSubscribed(notifier: Notifier, clock: Clock, logger: Logger): Promise<void> {
  const deadline = clock.now() + SUBSCRIBE_WAIT_MS;
  while (!notifier.healthy()) {
    if (clock.now() >= deadline) {
      logger.warn("wake-ups across processes are not subscribed yet; starting anyway, waits look again every second until they are");
      return;
    }
    await clock.sleep(20);
  }
}

/**
 * What the processes of one deployment share besides the storage: the notifier, and Redis when given. ioredis is
 * loaded only then (4–8 MB of an empty process otherwise).
 */
async function openSharedServices(
  opts: { database?: string; redis?: string },
  logger: Logger,
  clock: Clock,
): Promise<{ notifier: Notifier; redis?: Redis; close(): Promise<void> }> {
  const notifier = createNotifier({
    logger,
    clock,
    ...(opts.redis === undefined ? {} : { redisUrl: opts.redis }),
    ...(opts.database === undefined ? {} : { databaseUrl: opts.database }),
  });
  if (opts.redis === undefined) return { notifier, close: () => notifier.close() };
  // Rate-limit counters: a client that fails fast while Redis is down (the limiter then lets requests through).
  const { Redis } = await import("./notify/redis-client.js");
  const redis = new Redis(opts.redis, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  return {
    notifier,
    redis,
    async close() {
      try {
        await notifier.close();
      } finally {
        redis.disconnect();
      }
    },
  };
}
