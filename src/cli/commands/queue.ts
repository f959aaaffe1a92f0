/**
 * `clawtell queue …` and `clawtell dead-letters …` over the standalone daemon's queues: every account of the config
 * in its own `stateDir`, else `--state-dir` (default `<OpenClaw state dir>/clawtell`). The commands themselves are
 * shared with `openclaw clawtell` (operator/queue-commands.ts).
 */

import type { Command } from "commander";
import type { Io } from "../../infra/terminal-io.js";
import { registerQueueCommands as registerShared } from "../../operator/queue-commands.js";
import type { QueueLocation } from "../../operator/queue-report.js";
import { resolveDaemonPaths } from "../daemon-context.js";

interface Flags {
  config?: string;
  stateDir?: string;
  account?: string;
}

/** The queues: configured accounts where their config puts them, plus queue files left in the state folder. */
async function locate(flags: Flags): Promise<QueueLocation[]> {
  const { configPath, stateDir } = resolveDaemonPaths(flags, process.env, process.cwd());
  const { locateQueues } = await import("../../operator/index.js");
  const { loadOpenClawConfig, resolveAccounts } = await import("../../config/index.js");
  // An unreadable config still lets the operator see the files in the state folder.
  const accounts = await loadOpenClawConfig(configPath).then((c) => resolveAccounts(c.clawtell), () => []);
  return locateQueues(stateDir, accounts, flags.account);
}

export function registerQueueCommands(program: Command, io: Io): void {
  registerShared<Flags>(program, {
    io,
    locate,
    daemonName: "`clawtell daemon`",
    withOptions: (command) =>
      command
        .option("--config <file>", "openclaw.json")
        .option("--state-dir <dir>", "queue folder (default: the one the daemon of --config uses)")
        .option("--account <id>", "only this account"),
  });
}
