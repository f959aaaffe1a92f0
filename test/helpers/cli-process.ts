// Runs the `clawtell` bin as the package ships it (dist/bundle/cli.js) as a child process with the test's Node.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join, resolve } from "node:path";
import { inject } from "vitest";
import { TEST_MASTER_KEY } from "./master-key.js";

export const CLI_PATH = resolve(import.meta.dirname, "../../dist/bundle/cli.js");

/**
 * A home of OpenClaw's for the processes tests start, so that nothing they do lands in the real one: in the run's
 * folder (test-run-dir.ts), removed with it.
 */
export const TEST_OPENCLAW_HOME = mkdtempSync(join(inject("testRunDir"), "openclaw-home-"));

/** The environment for a process of our bin: the test's, with OpenClaw's home and state folder in a temp folder. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, OPENCLAW_HOME: TEST_OPENCLAW_HOME, OPENCLAW_STATE_DIR: join(TEST_OPENCLAW_HOME, ".openclaw"), ...extra };
}

/**
 * A process on PostgreSQL (`--database`, or `$CLAWTELL_DATABASE_URL`) seals with the test master key, as every
 * process on one database must share one (unless the test gives its own `CLAWTELL_MASTER_KEY` or key file).
 */
function withTestKey(args: readonly string[], env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv | undefined {
  const database = args.includes("--database") || (env?.["CLAWTELL_DATABASE_URL"] ?? process.env["CLAWTELL_DATABASE_URL"] ?? "").trim() !== "";
  if (!database || args.includes("--master-key-file") || env?.["CLAWTELL_MASTER_KEY"] !== undefined) return env;
  return { CLAWTELL_MASTER_KEY: TEST_MASTER_KEY, ...env };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: options.cwd,
      env: cliEnv(withTestKey(args, options.env)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM (or the given signal) and waits for the exit code. */
  stop(signal?: "SIGTERM" | "SIGINT"): Promise<number | null>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `clawtell server --port 0 --data DIR` and resolves once it prints its URL. */
export function startServerProcess(
  dataDir: string,
  extraArgs: readonly string[] = [],
  options: { env?: NodeJS.ProcessEnv; /** Another copy of the bundled bin. */ cliPath?: string } = {},
): Promise<ServerProcess> {
  return launchServer(["--data", dataDir, ...extraArgs], options.env, options.cliPath);
}

/**
 * Starts `clawtell server --port 0 --database URL` (with `--redis URL` when given: wake-ups and rate-limit counters
 * through Redis; without, LISTEN/NOTIFY) and resolves once it prints its URL. No data folder is used.
 */
export function startDatabaseServerProcess(options: {
  database: string;
  redis?: string;
  /** e.g. `["--visibility-timeout", "2"]` */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
}): Promise<ServerProcess> {
  const args = ["--database", options.database, ...(options.redis === undefined ? [] : ["--redis", options.redis]), ...(options.args ?? [])];
  // The environment's URLs must not override or add to the ones given.
  return launchServer(args, { CLAWTELL_DATABASE_URL: "", CLAWTELL_REDIS_URL: "", ...options.env });
}

function launchServer(args: readonly string[], env: NodeJS.ProcessEnv | undefined, cliPath = CLI_PATH): Promise<ServerProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliPath, "server", "--port", "0", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: cliEnv({ CLAWTELL_LOG_LEVEL: "warn", ...withTestKey(args, env) }),
    });
    let out = "";
    let err = "";
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start: ${err}`));
    }, 15_000);
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolvePromise({
          child,
          url: match[1],
          stdout: () => out,
          stderr: () => err,
          async stop(signal = "SIGTERM") {
            child.kill(signal);
            return exited;
          },
          async kill() {
            child.kill("SIGKILL");
            await exited;
          },
        });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)}: ${err}`));
    });
  });
}
