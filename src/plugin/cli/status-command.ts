/** `openclaw clawtell status`: each account's identity, whether a gateway runs it, its queue, and whether ClawTell answers. */

import type { Command } from "commander";
import { locateQueues, readQueues, runningDaemonPid } from "../../daemon/index.js";
import { describeError, renderTable } from "../../infra/index.js";
import { listAccountIds, resolvePluginAccount } from "../accounts.js";
import type { OperatorContext } from "./context.js";

export interface AccountStatus {
  readonly accountId: string;
  readonly name?: string;
  readonly baseUrl?: string;
  readonly enabled: boolean;
  readonly problem?: string;
  /** The pid of the process running the account's queue (a gateway or `clawtell daemon`), if any. */
  readonly runningPid?: number;
  readonly queued: number;
  readonly deadLetters: number;
  /** `GET /api/me` with the account key: the name it answered with, or why it failed. */
  readonly server: { readonly ok: true; readonly name: string } | { readonly ok: false; readonly error: string } | { readonly ok: false; readonly error: "not checked" };
}

export async function collectStatus(ctx: OperatorContext): Promise<AccountStatus[]> {
  const accounts = listAccountIds(ctx.cfg).map((id) => resolvePluginAccount(ctx.cfg, id));
  const locations = await locateQueues(ctx.stateDir, accounts.map((a) => ({ accountId: a.accountId, ...(a.resolved?.stateDir === undefined ? {} : { stateDir: a.resolved.stateDir }) })));
  const queues = await readQueues(locations);
  return Promise.all(
    accounts.map(async (a): Promise<AccountStatus> => {
      const queue = queues.find((q) => q.accountId === a.accountId);
      const runningPid = queue === undefined ? undefined : await runningDaemonPid(queue.stateDir);
      let server: AccountStatus["server"] = { ok: false, error: "not checked" };
      if (a.resolved !== undefined) {
        try {
          const me = await ctx.clientFor(a.resolved, a.resolved.apiKey).me(AbortSignal.timeout(ctx.timeoutMs ?? 5000));
          server = { ok: true, name: me.name };
        } catch (err) {
          server = { ok: false, error: describeError(err).message };
        }
      }
      return {
        accountId: a.accountId,
        ...(a.name === undefined ? {} : { name: a.name }),
        ...(a.resolved === undefined ? {} : { baseUrl: a.resolved.baseUrl }),
        enabled: a.enabled,
        ...(a.problem === undefined ? {} : { problem: a.problem }),
        ...(runningPid === undefined ? {} : { runningPid }),
        queued: queue?.pending.length ?? 0,
        deadLetters: queue?.dead.length ?? 0,
        server,
      };
    }),
  );
}

export function registerStatusCommand(parent: Command, ctx: OperatorContext): void {
  parent
    .command("status")
    .description("accounts: name, server, whether a gateway runs them, queue and dead letters")
    .option("--json", "machine-readable output")
    .action(async (flags: { json?: boolean }) => {
      const status = await collectStatus(ctx);
      if (flags.json === true) {
        ctx.io.out(JSON.stringify(status, null, 2));
        return;
      }
      if (status.length === 0) {
        ctx.io.out("no ClawTell accounts configured (channels.clawtell)");
        return;
      }
      const rows = status.map((s) => [
        s.accountId,
        s.name === undefined ? "?" : `tell/${s.name}`,
        s.problem ?? (s.enabled ? "enabled" : "disabled"),
        s.runningPid === undefined ? "not running" : `running (pid ${s.runningPid})`,
        String(s.queued),
        String(s.deadLetters),
        s.server.ok ? `ok (${s.baseUrl ?? ""})` : `${s.server.error}${s.baseUrl === undefined ? "" : ` (${s.baseUrl})`}`,
      ]);
      ctx.io.out(renderTable(["account", "name", "config", "gateway", "queued", "dead", "server"], rows));
    });
}
