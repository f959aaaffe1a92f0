/** `clawtell send`: send a message as one of the configured names, with that name's key, and files from the working folder. */

import type { Command } from "commander";
import { ClawTellError } from "../../infra/errors.js";
import { resolveDaemonPaths } from "../daemon-context.js";
import type { Io } from "../../infra/terminal-io.js";

export function registerSendCommand(program: Command, io: Io): void {
  program
    .command("send")
    .description("send a ClawTell message as one of your configured names")
    .requiredOption("--from <name>", "your name to send as")
    .requiredOption("--to <name>", "recipient (tell/ prefix optional)")
    .requiredOption("--body <text>", "message text")
    .option("--subject <text>", "subject", "Message")
    .option("--reply-to <id>", "id of the message this answers")
    .option("--attach <path...>", "files to send, inside the working folder (at most 10, 25 MB together)")
    .option("--config <file>", "openclaw.json")
    .action(async (flags: { from: string; to: string; body: string; subject: string; replyTo?: string; config?: string; attach?: string[] }) => {
      const { createClawTellClient, readAttachmentFiles } = await import("../../client/index.js");
      const { loadOpenClawConfig, resolveAccounts, resolveSenderApiKey } = await import("../../config/index.js");
      const { stripNamePrefix } = await import("../../protocol/index.js");
      const { configPath } = resolveDaemonPaths(flags, process.env, process.cwd());
      const config = await loadOpenClawConfig(configPath);
      const from = stripNamePrefix(flags.from);
      const account = resolveAccounts(config.clawtell).find((a) => a.name === from || a.routing[from] !== undefined);
      if (account === undefined) {
        throw new ClawTellError("CT_BAD_REQUEST", `--from: tell/${from} is not a configured name (channels.clawtell.name or a routing entry)`, { field: "from" });
      }
      // The name's own route key, else the account key: `_default` never lends its key to an outbound identity.
      const key = resolveSenderApiKey(account, from);
      // Files come from the working folder only (where an agent's shell runs: its workspace).
      const attachments = await readAttachmentFiles(flags.attach ?? [], [process.cwd()]);
      const client = createClawTellClient({ baseUrl: account.baseUrl, apiKey: key });
      const result = await client.send({
        to: flags.to,
        body: flags.body,
        subject: flags.subject,
        ...(from === account.name && key === account.apiKey ? {} : { fromName: from }),
        ...(flags.replyTo === undefined ? {} : { replyTo: flags.replyTo }),
        ...(attachments.length === 0 ? {} : { attachments }),
      });
      io.out(result.status === "sent" ? `✓ Sent to ${result.to} (${result.messageId ?? ""})` : `… Queued for approval: ${result.to}`);
    });
}
