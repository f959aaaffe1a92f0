/** `clawtell server`: run the embedded ClawTell server until SIGINT/SIGTERM. */

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { ClawTellError } from "../../infra/errors.js";
import { binCommand, explainDataDirError, resolveDataDir, shellWord } from "../data-dir.js";
import type { Logger } from "../../infra/index.js";
import type { Io } from "../../infra/terminal-io.js";
import { waitForStopSignal } from "../signals.js";
import { addSignupOptions, resolveSignupOptions, signupLog, type SignupFlags } from "./signup-options.js";
import type { RunningServer } from "../../server/index.js";

function parsePort(value: string): number {
  const port = Number(value);
  if (value.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ClawTellError("CT_BAD_REQUEST", `--port: "${value}" is not a port number (0–65535)`, { field: "port" });
  }
  return port;
}

/** `--visibility-timeout` in whole seconds, 1 to 3600, as milliseconds. */
function parseVisibilityTimeout(value: string): number {
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isInteger(seconds) || seconds < 1 || seconds > 3_600) {
    throw new ClawTellError("CT_BAD_REQUEST", `--visibility-timeout: "${value}" is not a number of seconds (1–3600)`, { field: "visibility-timeout" });
  }
  return seconds * 1000;
}

/**
 * A count setting from its flag, else its environment variable, else undefined (the server's default): a whole number
 * of 0 or more; 0 turns the limit off.
 */
function parseCount(flag: string, given: string | undefined, envName: string): number | undefined {
  const [value, source] = given !== undefined ? [given, `--${flag}`] : [nonEmpty(process.env[envName]), `$${envName}`];
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new ClawTellError("CT_BAD_REQUEST", `${source}: "${value}" is not a whole number (0 turns the limit off)`, { field: flag });
  }
  return n;
}

/** The limits the operator set with flags or environment variables, as server options. */
function limitOptions(opts: { monthlyQuota?: string; rateLimitIp?: string; rateLimitKey?: string }): {
  monthlyQuota?: number;
  publicRateLimit?: { max: number; windowMs: number };
  keyRateLimit?: { max: number; windowMs: number };
} {
  const monthlyQuota = parseCount("monthly-quota", opts.monthlyQuota, "CLAWTELL_MONTHLY_QUOTA");
  const perIp = parseCount("rate-limit-ip", opts.rateLimitIp, "CLAWTELL_RATE_LIMIT_IP");
  const perKey = parseCount("rate-limit-key", opts.rateLimitKey, "CLAWTELL_RATE_LIMIT_KEY");
  return {
    ...(monthlyQuota === undefined ? {} : { monthlyQuota }),
    ...(perIp === undefined ? {} : { publicRateLimit: { max: perIp, windowMs: 60_000 } }),
    ...(perKey === undefined ? {} : { keyRateLimit: { max: perKey, windowMs: 60_000 } }),
  };
}

/** Listen failures the operator can fix (port taken, address not on this machine) become one-line errors. */
function explainListenError(err: unknown, host: string, port: number): unknown {
  const code = err instanceof Error && "code" in err ? String(err.code) : "";
  const where = `${host}:${port}`;
  const problems: Record<string, [field: string, message: string]> = {
    EADDRINUSE: ["port", `--port: ${where} is already in use (another server? pick another --port, or 0 for a free one)`],
    EACCES: ["port", `--port: not allowed to listen on ${where} (ports below 1024 need privileges)`],
    EADDRNOTAVAIL: ["host", `--host: "${host}" is not an address of this machine`],
    ENOTFOUND: ["host", `--host: "${host}" does not resolve`],
    EAI_AGAIN: ["host", `--host: "${host}" does not resolve`],
  };
  const problem = problems[code];
  return problem === undefined ? err : new ClawTellError("CT_BAD_REQUEST", problem[1], { field: problem[0], cause: err });
}

interface ServerFlags {
  host: string;
  port: string;
  data?: string;
  database?: string;
  redis?: string;
  visibilityTimeout: string;
  metrics: boolean;
  trustProxy?: string;
  monthlyQuota?: string;
  rateLimitIp?: string;
  rateLimitKey?: string;
  allowPrivateWebhooks?: boolean;
  masterKeyFile?: string;
  encryption: boolean;
}

/**
 * Encryption at rest from the flags and `$CLAWTELL_MASTER_KEY`. The variable is taken out of this process's environment
 * once read, so that nothing started later (workers, child processes) inherits the key.
 */
function encryptionOptions(opts: ServerFlags): { enabled: boolean; masterKey?: string; masterKeyFile?: string } {
  const masterKey = nonEmpty(process.env["CLAWTELL_MASTER_KEY"]);
  delete process.env["CLAWTELL_MASTER_KEY"];
  return {
    enabled: opts.encryption,
    ...(masterKey === undefined ? {} : { masterKey }),
    ...(opts.masterKeyFile === undefined ? {} : { masterKeyFile: opts.masterKeyFile }),
  };
}

