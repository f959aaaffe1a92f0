// A real embedded server on 127.0.0.1:0 with a temp data folder, for integration tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/infra/index.js";
import { createName, startServer, type CreatedName, type RunningServer, type ServerOptions } from "../../src/server/index.js";

export interface TestServer extends RunningServer {
  dataDir: string;
  createName(name: string, email: string): Promise<CreatedName>;
  /** Stops the server and starts it again on the same port and data folder (as after a crash-free restart). */
  restart(): Promise<void>;
  /** Stops the server but keeps its data folder (for a later `restart`). */
  stop(): Promise<void>;
}

/** bcrypt cost for test keys: the minimum, so creating names is fast. */
export const TEST_BCRYPT_COST = 4;

export async function startTestServer(options: ServerOptions & { dataDir?: string; port?: number; clock?: Clock } = {}): Promise<TestServer> {
  const { dataDir: given, port, clock, ...serverOptions } = options;
  const dataDir = given ?? (await mkdtemp(join(tmpdir(), "clawtell-server-")));
  const withClock = clock === undefined ? {} : { clock };
  let running: RunningServer | undefined = await startServer({ dataDir, port: port ?? 0, ...withClock, options: serverOptions });
  const current = (): RunningServer => {
    if (running === undefined) throw new Error("test server is stopped");
    return running;
  };
  const first = current();
  const server: TestServer = {
    url: first.url,
    host: first.host,
    port: first.port,
    /** The running server's storage (after a restart, the new one's): `storage.directory`, `storage.messages`. */
    get storage() {
      return current().storage;
    },
    dataDir,
    createName: (name, email) => createName(current().storage.directory, { name, email }, { bcryptCost: TEST_BCRYPT_COST }),
    async stop() {
      await running?.close();
      running = undefined;
    },
    async restart() {
      await server.stop();
      running = await startServer({ dataDir, port: first.port, ...withClock, options: serverOptions });
    },
    async close() {
      await server.stop();
      if (given === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** A JSON request against the server, as the official clients make it (Content-Type json on every request). */
export async function api(
  server: { url: string },
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}
