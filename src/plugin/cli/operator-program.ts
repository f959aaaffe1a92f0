/**
 * `openclaw clawtell …`: the operator's commands for the plugin — status, routes, queue, dead-letters, send, the
 * lists and modes of names (allow, block, unblock, lists, mode, …), doctor —
 * as one commander program of ours. OpenClaw hands us the words after `clawtell` (register.ts); tests run it directly.
 */

import { Command, CommanderError } from "commander";
import { EXIT_USAGE, reportFailure } from "../../infra/index.js";
import { listAccountIds, resolvePluginAccount } from "../../config/index.js";
import { locateQueues, registerPolicyCommands, registerQueueCommands } from "../../operator/index.js";
import type { OperatorContext } from "./context.js";
import { registerDoctorCommand } from "./doctor.js";
import { registerRoutesCommand } from "./routes-command.js";
import { registerSendCommand } from "./send-command.js";
import { registerStatusCommand } from "./status-command.js";

export const OPERATOR_COMMAND = "openclaw clawtell";

export function buildOperatorProgram(ctx: OperatorContext): Command {
  const program = new Command(OPERATOR_COMMAND)
    .description("ClawTell: accounts, routes, the local queue and dead letters, sending, who may message and get answers, and a config check")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.trimEnd()),
      writeErr: (s) => ctx.io.err(s.trimEnd()),
      outputError: (s, write) => write(`${s.trimEnd()} (see --help)`),
    });
  registerStatusCommand(program, ctx);
  registerRoutesCommand(program, ctx);
  registerQueueCommands<{ account?: string }>(program, {
    io: ctx.io,
    daemonName: "the gateway",
    withOptions: (command) => command.option("--account <id>", "only this account"),
    locate: (flags) => {
      const accounts = listAccountIds(ctx.cfg).map((id) => resolvePluginAccount(ctx.cfg, id));
      return locateQueues(ctx.stateDir, accounts.map((a) => ({ accountId: a.accountId, ...(a.resolved?.stateDir === undefined ? {} : { stateDir: a.resolved.stateDir }) })), flags.account);
    },
  });
  registerSendCommand(program, ctx);
  registerPolicyCommands<{ account?: string }>(program, {
    io: ctx.io,
    command: OPERATOR_COMMAND,
    withOptions: (command) => command,
    accounts: async () => listAccountIds(ctx.cfg).flatMap((id) => resolvePluginAccount(ctx.cfg, id).resolved ?? []),
    clientFor: ctx.clientFor,
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
  });
  registerDoctorCommand(program, ctx);
  return program;
}

/** Runs `openclaw clawtell <argv>`; resolves with the exit code (0 ok, 1 problems or failure, 2 usage). */
export async function runOperatorCli(argv: readonly string[], ctx: OperatorContext): Promise<number> {
  try {
    await buildOperatorProgram(ctx).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportFailure(ctx.io, err);
  }
}
