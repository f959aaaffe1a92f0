// The storage backends the contract suite (test/integration/server/storage-contract.test.ts) runs against.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { postgresUnavailable, TEST_DATABASE_URL } from "./test-database.js";
import { openEmbeddedStorage, openPostgresStorage, type PostgresStorageOptions, type Storage } from "../../src/server/index.js";

export interface OpenedStorage {
  readonly storage: Storage;
  /** Closes the storage and removes what the test left behind. */
  dispose(): Promise<void>;
  /**
   * Opens another storage on the same data, as a second server process would; absent when the backend serves one
   * process only. The test closes it (before `dispose`).
   */
  openPeer?(): Promise<Storage>;
  /**
   * Claims in a separate OS process on the same data, with a connection that stays open, and answers the ids it got;
   * `kill` ends that process at once (SIGKILL), as a crash would.
   */
  claimInChildProcess?(recipientIds: readonly number[], limit: number): Promise<{ ids: string[]; kill(): Promise<void> }>;
}

export interface StorageBackend {
  readonly name: string;
  /** Why the backend cannot run on this machine (the suite is skipped with that reason), or undefined. */
  unavailable(): Promise<string | undefined>;
  /** A fresh, empty storage. */
  open(): Promise<OpenedStorage>;
}

export const embeddedBackend: StorageBackend = {
  name: "embedded",
  unavailable: async () => undefined,
  async open() {
    const dataDir = await mkdtemp(join(tmpdir(), "clawtell-contract-"));
    const storage = await openEmbeddedStorage({ dataDir });
    return {
      storage,
      async dispose() {
        await storage.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export { postgresUnavailable, TEST_DATABASE_URL };

/** Heartbeats of the test storages: a dead process is noticed within a few seconds, a busy machine stays alive. */
export const TEST_HEARTBEAT = { heartbeatIntervalMs: 250, staleAfterMs: 3_000 } as const;

async function adminQuery(sql: string, url = TEST_DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh schema of its own (`ct_<random>`), so tests running at once never meet; `drop` removes it with its tables. */
export async function createTestSchema(url = TEST_DATABASE_URL): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `ct_${randomBytes(8).toString("hex")}`;
  // The name is ours and plain: it needs no quoting, and identifiers cannot be bound as parameters.
  await adminQuery(`CREATE SCHEMA ${schema}`, url);
  return { schema, drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`, url) };
}

/** The database URL with its connections' search_path set to `schema` (how a server process is given a schema). */
export function urlWithSchema(schema: string, url = TEST_DATABASE_URL): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", `-c search_path=${schema}`);
  return parsed.toString();
}

const CHILD_CLAIM = `
const { openPostgresStorage } = await import(process.env.CT_STORE_MODULE);
const storage = await openPostgresStorage({ url: process.env.CT_URL, schema: process.env.CT_SCHEMA, heartbeatIntervalMs: 100 });
const connection = { destroyed: false, once() {} };
const now = Date.now();
const claimed = await storage.messages.claim(JSON.parse(process.env.CT_RECIPIENTS), { limit: Number(process.env.CT_LIMIT), now, leaseUntil: now + 600000, connection });
process.stdout.write(JSON.stringify(claimed.map((m) => m.id)) + "\\n");
setInterval(() => {}, 1000);
`;

async function claimInChildProcess(schema: string, recipientIds: readonly number[], limit: number): Promise<{ ids: string[]; kill(): Promise<void> }> {
  const root = resolve(import.meta.dirname, "../..");
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD_CLAIM], {
    cwd: root,
    env: {
      ...process.env,
      CT_STORE_MODULE: resolve(root, "src/server/store/postgres/index.ts"),
      CT_URL: TEST_DATABASE_URL,
      CT_SCHEMA: schema,
      CT_RECIPIENTS: JSON.stringify(recipientIds),
      CT_LIMIT: String(limit),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const lines = createInterface({ input: child.stdout });
  try {
    const first = await new Promise<string>((done, fail) => {
      lines.once("line", done);
      child.once("exit", (code) => fail(new Error(`the claiming process exited (${code}) before answering`)));
    });
    return {
      ids: JSON.parse(first) as string[],
      async kill() {
        child.kill("SIGKILL");
        await exited;
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  } finally {
    lines.close();
  }
}

export const postgresBackend: StorageBackend = {
  name: "postgres",
  unavailable: () => postgresUnavailable(),
  async open() {
    const { schema, drop } = await createTestSchema();
    const options: PostgresStorageOptions = { url: TEST_DATABASE_URL, schema, poolSize: 4, ...TEST_HEARTBEAT };
    const peers: Storage[] = [];
    let storage: Storage;
    try {
      storage = await openPostgresStorage(options);
    } catch (err) {
      await drop();
      throw err;
    }
    return {
      storage,
      async openPeer() {
        const peer = await openPostgresStorage(options);
        peers.push(peer);
        return peer;
      },
      claimInChildProcess: (recipientIds, limit) => claimInChildProcess(schema, recipientIds, limit),
      async dispose() {
        try {
          await Promise.all([storage, ...peers].map((s) => s.close()));
        } finally {
          await drop();
        }
      },
    };
  },
};

/** Every backend the contract covers: a new backend is one more entry here. */
export const STORAGE_BACKENDS: readonly StorageBackend[] = [embeddedBackend, postgresBackend];
