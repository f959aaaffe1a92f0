/**
 * `clawtell allow | disallow | block | unblock | lists | mode | delivery-policy`: the lists and modes of the names of
 * the config (`--config`, else OpenClaw's own lookup), each managed with its own key. The commands themselves are
 * shared with `openclaw clawtell` (operator/policy-commands.ts).
 */

import type { Command } from "commander";
import { registerPolicyCommands as registerShared } from "../../operator/policy-commands.js";
import type { Io } from "../../infra/terminal-io.js";
import { resolveDaemonPaths } from "../daemon-context.js";

interface Flags {
  config?: string;
  account?: string;
}

export function registerPolicyCommands(program: Command, io: Io): void {
  registerShared<Flags>(program, {
    io,
    command: "clawtell",
    withOptions: (command) => command.option("--config <file>", "openclaw.json"),
    accounts: async (flags) => {
      const { loadOpenClawConfig, resolveAccounts } = await import("../../config/index.js");
      const { configPath } = resolveDaemonPaths(flags, process.env, process.cwd());
      return resolveAccounts((await loadOpenClawConfig(configPath)).clawtell);
    },
  });
}
