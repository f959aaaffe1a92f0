/** `clawtell daemon`: the standalone routing daemon for agents outside OpenClaw (webhook and command targets). */

import type { Command } from "commander";
import { resolveDaemonPaths } from "../daemon-context.js";
import { waitForStopSignal } from "../signals.js";
import type { Io } from "../../infra/terminal-io.js";

export function registerDaemonCommand(program: Command, io: Io): void {
  program
    .command("daemon")
    .description("run the routing daemon for channels.clawtell of openclaw.json (reloads when the file changes)")
    .option("--config <file>", "openclaw.json (default: $OPENCLAW_CONFIG_PATH or ~/.openclaw/openclaw.json)")
    .option("--state-dir <dir>", "queue and dead letters (default: ~/.openclaw/clawtell)")
    .action(async (flags: { config?: string; stateDir?: string }) => {
      const paths = resolveDaemonPaths(flags, process.env, process.cwd());
      const { startStandaloneDaemon } = await import("../../daemon/index.js");
      const { createLogger } = await import("../../infra/logger.js");
      const chat = await import("../../chat/index.js");
      const { systemClock } = await import("../../infra/clock.js");
      const { createOperatorDesk } = await import("../../operator/index.js");
      const logger = createLogger({ name: "clawtell-daemon" });
      // Listen for stop signals before anything starts: a SIGTERM while accounts connect still stops cleanly.
      const stopSignal = waitForStopSignal();
      // 🦞 copies go to forwardTo, else to the agent's last chat in OpenClaw's legacy sessions.json — on a channel
      // the daemon has a token for in the configuration it runs now.
      const tokens = new Set<string>();
      const sessions = chat.createSessionsFileSource(paths.openclawStateDir, logger, { accepts: (channel) => tokens.has(channel) });
      const daemon = await startStandaloneDaemon({
        configPath: paths.configPath,
        stateDir: paths.stateDir,
        logger,
        registrar: createOperatorDesk(logger),
        forwarderFor: (config) => {
          tokens.clear();
          if (config.telegram !== undefined) tokens.add("telegram");
          if (config.discord !== undefined) tokens.add("discord");
          if (config.slack?.botToken !== undefined) tokens.add("slack");
          return chat.createStandaloneChatForwarder({
            resolver: chat.createChatResolver([sessions]),
            senders: [
              ...(config.telegram === undefined ? [] : [chat.createTelegramSender({ ...config.telegram, clock: systemClock })]),
              ...(config.discord === undefined ? [] : [chat.createDiscordSender({ ...config.discord, clock: systemClock })]),
              // Always there: an incoming-webhook URL as forwardTo needs no token.
              chat.createSlackSender({ ...config.slack, clock: systemClock }),
            ],
          });
        },
      });
      const names = daemon.status().map((s) => `tell/${s.name} (${s.accountId})`);
      io.out(`daemon running for ${names.length === 0 ? "no enabled account" : names.join(", ")}; state in ${paths.stateDir}`);
      const signal = await stopSignal;
      logger.info({ signal }, "stopping");
      await daemon.stop();
      await sessions.close();
      logger.info("stopped");
      // Everything is flushed and closed; idle keep-alive sockets of the HTTP client must not hold the process.
      process.exit(0);
    });
}
