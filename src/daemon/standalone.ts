/**
 * The standalone routing daemon (`clawtell daemon`): every enabled account of openclaw.json's `channels.clawtell`,
 * delivered to webhook and command targets, 🦞 copies through the given chat forwarder. The config file is watched:
 * a valid change restarts the accounts whose settings changed; an invalid one is reported and the old config kept.
 */

import { isDeepStrictEqual } from "node:util";
import type { Dispatcher } from "undici";
import { loadOpenClawConfig, resolveAccounts, watchConfigFile, type ConfigWatchHandle, type LoadedOpenClawConfig, type ResolvedAccount } from "../config/index.js";
import { ClawTellError, systemClock, type Clock, type Logger } from "../infra/index.js";
import { startAccountDaemon, type AccountDaemonHandle, type DaemonStatus } from "./account-daemon.js";
import type { AccountRegistrar, ChatForwarder } from "./contracts.js";
import { createCommandSink, createWebhookSink } from "./sinks/index.js";

export interface StandaloneOptions {
  readonly configPath: string;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly dispatcher?: Dispatcher;
  /** Builds the forwarder for 🦞 copies and alerts from the loaded config (standalone: Telegram/Discord senders). */
  readonly forwarderFor?: (config: LoadedOpenClawConfig) => ChatForwarder | undefined;
  /** @defaultValue true */
  readonly watchConfig?: boolean;
  /** Where each running account is registered for operator requests (`clawtell status`, `dead-letters retry`). */
  readonly registrar?: AccountRegistrar;
}

export interface StandaloneHandle {
  status(): DaemonStatus[];
  /** The running daemon of one account. */
  account(accountId: string): AccountDaemonHandle | undefined;
  stop(): Promise<void>;
}

const NO_CHAT = new ClawTellError("CT_ROUTE_UNKNOWN", "no chat for copies and alerts: set forwardTo in channels.clawtell and the chat's sender (channels.telegram.botToken, channels.discord.token or channels.slack.botToken)", { retryable: false, field: "channels.clawtell.forwardTo" });

const NO_REGISTRAR: AccountRegistrar = { register: () => Promise.resolve(() => Promise.resolve()) };

/** Whether the configuration gives the daemon a chat sender that a human's last chat could be reached with. */
const hasChatSender = (config: LoadedOpenClawConfig): boolean =>
  config.telegram !== undefined || config.discord !== undefined || config.slack?.botToken !== undefined;

/**
 * The account as it runs: with no chat sender configured, a route that forwards but has no `forwardTo` (its own or
 * the account's) could never send its 🦞 copy, so it forwards nothing, instead of failing every message's copy. The
 * routes it concerns are named once, with the fix, each time the configuration is applied.
 */
function withReachableCopies(account: ResolvedAccount, config: LoadedOpenClawConfig, log: Logger): ResolvedAccount {
  if (hasChatSender(config)) return account;
  const unreachable = Object.entries(account.routing).filter(([, route]) => route.forward && (route.forwardTo ?? account.forwardTo) === undefined);
  if (unreachable.length === 0) return account;
  log.warn(
    { accountId: account.accountId, routes: unreachable.map(([key]) => key) },
    "🦞 copies are off for these routes: no chat to send them to. To get them, set forwardTo: { channel, to } in channels.clawtell with that channel's sender (channels.telegram.botToken, channels.discord.token or channels.slack.botToken); forward: false on the routes says you want none",
  );
  const routing = { ...account.routing };
  for (const [key, route] of unreachable) routing[key] = { ...route, forward: false };
  return { ...account, routing };
}

export async function startStandaloneDaemon(options: StandaloneOptions): Promise<StandaloneHandle> {
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: "standalone" });
  const sinks = {
    webhook: createWebhookSink({ clock, ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }) }),
    command: createCommandSink({ clock }),
  };
  const running = new Map<string, { account: ResolvedAccount; handle: AccountDaemonHandle; unregister: () => Promise<void> }>();
  let forwarder: ChatForwarder | undefined;

  const apply = async (config: LoadedOpenClawConfig): Promise<void> => {
    forwarder = options.forwarderFor?.(config);
    const wanted = new Map(
      resolveAccounts(config.clawtell)
        .filter((a) => a.enabled)
        .map((a) => [a.accountId, withReachableCopies(a, config, log)]),
    );
    for (const [id, current] of running) {
      const next = wanted.get(id);
      if (next !== undefined && isDeepStrictEqual(next, current.account)) continue;
      const sameConnection =
        next !== undefined && next.apiKey === current.account.apiKey && next.baseUrl === current.account.baseUrl &&
        next.sseUrl === current.account.sseUrl && next.transport === current.account.transport && next.accountLevel === current.account.accountLevel;
      if (next !== undefined && sameConnection) {
        current.handle.update(next);
        running.set(id, { ...current, account: next });
        log.info({ accountId: id }, "account settings updated");
        continue;
      }
      await current.unregister();
      await current.handle.stop();
      running.delete(id);
      log.info({ accountId: id }, "account stopped");
    }
    for (const [id, account] of wanted) {
      if (running.has(id)) continue;
      const handle = await startAccountDaemon({
        account,
        sinks,
        forwarder: { send: (notice, signal) => (forwarder === undefined ? Promise.reject(NO_CHAT) : forwarder.send(notice, signal)) },
        stateDir: account.stateDir ?? options.stateDir,
        logger: options.logger,
        clock,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
      // `clawtell dead-letters retry | purge` reach the running account through its state folder.
      const unregister = await (options.registrar ?? NO_REGISTRAR).register(account.stateDir ?? options.stateDir, id, handle);
      running.set(id, { account, handle, unregister });
      log.info({ accountId: id, name: account.name }, "account started");
    }
  };

  await apply(await loadOpenClawConfig(options.configPath));
  // A valid change is applied (one at a time); an invalid one is logged by the watcher and the old settings stay.
  const watcher: ConfigWatchHandle | undefined =
    options.watchConfig === false
      ? undefined
      : await watchConfigFile(
          options.configPath,
          async (config) => {
            await apply(config);
            log.info("configuration reloaded");
          },
          { logger: log, clock },
        );

  return {
    status: () => [...running.values()].map((r) => r.handle.status()),
    account: (id) => running.get(id)?.handle,
    async stop() {
      await watcher?.close();
      for (const { handle, unregister } of running.values()) {
        await unregister();
        await handle.stop();
      }
      running.clear();
    },
  };
}
