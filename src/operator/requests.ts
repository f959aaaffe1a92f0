/**
 * How operator commands reach a running daemon: the daemon owns its queue file, so `clawtell dead-letters retry`
 * drops a request file into `<stateDir>/requests/`; the daemon carries it out and writes `<id>.done.json` beside it.
 * `status` asks a running account how it is connected. The CLI asks only when the account's queue file is locked by a
 * live process (the lock holds its pid). Several processes may serve one folder: each answers only for the accounts
 * it runs and leaves other requests to their owners.
 */

import { randomUUID } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { z } from "zod";
import { ensureDir, foregroundClock, readFileIfExists, writeFileDurable, type Clock, type Logger } from "../infra/index.js";

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

/** How long the CLI waits for an answer at most. */
const ANSWER_TIMEOUT_MS = 10_000;
/** A request older than this was given up by its asker. */
export const REQUEST_MAX_AGE_MS = 6 * ANSWER_TIMEOUT_MS;

export interface OperatorRequestServer {
  /** Serves requests already waiting (for an account that has just started here). */
  rescan(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Daemon side: carries out requests as they appear. `handle` answers `undefined` for an account this process does not
 * run; such a request is left in place for the process that runs it.
 */
export async function serveOperatorRequests(
  stateDir: string,
  handle: (request: OperatorRequest) => Promise<OperatorAnswer | undefined>,
  logger: Logger,
): Promise<OperatorRequestServer> {
  const dir = requestsDirOf(stateDir);
  await ensureDir(dir);
  const serve = async (path: string): Promise<void> => {
    if (!path.endsWith(".request.json")) return;
    // A request its asker gave up on long ago (the asker was killed while waiting) is dropped, not carried out late.
    const asked = await stat(path).then((s) => s.mtimeMs, () => undefined);
    if (asked === undefined) return;
    if (Date.now() - asked > REQUEST_MAX_AGE_MS) {
      await rm(path, { force: true });
      logger.info({ path }, "dropped a stale operator request");
      return;
    }
    const text = await readFileIfExists(path);
    if (text === undefined) return;
    let result: OperatorResult;
    let id: string = randomUUID();
    let op = "?";
    try {
      const request = OperatorRequestSchema.parse(JSON.parse(text));
      ({ id, op } = request);
      const answer = await handle(request);
      if (answer === undefined) return;
      result = { ...answer, ok: true };
    } catch (err) {
      result = { ok: false, count: 0, error: err instanceof Error ? err.message : String(err) };
    }
    await writeFileDurable(join(dir, `${id}.done.json`), JSON.stringify(result));
    await rm(path, { force: true });
    // `status` is asked by every `openclaw clawtell status`: not worth a line at info.
    logger[op === "status" && result.ok ? "debug" : "info"]({ request: id, op, ok: result.ok, count: result.count, error: result.error }, "operator request served");
  };
  // The watcher and a rescan may both see a file: each request is carried out once.
  const serving = new Set<string>();
  const serveLogged = async (path: string): Promise<void> => {
    if (serving.has(path)) return;
    serving.add(path);
    await serve(path)
      .catch((err: unknown) => logger.error({ err }, "operator request failed"))
      .finally(() => serving.delete(path));
  };
  const watcher: FSWatcher = watch(dir, { ignoreInitial: false, depth: 0 });
  watcher.on("add", (path) => void serveLogged(path));
  return {
    async rescan() {
      const files = await readdir(dir).catch(() => [] as string[]);
      await Promise.all(files.map((file) => serveLogged(join(dir, file))));
    },
    async close() {
      await watcher.close();
    },
  };
}

/** The error of a request nobody answered in time. */
export const NO_ANSWER = "the daemon did not answer in time";

/** How often the CLI looks for the daemon's answer. */
const ANSWER_POLL_MS = 50;

/**
 * CLI side: asks the running daemon and waits for its answer; a request not taken in time is withdrawn. The waits are
 * on `clock`, by default one that keeps the process alive while it waits (the CLI has nothing else pending then).
 */
export async function requestFromDaemon(
  stateDir: string,
  request: Omit<OperatorRequest, "id">,
  timeoutMs = ANSWER_TIMEOUT_MS,
  clock: Clock = foregroundClock,
): Promise<OperatorResult> {
  const deadline = clock.now() + timeoutMs;
  const id = randomUUID();
  const dir = requestsDirOf(stateDir);
  // A daemon that has only just started may not have made its request folder yet.
  await ensureDir(dir);
  await writeFileDurable(join(dir, `${id}.request.json`), JSON.stringify({ ...request, id }));
  const done = join(dir, `${id}.done.json`);
  while (clock.now() < deadline) {
    const text = await readFileIfExists(done);
    if (text !== undefined) {
      await rm(done, { force: true });
      const parsed = OperatorResultSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : { ok: false, count: 0, error: "the daemon answered in a form this version does not read" };
    }
    await clock.sleep(Math.min(ANSWER_POLL_MS, deadline - clock.now()));
  }
  await rm(join(dir, `${id}.request.json`), { force: true });
  return { ok: false, count: 0, error: NO_ANSWER };
}

