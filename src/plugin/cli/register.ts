/**
 * Where `openclaw clawtell` meets OpenClaw's CLI: OpenClaw's program gets one `clawtell` command that hands every word
 * after it to our own program (operator-program.ts), so the commands are parsed, helped and tested in one place.
 * Root help lists the command from the manifest's `cliCommands` without loading the plugin.
 */

import { homedir } from "node:os";
import { join } from "node:path";
import { listAgentIds } from "openclaw/plugin-sdk/agent-runtime";
import type { OpenClawPluginApi } from "openclaw/plugin-sdk/channel-core";
import { resolveOpenClawStateDir } from "../../config/index.js";
import { processIo } from "../../infra/index.js";
import { clientFor } from "../../operator/index.js";
import { CHANNEL_ID } from "../host-runtime.js";
import { runOperatorCli } from "./operator-program.js";

export const CLI_DESCRIPTION = "ClawTell: status, routes, queue, dead letters, send, doctor";

/** The descriptor OpenClaw needs before loading us; the manifest's `cliCommands` repeats it. */
export const CLI_DESCRIPTORS = [{ name: CHANNEL_ID, description: CLI_DESCRIPTION, hasSubcommands: true }];

export function registerOperatorCli(api: OpenClawPluginApi): void {
  api.registerCli(
    ({ program, config }) => {
      program
        .command(CHANNEL_ID)
        .description(CLI_DESCRIPTION)
        .helpOption(false)
        .allowUnknownOption(true)
        .allowExcessArguments(true)
        .argument("[args...]")
        .action(async (args: string[]) => {
          process.exitCode = await runOperatorCli(args.length === 0 ? ["--help"] : args, {
            io: processIo,
            cfg: config,
            stateDir: join(resolveOpenClawStateDir(process.env, homedir()), CHANNEL_ID),
            clientFor,
            agentIds: () => listAgentIds(config),
            cwd: process.cwd(),
          });
        });
    },
    { descriptors: CLI_DESCRIPTORS },
  );
}