/** Registers `clawtell server`: prints `listening on <url>` (and a first-name hint on a fresh folder) on stdout. */
export function registerServerCommand(program: Command, io: Io): void {
  const command = program
    .command("server")
    .description("run the embedded ClawTell-compatible server (logs go to stderr; CLAWTELL_LOG_LEVEL sets the level)")
    .option("--host <host>", "address to bind; use 0.0.0.0 only behind a TLS proxy", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", "8787")
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .option("--database <url>", "store in PostgreSQL instead of a data folder, shared by any number of servers (default: $CLAWTELL_DATABASE_URL)")
    .option("--redis <url>", "with --database: wake-ups and rate-limit counters through Redis (default: $CLAWTELL_REDIS_URL; without it, PostgreSQL LISTEN/NOTIFY)")
    .option("--visibility-timeout <seconds>", "how long a handed-out, unacked message stays hidden before it is delivered again", "60")
    .option("--trust-proxy <addresses>", "reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For names the caller")
    .option("--no-metrics", "do not count sends, deliveries and request latency, and serve no /metrics")
    .option("--monthly-quota <n>", "messages each account may send per calendar month (UTC); 0 = unlimited (default: $CLAWTELL_MONTHLY_QUOTA or unlimited)")
    .option("--rate-limit-ip <n>", "requests per minute per caller address on the public calls; 0 = off (default: $CLAWTELL_RATE_LIMIT_IP or 6000)")
    .option("--rate-limit-key <n>", "requests per minute per API key on the calls that need one; 0 = off (default: $CLAWTELL_RATE_LIMIT_KEY or 1200000)")
    .option("--master-key-file <path>", "the master key that seals message content at rest (default: <data>/master.key, made mode 0600 when missing; $CLAWTELL_MASTER_KEY takes its place). With --database every process needs the same key: this or $CLAWTELL_MASTER_KEY is required")
    .option("--no-encryption", "store new message content (subjects, bodies, attachment bytes) readable in the data folder or database; content sealed before still opens with the key at hand")
    .option("--allow-private-webhooks", "let webhooks and attachment URL fetches reach loopback, private, link-local and other non-public addresses (refused by default)")
    .action(async (opts: ServerFlags & SignupFlags) => {
      const port = parsePort(opts.port);
      const visibilityTimeoutMs = parseVisibilityTimeout(opts.visibilityTimeout);
      const limits = limitOptions(opts);
      // Loaded on use, so other commands start fast.
      const { DATABASE_FILE, startServer } = await import("../../server/index.js");
      const { createLogger } = await import("../../infra/logger.js");
      const logger = createLogger({ name: "clawtell-server" });
      const database = opts.database ?? nonEmpty(process.env["CLAWTELL_DATABASE_URL"]);
      if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) {
        throw new ClawTellError("CT_BAD_REQUEST", "--database: expected a postgres:// URL", { field: "database" });
      }
      const redis = opts.redis ?? nonEmpty(process.env["CLAWTELL_REDIS_URL"]);
      if (redis !== undefined && !/^rediss?:\/\//.test(redis)) {
        throw new ClawTellError("CT_BAD_REQUEST", "--redis: expected a redis:// URL", { field: "redis" });
      }
      if (redis !== undefined && database === undefined) {
        throw new ClawTellError("CT_BAD_REQUEST", "--redis: only with --database (one process on a data folder needs no Redis)", { field: "redis" });
      }
      // Listen for signals before announcing the URL: whoever reads it may stop us at once.
      const stopSignal = waitForStopSignal();
      const signup = await resolveSignupOptions(opts, process.env, opts.host);
      const encryption = encryptionOptions(opts);
      const options = {
        visibilityTimeoutMs,
        metrics: opts.metrics,
        ...limits,
        signup,
        allowPrivateWebhooks: opts.allowPrivateWebhooks === true,
        ...(opts.trustProxy === undefined ? {} : { trustProxy: opts.trustProxy }),
      };
      if (database !== undefined) {
        // The database holds everything (names, messages, attachment bytes): no data folder is read or written.
        const server = await startServer({ host: opts.host, port, database, ...(redis === undefined ? {} : { redis }), logger, options, encryption }).catch((err: unknown) => {
          throw explainListenError(err, opts.host, port);
        });
        io.out(`listening on ${server.url}`);
        logger.info({ url: server.url, storage: "postgres", wakeups: redis === undefined ? "postgres" : "redis", ...sealLog(server), ...signupLog(signup) }, "server listening");
        await stopOnSignal(server, stopSignal, logger);
        return;
      }
      const dataDir = resolveDataDir(opts.data, process.env, process.cwd());
      const fresh = !existsSync(join(dataDir, DATABASE_FILE));
      const server = await startServer({ host: opts.host, port, dataDir, logger, options, encryption }).catch((err: unknown) => {
        throw explainDataDirError(explainListenError(err, opts.host, port), dataDir);
      });
      const lines = [`listening on ${server.url}`];
      if (fresh) {
        const createName = `${binCommand(process.env)} admin create-name <name> --email <email> --data ${shellWord(dataDir)}`;
        lines.push(`new data folder ${dataDir}`, `create a first name: ${createName}`);
      }
      io.out(lines.join("\n"));
      logger.info({ url: server.url, dataDir, ...sealLog(server), ...signupLog(signup) }, "server listening");
      await stopOnSignal(server, stopSignal, logger);
    });
  addSignupOptions(command);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** Waits for SIGINT/SIGTERM, then closes the server (connections first, then the storage). */
async function stopOnSignal(server: { close(): Promise<void> }, stopSignal: Promise<string>, logger: Logger): Promise<void> {
  const signal = await stopSignal;
  logger.info({ signal }, "stopping");
  await server.close();
  logger.info("stopped");
}

/** The key new message content is sealed under, for the line that says the server listens. */
function sealLog(server: RunningServer): { masterKeyId: string } | { encryption: "off" } {
  return server.encryption === undefined ? { encryption: "off" } : { masterKeyId: server.encryption.currentKeyId() };
}
