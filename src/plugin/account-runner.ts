/**
 * `gateway.startAccount` for one ClawTell account: runs the routing daemon with the agent sink and the chat forwarder
 * until OpenClaw aborts the account, publishing its state (transport, queue depth, dead letters) as the account status.
 */

import type { Dispatcher } from "undici";
import { createClawTellClient } from "../client/index.js";
import { startAccountDaemon, type AccountDaemonHandle, type AccountDaemonOptions } from "../daemon/index.js";
import type { OperatorDesk } from "../operator/index.js";
import { ClawTellError, systemClock, type Clock, type Logger } from "../infra/index.js";
import type { PluginAccount } from "./accounts.js";
import { createAgentSink } from "./agent-sink.js";
import type { HostAnswerBook } from "./host-answers.js";
import { createPluginChatForwarder } from "./chat-forwarder.js";
import type { ChannelRuntimeSlice, ChatBatchSender, IngressLike, SessionRowLike } from "./host-runtime.js";
import { daemonSnapshot, describeAccount, type AccountSnapshot } from "./status.js";

/** What OpenClaw hands to `startAccount` (the fields we use of `ChannelGatewayContext`). */
export interface AccountRunContext<TCfg> {
  readonly cfg: TCfg;
  readonly accountId: string;
  readonly account: PluginAccount;
  readonly abortSignal: AbortSignal;
  setStatus(snapshot: AccountSnapshot): void;
}

export interface AccountRunDeps<TCfg, TIngress extends IngressLike, TCtx> {
  readonly runtime: ChannelRuntimeSlice<TCfg, TIngress, TCtx>;
  readonly listSessionEntries: (agentId: string) => readonly SessionRowLike[];
  readonly defaultAgentId: (cfg: TCfg) => string;
  /** The agents OpenClaw has (routes to other ids fail and are retried). */
  readonly agentIds?: (cfg: TCfg) => readonly string[];
  readonly sendBatch: ChatBatchSender<TCfg>;
  /** Folder for queue files when the account sets no `stateDir` (`<OpenClaw state>/clawtell`). */
  readonly stateDir: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly dispatcher?: Dispatcher;
  /** How often the account status is refreshed. @defaultValue 2000 */
  readonly statusIntervalMs?: number;
  /** Receiver tuning passed to the daemon (tests). */
  readonly receiver?: AccountDaemonOptions["receiver"];
  /** Called once the daemon runs (tests, operator access). */
  readonly onStarted?: (daemon: AccountDaemonHandle) => void;
  /** Serves `openclaw clawtell dead-letters retry | purge` for the running account. */
  readonly desk?: OperatorDesk;
  /** Shared with the outbound adapter: answers OpenClaw delivers on its own (see host-answers.ts). */
  readonly hostAnswers?: HostAnswerBook;
  /** One session's run state from OpenClaw's session store (see `AgentSinkDeps.sessionStatus`). */
  readonly sessionStatus?: (agentId: string, sessionKey: string) => string | undefined;
}

/** Runs the account until `ctx.abortSignal` fires; resolves after the daemon has stopped. */
export async function runAccount<TCfg, TIngress extends IngressLike, TCtx>(
  ctx: AccountRunContext<TCfg>,
  deps: AccountRunDeps<TCfg, TIngress, TCtx>,
): Promise<void> {
  const clock = deps.clock ?? systemClock;
  const account = ctx.account.resolved;
  const base = describeAccount(ctx.account);
  if (account === undefined) {
    ctx.setStatus({ ...base, running: false });
    throw new ClawTellError("CT_CONFIG_INVALID", `ClawTell account "${ctx.accountId}" cannot start: ${ctx.account.problem ?? "not configured"}`);
  }
  const logger = deps.logger.child({ accountId: ctx.accountId });
  const startedAt = clock.now();
  ctx.setStatus({ ...base, running: true, connected: false, lifecycle: "starting", lastStartAt: startedAt });

  const httpDeps = { clock, logger, ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }) };
  const client = createClawTellClient({ baseUrl: account.baseUrl, ...(account.sseUrl === null ? {} : { sseUrl: account.sseUrl }), apiKey: account.apiKey, ...httpDeps });
  const forwarder = createPluginChatForwarder({
    cfg: () => ctx.cfg,
    listSessionEntries: deps.listSessionEntries,
    defaultAgentId: () => deps.defaultAgentId(ctx.cfg),
    sendBatch: deps.sendBatch,
    ...(deps.runtime.media === undefined ? {} : { media: deps.runtime.media }),
    logger,
  });
  const stateDir = account.stateDir ?? deps.stateDir;
  const agent = createAgentSink({
    runtime: deps.runtime,
    cfg: () => ctx.cfg,
    account: () => account,
    client,
    forwarder,
    clock,
    logger,
    ...(deps.agentIds === undefined ? {} : { agentIds: deps.agentIds }),
    ...(deps.hostAnswers === undefined ? {} : { hostAnswers: deps.hostAnswers }),
    ...(deps.sessionStatus === undefined ? {} : { sessionStatus: deps.sessionStatus }),
  });

  const daemon = await startAccountDaemon({
    account,
    sinks: { agent },
    forwarder,
    stateDir,
    operatorCommand: "openclaw clawtell",
    logger,
    clock,
    ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }),
    ...(deps.receiver === undefined ? {} : { receiver: deps.receiver }),
  });
  deps.onStarted?.(daemon);
  const unregister = await deps.desk?.register(stateDir, ctx.accountId, daemon).catch((err: unknown) => {
    logger.warn({ err }, "operator commands (dead-letters retry | purge) cannot reach this account while it runs");
    return undefined;
  });
  logger.info({ name: account.name, transport: account.transport, accountLevel: account.accountLevel }, "ClawTell account running");

  const publish = (): void => ctx.setStatus({ ...base, ...daemonSnapshot(daemon.status()), lastStartAt: startedAt });
  publish();
  const statusIntervalMs = deps.statusIntervalMs ?? 2000;
  try {
    // The status is refreshed on the clock until OpenClaw aborts the account; the abort ends the current wait, so
    // nothing stays scheduled once the account stops.
    for (;;) {
      try {
        await clock.sleep(statusIntervalMs, ctx.abortSignal);
      } catch {
        break;
      }
      if (ctx.abortSignal.aborted) break;
      publish();
    }
  } finally {
    await unregister?.();
    await daemon.stop();
    ctx.setStatus({ ...base, running: false, connected: false, lifecycle: "stopped", lastStartAt: startedAt, lastStopAt: clock.now() });
    logger.info("ClawTell account stopped");
  }
}
