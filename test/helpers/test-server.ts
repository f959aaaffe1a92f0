// A real server on 127.0.0.1:0 for integration tests: the embedded backend in a temp data folder, or, with
// CLAWTELL_TEST_BACKEND=postgres, the PostgreSQL backend in a fresh schema of its own (dropped at close).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dispatcher } from "undici";
import type { Clock } from "../../src/infra/index.js";
import type { EncryptionOptions } from "../../src/server/crypto/index.js";
import { createName, startServer, type CreatedName, type RunningServer, type ServerOptions } from "../../src/server/index.js";
import { TEST_MASTER_KEY } from "./master-key.js";
import { createTestSchema, urlWithSchema } from "./storage-backends.js";

export type TestBackend = "embedded" | "postgres";

/** The backend test servers run on: `CLAWTELL_TEST_BACKEND` (embedded unless it says postgres). */
export function testBackend(): TestBackend {
  return process.env["CLAWTELL_TEST_BACKEND"] === "postgres" ? "postgres" : "embedded";
}

/**
 * For tests of what only the embedded backend has (its journal, data-folder lock, files on disk): true, with the
 * reason printed, when the test servers run on another backend; the caller skips then.
 */
export function embeddedOnly(what: string): boolean {
  if (testBackend() === "embedded") return false;
  process.stderr.write(`skipping on ${testBackend()}: ${what} belongs to the embedded backend\n`);
  return true;
}

export interface TestServer extends RunningServer {
  /** The embedded backend's data folder (made but unused on postgres). */
  dataDir: string;
  readonly backend: TestBackend;
  /** The PostgreSQL URL (with its schema) on postgres; undefined on embedded. */
  readonly database: string | undefined;
  createName(name: string, email: string): Promise<CreatedName>;
  /** Stops the server and starts it again on the same port and data folder or schema (as after a crash-free restart). */
  restart(): Promise<void>;
  /** Stops the server but keeps its data folder or schema (for a later `restart`). */
  stop(): Promise<void>;
}

/** bcrypt cost for test keys: the minimum, so creating names is fast. */
export const TEST_BCRYPT_COST = 4;

export async function startTestServer(
  options: ServerOptions & { dataDir?: string; port?: number; clock?: Clock; outbound?: Dispatcher; encryption?: EncryptionOptions } = {},
): Promise<TestServer> {
  const { dataDir: given, port, clock, outbound, encryption: givenEncryption, ...serverOptions } = options;
  const backend = testBackend();
  const dataDir = given ?? (await mkdtemp(join(tmpdir(), "clawtell-server-")));
  const schema = backend === "postgres" ? await createTestSchema() : undefined;
  const where = schema === undefined ? { dataDir } : { database: urlWithSchema(schema.schema) };
  const withClock = { ...(clock === undefined ? {} : { clock }), ...(outbound === undefined ? {} : { outbound }) };
  // On PostgreSQL a key must be given (the key file of a data folder is made by the server itself).
  const encryption = givenEncryption ?? (schema === undefined ? {} : { masterKey: TEST_MASTER_KEY });
  const start = (atPort: number): Promise<RunningServer> => startServer({ ...where, port: atPort, ...withClock, options: serverOptions, encryption });
  let running: RunningServer | undefined;
  try {
    running = await start(port ?? 0);
  } catch (err) {
    await schema?.drop();
    throw err;
  }
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
    /** The running server's attachment bytes, wherever its backend keeps them. */
    get files() {
      return current().files;
    },
    /** The running server's encryption at rest. */
    get encryption() {
      return current().encryption;
    },
    dataDir,
    backend,
    database: schema === undefined ? undefined : urlWithSchema(schema.schema),
    createName: (name, email) => createName(current().storage.directory, { name, email }, { bcryptCost: TEST_BCRYPT_COST }),
    async stop() {
      await running?.close();
      running = undefined;
    },
    async restart() {
      await server.stop();
      running = await start(first.port);
    },
    async close() {
      await server.stop();
      if (given === undefined) await rm(dataDir, { recursive: true, force: true });
      await schema?.drop();
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
