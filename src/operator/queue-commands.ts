/**
 * `queue ls | show <id>` and `dead-letters ls | retry <id> | retry --all | purge [<id>]`, for `openclaw clawtell`
 * and the standalone `clawtell` alike: the two differ only in how they find the queues (`locate`), the options that
 * feed it, and the name the hints use.
 */

import type { Command } from "commander";
import { ClawTellError, renderTable, type Io } from "../infra/index.js";
import type { QueueLocation } from "./queue-report.js";

/** Loaded on use, so that a CLI registering these commands starts fast. */
const report = () => import("./queue-report.js");

export interface QueueCommandsDeps<TFlags> {
  readonly io: Io;
  /** Adds the options `locate` reads (every subcommand gets them). */
  readonly withOptions: (command: Command) => Command;
  /** The queues the flags point at. */
  readonly locate: (flags: TFlags) => Promise<QueueLocation[]>;
  /** How the human calls the daemon, for hints (`clawtell daemon`, `the OpenClaw gateway`). */
  readonly daemonName: string;
}

export function registerQueueCommands<TFlags>(program: Command, deps: QueueCommandsDeps<TFlags>): void {
  const { io, withOptions, locate } = deps;
  const table = async (rows: string[][], empty: string): Promise<string> => (rows.length === 0 ? empty : renderTable((await report()).JOB_TABLE_HEADERS, rows));

  const queue = program.command("queue").description("messages waiting in the local queue");
  withOptions(queue.command("ls").description("list queued messages")).action(async (flags: TFlags) => {
    const { readQueues, jobRow } = await report();
    const queues = await readQueues(await locate(flags));
    io.out(await table(queues.flatMap((q) => q.pending.map((job) => jobRow(q.accountId, job))), "the queue is empty"));
  });
  withOptions(queue.command("show <id>").description("show one queued or dead message")).action(async (messageId: string, flags: TFlags) => {
    const found = await (await report()).findJob(await locate(flags), messageId);
    if (found === undefined) throw new ClawTellError("CT_NOT_FOUND", `no queued or dead message ${messageId}`);
    io.out(JSON.stringify(found.job, null, 2));
  });

  const dead = program.command("dead-letters").description("messages that could not be delivered");
  withOptions(dead.command("ls").description("list dead letters")).action(async (flags: TFlags) => {
    const { readQueues, jobRow } = await report();
    const queues = await readQueues(await locate(flags));
    io.out(await table(queues.flatMap((q) => q.dead.map((job) => jobRow(q.accountId, job))), "no dead letters"));
  });
  const change = async (op: "retry" | "purge", messageId: string | undefined, flags: TFlags): Promise<void> => {
    const { count, live } = await (await report()).changeDeadLetters(await locate(flags), op, messageId);
    const verb = op === "retry" ? "queued again" : "purged";
    const later = op === "retry" && !live && count > 0 ? ` (delivered when ${deps.daemonName} runs)` : "";
    io.out(`${count} dead letter${count === 1 ? "" : "s"} ${verb}${later}`);
  };
  withOptions(dead.command("retry [id]").description("deliver a dead letter again (all with --all)"))
    .option("--all", "every dead letter")
    .action(async (id: string | undefined, flags: TFlags & { all?: boolean }) => {
      if (id === undefined && flags.all !== true) throw new ClawTellError("CT_BAD_REQUEST", "give a message id or --all");
      await change("retry", id, flags);
    });
  withOptions(dead.command("purge [id]").description("delete a dead letter (all without an id)")).action(async (id: string | undefined, flags: TFlags) =>
    change("purge", id, flags),
  );
}
