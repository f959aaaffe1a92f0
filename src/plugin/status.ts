/**
 * What `openclaw channels status` shows for a ClawTell account: the daemon's transport state, queue depth and dead
 * letters as an account snapshot, a probe (`GET /api/me`) and the issues worth a human's attention.
 */

import type { ClawTellClient } from "../client/index.js";
import type { DaemonStatus } from "../daemon/index.js";
import { describeError, type Clock } from "../infra/index.js";
import type { PluginAccount } from "./accounts.js";
import { CHANNEL_ID } from "./host-runtime.js";

/** The fields of OpenClaw's `ChannelAccountSnapshot` we fill. */
export interface AccountSnapshot {
  accountId: string;
  name?: string;
  enabled?: boolean;
  configured?: boolean;
  running?: boolean;
  connected?: boolean;
  mode?: string;
  baseUrl?: string;
  statusState?: string;
  stateReason?: string;
  lastError?: string | null;
  lastStartAt?: number | null;
  lastStopAt?: number | null;
  lastInboundAt?: number | null;
  lifecycle?: "starting" | "ready" | "recovering" | "blocked" | "stopped";
  probe?: unknown;
}

/** The result of probing an account with `GET /api/me`. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly name?: string;
  readonly error?: string;
  readonly latencyMs: number;
}

/** Identity and configuration of an account, before it runs. */
export function describeAccount(account: PluginAccount): AccountSnapshot {
  return {
    accountId: account.accountId,
    ...(account.name === undefined ? {} : { name: `tell/${account.name}` }),
    enabled: account.enabled,
    configured: account.configured,
    ...(account.resolved === undefined ? {} : { baseUrl: account.resolved.baseUrl }),
    ...(account.problem === undefined ? {} : { lastError: account.problem }),
  };
}

/** The running daemon's state as a snapshot patch: transport, queue depth, dead letters. */
export function daemonSnapshot(status: DaemonStatus): Partial<AccountSnapshot> {
  const { receiver } = status;
  const queue = `queue:${status.pending} dead:${status.deadLetters}${status.paused ? " paused" : ""}`;
  const lastError = receiver.lastError?.message ?? status.lastAckError ?? null;
  return {
    running: receiver.transport !== "stopped",
    connected: receiver.connected,
    // `openclaw channels status` prints `mode` (not statusState) in its text output: carry the queue there too.
    mode: `${receiver.transport} ${queue}`,
    statusState: queue,
    stateReason: queue,
    lastError,
    lifecycle: receiver.transport === "config_error" ? "blocked" : receiver.connected ? "ready" : "recovering",
    ...(receiver.lastMessageAt === undefined ? {} : { lastInboundAt: receiver.lastMessageAt }),
  };
}

/** `GET /api/me` with the account key, within `timeoutMs`. */
export async function probeAccount(client: ClawTellClient, clock: Clock, timeoutMs: number): Promise<ProbeResult> {
  const started = clock.now();
  try {
    const me = await client.me(AbortSignal.timeout(timeoutMs));
    return { ok: true, name: me.name, latencyMs: clock.now() - started };
  } catch (err) {
    return { ok: false, error: describeError(err).message, latencyMs: clock.now() - started };
  }
}

export interface StatusIssue {
  channel: string;
  accountId: string;
  kind: "config" | "runtime";
  message: string;
}

/** Unconfigured accounts, transport trouble and dead letters. */
export function collectStatusIssues(accounts: readonly AccountSnapshot[]): StatusIssue[] {
  const issues: StatusIssue[] = [];
  for (const a of accounts) {
    if (a.configured === false) {
      issues.push({ channel: CHANNEL_ID, accountId: a.accountId, kind: "config", message: a.lastError ?? "ClawTell not configured: set channels.clawtell.name and channels.clawtell.apiKey" });
    } else if (a.mode?.startsWith("config_error") === true) {
      issues.push({ channel: CHANNEL_ID, accountId: a.accountId, kind: "config", message: `ClawTell refused the account: ${a.lastError ?? "check apiKey"}` });
    } else if (typeof a.stateReason === "string" && /dead:[1-9]/.test(a.stateReason)) {
      issues.push({ channel: CHANNEL_ID, accountId: a.accountId, kind: "runtime", message: `ClawTell has undelivered messages (${a.stateReason}); see openclaw clawtell dead-letters ls` });
    }
  }
  return issues;
}
