/**
 * `openclaw clawtell send`: a message from one of the configured names, with that name's key (as `clawtell_send`), and
 * files from the working folder.
 */

import type { Command } from "commander";
import { ClawTellError } from "../../infra/index.js";
import { executeSend } from "../send-tool.js";
import type { OperatorContext } from "./context.js";

export function registerSendCommand(parent: Command, ctx: OperatorContext): void {
  parent
    .command("send")
    .description("send a ClawTell message as one of your configured names")
    .requiredOption("--to <name>", "recipient (tell/ prefix optional)")
    .requiredOption("--body <text>", "message text")
    .option("--from <name>", "the name to send as (default: the account's own name)")
    .option("--subject <text>", "subject")
    .option("--reply-to <id>", "id of the message this answers")
    .option("--account <id>", "ClawTell account id (when channels.clawtell.accounts is used)")
    .option("--attach <path...>", "files to send, inside the working folder (at most 10, 25 MB together)")
    .action(async (flags: { to: string; body: string; from?: string; subject?: string; replyTo?: string; account?: string; attach?: string[] }) => {
      const outcome = await executeSend(
        { cfg: () => ctx.cfg, clientFor: ctx.clientFor, fileRoots: ctx.cwd === undefined ? [] : [ctx.cwd] },
        {
          to: flags.to,
          body: flags.body,
          ...(flags.from === undefined ? {} : { from: flags.from }),
          ...(flags.subject === undefined ? {} : { subject: flags.subject }),
          ...(flags.replyTo === undefined ? {} : { replyToId: flags.replyTo }),
          ...(flags.account === undefined ? {} : { accountId: flags.account }),
          ...(flags.attach === undefined ? {} : { attachments: flags.attach }),
        },
      );
      const text = outcome.content.map((c) => c.text).join("\n");
      if (outcome.details["ok"] === false) throw new ClawTellError("CT_BAD_REQUEST", text.replace(/^× /, ""));
      ctx.io.out(text);
    });
}
