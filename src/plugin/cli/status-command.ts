/** `openclaw clawtell status`: the shared status report (operator/status-report.ts) over OpenClaw's config. */

import type { Command } from "commander";
import { collectStatus, printStatus } from "../../operator/index.js";
import type { OperatorContext } from "./context.js";

export function registerStatusCommand(parent: Command, ctx: OperatorContext): void {
  parent
    .command("status")
    .description("accounts: name, server, whether a gateway runs them, queue and dead letters")
    .option("--json", "machine-readable output")
    .action(async (flags: { json?: boolean }) => printStatus(ctx.io, await collectStatus(ctx), flags.json === true));
}
