/** Composition root of a running server: open the store in a data folder, build, listen (127.0.0.1 by default). */

import { createSilentLogger, type Logger } from "../infra/index.js";
import { buildServer } from "./build-server.js";
import type { ServerOptions } from "./context.js";
import { openFileStore } from "./files.js";
import { openStore } from "./store/journaled-store.js";
import type { Store } from "./store/store.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8787;

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  store: Store;
  close(): Promise<void>;
}

export async function startServer(opts: {
  host?: string;
  port?: number;
  dataDir: string;
  logger?: Logger;
  options?: ServerOptions;
}): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const logger = opts.logger ?? createSilentLogger();
  const store = openStore({ dataDir: opts.dataDir, logger });
  const app = await buildServer({
    store,
    files: openFileStore(opts.dataDir),
    logger,
    ...(opts.options === undefined ? {} : { options: opts.options }),
  });
  try {
    await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (err) {
    store.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : (opts.port ?? DEFAULT_PORT);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    host,
    port,
    store,
    async close() {
      await app.close();
      // Let handlers of just-closed connections finish their turn before the database goes away.
      await new Promise((resolve) => setImmediate(resolve));
      store.close();
    },
  };
}
