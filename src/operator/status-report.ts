/**
 * The status report shared by `clawtell status` and `openclaw clawtell status`: each account's identity, whether a
 * process runs it (and then how it is connected, as the running account answers through its state folder), its queue,
 * and whether ClawTell answers the account key.
 */

import type { ClawTellClient } from "../client/index.js";
import { listAccountIds, resolvePluginAccount, type ResolvedAccount } from "../config/index.js";
import { describeError, renderTable, type Io } from "../infra/index.js";
import { askRunningAccount, locateQueues, readQueues } from "./queue-report.js";

export interface StatusInput {
  /** openclaw.json as loaded. */
  readonly cfg: unknown;
  /** The queue folder of accounts that set no `stateDir`. */
  readonly stateDir: string;
  /** A client for an account, acting with `apiKey`. */
  readonly clientFor: (account: ResolvedAccount, apiKey: string) => ClawTellClient;
  /** How long one ClawTell call may take. @defaultValue 5000 */
  readonly timeoutMs?: number;
}

export interface AccountStatus {
  readonly accountId: string;
  readonly name?: string;
  readonly baseUrl?: string;
  readonly enabled: boolean;
  readonly problem?: string;
  /** The pid of the process running the account (a gateway or `clawtell daemon`), if any. */
  readonly runningPid?: number;
  /** How the running account receives (`sse`, `longpoll`, `fallback-longpoll`, `config_error`); only while it runs. */
  readonly transport?: string;
  /** Whether its stream is open or its last poll answered; only while it runs. */
  readonly connected?: boolean;
  /** The running account's last receive or ack error. */
  readonly lastError?: string;
  readonly queued: number;
  readonly deadLetters: number;
  /** `GET /api/me` with the account key: the name it answered with, or why it failed. */
  readonly server: { readonly ok: true; readonly name: string } | { readonly ok: false; readonly error: string } | { readonly ok: false; readonly error: "not checked" };
}

export async function collectStatus(ctx: StatusInput): Promise<AccountStatus[]> {
  const accounts = listAccountIds(ctx.cfg).map((id) => resolvePluginAccount(ctx.cfg, id));
  const locations = await locateQueues(ctx.stateDir, accounts.map((a) => ({ accountId: a.accountId, ...(a.resolved?.stateDir === undefined ? {} : { stateDir: a.resolved.stateDir }) })));
  const queues = await readQueues(locations);
  return Promise.all(
    accounts.map(async (a): Promise<AccountStatus> => {
      const queue = queues.find((q) => q.accountId === a.accountId);
      const live = queue === undefined ? undefined : await askRunningAccount(queue, ctx.timeoutMs ?? 5000);
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
        ...(live === undefined
          ? {}
          : { runningPid: live.pid, transport: live.status.transport, connected: live.status.connected, ...(live.status.lastError === undefined ? {} : { lastError: live.status.lastError }) }),
        // The running account's own counts are current; the file may lag by a group commit.
        queued: live?.status.pending ?? queue?.pending.length ?? 0,
        deadLetters: live?.status.deadLetters ?? queue?.dead.length ?? 0,
        server,
      };
    }),
  );
}

/** Prints the accounts' status as a table, or as JSON with `json`. */
export function printStatus(io: Io, status: readonly AccountStatus[], json: boolean): void {
  if (json) {
    io.out(JSON.stringify(status, null, 2));
    return;
  }
  if (status.length === 0) {
    io.out("no ClawTell accounts configured (channels.clawtell)");
    return;
  }
  const rows = status.map((s) => [
    s.accountId,
    s.name === undefined ? "?" : `tell/${s.name}`,
    s.problem ?? (s.enabled ? "enabled" : "disabled"),
    s.runningPid === undefined ? "not running" : `pid ${s.runningPid}, ${s.transport ?? "?"} ${s.connected === true ? "connected" : `not connected${s.lastError === undefined ? "" : ` (${s.lastError})`}`}`,
    String(s.queued),
    String(s.deadLetters),
    s.server.ok ? `ok (${s.baseUrl ?? ""})` : `${s.server.error}${s.baseUrl === undefined ? "" : ` (${s.baseUrl})`}`,
  ]);
  io.out(renderTable(["account", "name", "config", "running", "queued", "dead", "server"], rows));
}
