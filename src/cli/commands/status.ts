/**
 * `clawtell status`: each account of the config — its name, whether `clawtell daemon` runs it and how it is connected
 * (the running daemon answers through the account's state folder), what waits in its queue, and whether ClawTell
 * answers its key. The same report as `openclaw clawtell status` (operator/status-report.ts).
 */

import type { Command } from "commander";
import type { Io } from "../../infra/terminal-io.js";
import { resolveDaemonPaths } from "../daemon-context.js";

interface Flags {
  config?: string;
  stateDir?: string;
  json?: boolean;
}

export function registerStatusCommand(program: Command, io: Io): void {
  program
    .command("status")
    .description("each account: name, whether the daemon runs it and how it is connected, queued, dead letters, server")
    .option("--config <file>", "openclaw.json")
    .option("--state-dir <dir>", "queue folder (default: ~/.openclaw/clawtell)")
    .option("--json", "machine-readable output")
    .action(async (flags: Flags) => {
      const { readOpenClawJson } = await import("../../config/index.js");
      const { collectStatus, printStatus, clientFor } = await import("../../operator/index.js");
      const { configPath, stateDir } = resolveDaemonPaths(flags, process.env, process.cwd());
      const cfg = await readOpenClawJson(configPath);
      const status = await collectStatus({ cfg, stateDir, clientFor });
      printStatus(io, status, flags.json === true);
    });
}
