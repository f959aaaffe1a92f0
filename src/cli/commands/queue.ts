/**
 * `clawtell queue …` and `clawtell dead-letters …`: look at the daemon's queue and act on dead letters. Reads are
 * safe while the daemon runs (its writes replace the file atomically); changes go through the running daemon.
 */

import { readdir } from "node:fs/promises";
import type { Command } from "commander";
import type { Job } from "../../daemon/index.js";
import { ClawTellError } from "../../infra/errors.js";
import { resolveDaemonPaths } from "../daemon-context.js";
import type { Io } from "../output.js";
import { isoOf, renderTable, shorten } from "../table.js";

const POLICY = { maxAttempts: 10, backoffBaseMs: 5000, backoffCapMs: 900_000, deadLetterMaxCount: 1_000_000, deadLetterRetentionDays: 36_500 };

interface Flags {
  config?: string;
  stateDir?: string;
  account?: string;
}

async function accountIds(stateDir: string, only?: string): Promise<string[]> {
  if (only !== undefined) return [only];
  const files = await readdir(stateDir).catch(() => [] as string[]);
  // An account's queue is its snapshot and/or its journal.
  return [...new Set(files.flatMap((f) => /^queue-(.+)\.json(?:\.journal)?$/.exec(f)?.[1] ?? []))];
}

/** The daemon's modules, loaded on use so that other commands start fast. */
const daemonModule = () => import("../../daemon/index.js");

/**
 * Opens an account's queue file: to look (read-only, safe beside a running daemon), or to change it when no daemon
 * runs (takes the file's lock, so a daemon starting meanwhile waits its turn or is refused).
 */
async function openQueue(stateDir: string, accountId: string, mode: "read" | "change" = "read") {
  const { openQueueStore, queueFileOf } = await daemonModule();
  const { createSilentLogger } = await import("../../infra/logger.js");
  return openQueueStore({ path: queueFileOf(stateDir, accountId), policy: POLICY, logger: createSilentLogger(), readOnly: mode === "read" });
}

const jobRow = (accountId: string, job: Job): string[] => [
  job.id,
  accountId,
  `tell/${job.recipient}`,
  job.message.from,
  job.state,
  String(job.attempts),
  job.state === "dead" ? isoOf(job.deadAt) : isoOf(job.nextAttemptAt),
  shorten(job.lastError?.message ?? "", 50),
];
const HEADERS = ["id", "account", "to", "from", "state", "tries", "next/dead at", "last error"];

function withOptions(command: Command): Command {
  return command
    .option("--config <file>", "openclaw.json")
    .option("--state-dir <dir>", "queue folder (default: ~/.openclaw/clawtell)")
    .option("--account <id>", "only this account");
}

export function registerQueueCommands(program: Command, io: Io): void {
  const queue = program.command("queue").description("messages waiting in the local queue");
  withOptions(queue.command("ls").description("list queued messages")).action(async (flags: Flags) => {
    const { stateDir } = resolveDaemonPaths(flags, process.env, process.cwd());
    const rows: string[][] = [];
    for (const id of await accountIds(stateDir, flags.account)) for (const job of (await openQueue(stateDir, id)).list()) rows.push(jobRow(id, job));
    io.out(rows.length === 0 ? "the queue is empty" : renderTable(HEADERS, rows));
  });
  withOptions(queue.command("show <id>").description("show one queued or dead message")).action(async (messageId: string, flags: Flags) => {
    const { stateDir } = resolveDaemonPaths(flags, process.env, process.cwd());
    for (const id of await accountIds(stateDir, flags.account)) {
      const job = (await openQueue(stateDir, id)).get(messageId);
      if (job !== undefined) {
        io.out(JSON.stringify(job, null, 2));
        return;
      }
    }
    throw new ClawTellError("CT_NOT_FOUND", `no queued or dead message ${messageId}`);
  });

  const dead = program.command("dead-letters").description("messages that could not be delivered");
  withOptions(dead.command("ls").description("list dead letters")).action(async (flags: Flags) => {
    const { stateDir } = resolveDaemonPaths(flags, process.env, process.cwd());
    const rows: string[][] = [];
    for (const id of await accountIds(stateDir, flags.account)) for (const job of (await openQueue(stateDir, id)).deadLetters()) rows.push(jobRow(id, job));
    io.out(rows.length === 0 ? "no dead letters" : renderTable(HEADERS, rows));
  });

  const change = async (op: "retry" | "purge", messageId: string | undefined, flags: Flags): Promise<void> => {
    const { stateDir } = resolveDaemonPaths(flags, process.env, process.cwd());
    const { requestFromDaemon, runningDaemonPid } = await daemonModule();
    let total = 0;
    const live = (await runningDaemonPid(stateDir)) !== undefined;
    for (const accountId of await accountIds(stateDir, flags.account)) {
      if (live) {
        const result = await requestFromDaemon(stateDir, { op, accountId, ...(messageId === undefined ? {} : { messageId }) });
        if (!result.ok) throw new ClawTellError("CT_INTERNAL", result.error ?? "the daemon refused the request");
        total += result.count;
      } else {
        const store = await openQueue(stateDir, accountId, "change");
        if (op === "purge") total += await store.purgeDead(messageId);
        else total += messageId === undefined ? await store.retryAllDead() : (await store.retryDead(messageId)) ? 1 : 0;
        await store.close();
      }
    }
    if (messageId !== undefined && total === 0) throw new ClawTellError("CT_NOT_FOUND", `no dead letter ${messageId}`);
    const verb = op === "retry" ? "queued again" : "purged";
    io.out(`${total} dead letter${total === 1 ? "" : "s"} ${verb}${op === "retry" && !live ? " (delivered when the daemon runs)" : ""}`);
  };
  withOptions(dead.command("retry [id]").description("deliver a dead letter again (all with --all)"))
    .option("--all", "every dead letter")
    .action(async (id: string | undefined, flags: Flags & { all?: boolean }) => {
      if (id === undefined && flags.all !== true) throw new ClawTellError("CT_BAD_REQUEST", "give a message id or --all");
      await change("retry", id, flags);
    });
  withOptions(dead.command("purge [id]").description("delete a dead letter (all without an id)")).action(async (id: string | undefined, flags: Flags) =>
    change("purge", id, flags),
  );
}
