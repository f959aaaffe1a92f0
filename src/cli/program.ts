/**
 * The `clawtell` command: one file per command group under `commands/`, registered here. Each group's module imports
 * only what registering its commands needs; an action imports the rest when it runs, so that `clawtell --help` or an
 * admin command does not load the server, the daemon or the client at every start.
 */

import { Command, CommanderError } from "commander";
import { registerAdminCommands } from "./commands/admin.js";
import { registerDaemonCommand } from "./commands/daemon.js";
import { registerPolicyCommands } from "./commands/policy.js";
import { registerQueueCommands } from "./commands/queue.js";
import { registerSendCommand } from "./commands/send.js";
import { registerServerCommand } from "./commands/server.js";
import { registerStatusCommand } from "./commands/status.js";
import { currentRelease } from "../server/guides/release.js";
import { EXIT_USAGE, reportFailure, type Io } from "../infra/terminal-io.js";

/** The `clawtell` command with every command group registered; commands write through `io`. */
export function buildProgram(io: Io): Command {
  const program = new Command("clawtell")
    .description("ClawTell for OpenClaw: embedded server, routing daemon and tools")
    .version(currentRelease().version, "-V, --version", "print the version and exit")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // A usage error stays one line; the full help is one `--help` away.
      outputError: (s, write) => write(`${s.trimEnd()} (see --help)`),
    });
  registerServerCommand(program, io);
  registerAdminCommands(program, io);
  registerDaemonCommand(program, io);
  registerQueueCommands(program, io);
  registerSendCommand(program, io);
  registerPolicyCommands(program, io);
  registerStatusCommand(program, io);
  return program;
}

/** Runs the CLI on `argv` (without node and script); resolves with the exit code (0 ok, 2 usage, 1 failure). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportFailure(io, err);
  }
}
