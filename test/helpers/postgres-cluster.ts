// A private PostgreSQL server for tests that stop and start the database on purpose: its own data folder and port,
// so the shared server other test files use is never touched. Made with the machine's initdb and pg_ctl.
import { execFile } from "node:child_process";
import { chown, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const POSTGRES_ROOT = "/usr/lib/postgresql";

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown: connected clients are cut off. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** The newest installed PostgreSQL's bin folder, or undefined. */
async function binDir(): Promise<string | undefined> {
  const versions = await readdir(POSTGRES_ROOT).catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : join(POSTGRES_ROOT, newest, "bin");
}

/** The uid of the postgres user, or undefined when there is none. */
async function postgresUid(): Promise<number | undefined> {
  const { stdout } = await run("id", ["-u", "postgres"]).catch(() => ({ stdout: "" }));
  const uid = Number(stdout.trim());
  return Number.isInteger(uid) && stdout.trim() !== "" ? uid : undefined;
}

/** What a private PostgreSQL needs here (its programs, and as root the postgres user), or why it cannot run. */
async function prerequisites(): Promise<{ bin: string; uid: number | undefined } | string> {
  const bin = await binDir();
  if (bin === undefined) return `no PostgreSQL installed under ${POSTGRES_ROOT}`;
  if (userInfo().uid !== 0) return { bin, uid: undefined };
  const uid = await postgresUid();
  return uid === undefined ? "running as root and there is no postgres user to run a private PostgreSQL as" : { bin, uid };
}

/**
 * Why a private PostgreSQL cannot run here, or undefined when it can: looks, starts nothing (a test file asks this
 * while it is collected, and starts the cluster in a hook).
 */
export async function postgresClusterUnavailable(): Promise<string | undefined> {
  const found = await prerequisites();
  return typeof found === "string" ? found : undefined;
}

/**
 * Starts a private PostgreSQL server on a free loopback port, or answers why it cannot (the test then skips with that
 * reason). initdb refuses to run as root, so as root the server runs as the `postgres` user.
 */
export async function startPostgresCluster(): Promise<PostgresCluster | string> {
  const found = await prerequisites();
  if (typeof found === "string") return found;
  const { bin, uid } = found;
  const command = (tool: string, args: readonly string[]): Promise<unknown> =>
    uid !== undefined ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : run(join(bin, tool), [...args]);
  const folder = await mkdtemp(join(tmpdir(), "clawtell-pg-"));
  if (uid !== undefined) await chown(folder, uid, -1);
  const data = join(folder, "data");
  const port = await freePort();
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = async (): Promise<void> => {
    await command("pg_ctl", ["-D", data, "-o", options, "-l", join(folder, "server.log"), "-w", "-t", "30", "start"]);
  };
  const stop = async (): Promise<void> => {
    await command("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"]);
  };
  try {
    await command("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
    await start();
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    return `could not start a private PostgreSQL: ${err instanceof Error ? err.message : String(err)}`;
  }
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async dispose() {
      if (running) await stop().catch(() => undefined);
      running = false;
      await rm(folder, { recursive: true, force: true });
    },
  };
}
