/** Composition root of a running server: open the storage in a data folder, build, listen (127.0.0.1 by default). */

import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { acquireFileLock, createSilentLogger, ensureDir, type Clock, type Logger } from "../infra/index.js";
import { buildServer } from "./build-server.js";
import type { ServerOptions } from "./context.js";
import { openFileStore } from "./files.js";
import { JOURNAL_FILE, openEmbeddedStorage, type Storage } from "./store/index.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8787;

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  storage: Storage;
  close(): Promise<void>;
}

export async function startServer(opts: {
  host?: string;
  port?: number;
  dataDir: string;
  logger?: Logger;
  clock?: Clock;
  options?: ServerOptions;
}): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const logger = opts.logger ?? createSilentLogger();
  // One server per data folder: its message journal holds sends that only it knows of until the archive has them.
  await ensureDir(opts.dataDir);
  const lock = await acquireFileLock(join(opts.dataDir, JOURNAL_FILE), {
    logger,
    field: "data",
    waitInProcessMs: 2_000,
    heldHere: `${opts.dataDir} is already used by a server in this process`,
    heldBy: (pid) => `${opts.dataDir} is in use by another clawtell server (process ${pid}); stop it, or give this one its own --data folder`,
  });
  let storage: Storage;
  try {
    storage = await openEmbeddedStorage({ dataDir: opts.dataDir, logger });
  } catch (err) {
    await lock.release();
    throw err;
  }
  const closeStorage = async (): Promise<void> => {
    try {
      await storage.close();
    } finally {
      await lock.release();
    }
  };
  let app: FastifyInstance;
  try {
    app = await buildServer({
      storage,
      files: openFileStore(opts.dataDir),
      logger,
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      ...(opts.options === undefined ? {} : { options: opts.options }),
    });
    await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (err) {
    await closeStorage();
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
    async close() {
      await app.close();
      // Let handlers of just-closed connections finish their turn before the database goes away.
      await new Promise((resolve) => setImmediate(resolve));
      await closeStorage();
    },
  };
}
