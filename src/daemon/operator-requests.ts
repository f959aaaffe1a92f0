/**
 * How operator commands reach a running daemon: the daemon owns its queue file, so `clawtell dead-letters retry`
 * drops a request file into `<stateDir>/requests/`; the daemon carries it out and writes `<id>.done.json` beside it.
 * `status` asks a running account how it is connected. A `daemon.pid` file tells the CLI whether a daemon is running.
 */

import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { z } from "zod";
import { ensureDir, readFileIfExists, writeFileDurable, type Logger } from "../infra/index.js";

export const OperatorRequestSchema = z.object({
  id: z.string(),
  op: z.enum(["retry", "purge", "status"]),
  accountId: z.string(),
  /** One dead letter, or all of the account's when omitted (retry, purge). */
  messageId: z.string().optional(),
});
export type OperatorRequest = z.infer<typeof OperatorRequestSchema>;

/** How a running account is doing, as `status` answers it. */
export const LiveAccountStatusSchema = z.object({
  /** `sse`, `longpoll`, `fallback-longpoll`, `config_error` or `stopped`. */
  transport: z.string(),
  connected: z.boolean(),
  pending: z.number(),
  deadLetters: z.number(),
  paused: z.boolean(),
  lastError: z.string().optional(),
  /** Clock time (ms) the last batch of messages came in. */
  lastMessageAt: z.number().optional(),
});
export type LiveAccountStatus = z.infer<typeof LiveAccountStatusSchema>;

const OperatorResultSchema = z.object({
  ok: z.boolean(),
  /** Dead letters queued again or purged. */
  count: z.number(),
  error: z.string().optional(),
  /** The account's state (`status`). */
  status: LiveAccountStatusSchema.optional(),
});
export type OperatorResult = z.infer<typeof OperatorResultSchema>;
/** What a daemon answers to one request. */
export type OperatorAnswer = Omit<OperatorResult, "ok" | "error">;

export const requestsDirOf = (stateDir: string): string => join(stateDir, "requests");
export const pidFileOf = (stateDir: string): string => join(stateDir, "daemon.pid");

/** The pid of a live daemon on this state folder, if any. */
export async function runningDaemonPid(stateDir: string): Promise<number | undefined> {
  const text = await readFileIfExists(pidFileOf(stateDir));
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Daemon side: carries out requests as they appear. */
export async function serveOperatorRequests(
  stateDir: string,
  handle: (request: OperatorRequest) => Promise<OperatorAnswer>,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  const dir = requestsDirOf(stateDir);
  await ensureDir(dir);
  await writeFileDurable(pidFileOf(stateDir), `${process.pid}\n`);
  const serve = async (path: string): Promise<void> => {
    if (!path.endsWith(".request.json")) return;
    const text = await readFileIfExists(path);
    if (text === undefined) return;
    let result: OperatorResult;
    let id: string = randomUUID();
    let op = "?";
    try {
      const request = OperatorRequestSchema.parse(JSON.parse(text));
      ({ id, op } = request);
      result = { ...(await handle(request)), ok: true };
    } catch (err) {
      result = { ok: false, count: 0, error: err instanceof Error ? err.message : String(err) };
    }
    await writeFileDurable(join(dir, `${id}.done.json`), JSON.stringify(result));
    await rm(path, { force: true });
    // `status` is asked by every `openclaw clawtell status`: not worth a line at info.
    logger[op === "status" && result.ok ? "debug" : "info"]({ request: id, op, ok: result.ok, count: result.count, error: result.error }, "operator request served");
  };
  const watcher: FSWatcher = watch(dir, { ignoreInitial: false, depth: 0 });
  watcher.on("add", (path) => void serve(path).catch((err: unknown) => logger.error({ err }, "operator request failed")));
  return {
    async close() {
      await watcher.close();
      await rm(pidFileOf(stateDir), { force: true });
    },
  };
}

/** CLI side: asks the running daemon and waits for its answer; a request not taken in time is withdrawn. */
export async function requestFromDaemon(stateDir: string, request: Omit<OperatorRequest, "id">, timeoutMs = 10_000): Promise<OperatorResult> {
  const id = randomUUID();
  const dir = requestsDirOf(stateDir);
  await writeFileDurable(join(dir, `${id}.request.json`), JSON.stringify({ ...request, id }));
  const done = join(dir, `${id}.done.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFileIfExists(done);
    if (text !== undefined) {
      await rm(done, { force: true });
      const parsed = OperatorResultSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : { ok: false, count: 0, error: "the daemon answered in a form this version does not read" };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await rm(join(dir, `${id}.request.json`), { force: true });
  return { ok: false, count: 0, error: "the daemon did not answer in time" };
}

