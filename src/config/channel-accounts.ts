/**
 * The channel's accounts as OpenClaw sees them: the default account from the top level of `channels.clawtell`, one
 * more per entry of `accounts`. Each is resolved on its own, so one broken account does not hide the others.
 */

import { describeError } from "../infra/index.js";
import { parseChannelConfig } from "./parse.js";
import { DEFAULT_ACCOUNT_ID, resolveAccounts, type ResolvedAccount } from "./resolve.js";
import type { ChannelConfig } from "./schema.js";

/** The key of this channel under `channels` in openclaw.json. */
export const CHANNEL_KEY = "clawtell";

/** One account of the channel for OpenClaw: resolved when configured, with the reason when not. */
export interface PluginAccount {
  readonly accountId: string;
  readonly enabled: boolean;
  readonly configured: boolean;
  /** The ClawTell name, when known. */
  readonly name?: string;
  readonly resolved?: ResolvedAccount;
  /** Why the account cannot run (missing name/key, invalid section). */
  readonly problem?: string;
}

/** `cfg.channels.clawtell` of an OpenClaw config, unvalidated. */
export function channelSectionOf(cfg: unknown): unknown {
  if (typeof cfg !== "object" || cfg === null) return undefined;
  const channels = (cfg as { channels?: unknown }).channels;
  if (typeof channels !== "object" || channels === null) return undefined;
  return (channels as Record<string, unknown>)[CHANNEL_KEY];
}

function parseSection(cfg: unknown): { config?: ChannelConfig; problem?: string } {
  const raw = channelSectionOf(cfg);
  if (raw === undefined) return {};
  try {
    return { config: parseChannelConfig(raw) };
  } catch (err) {
    return { problem: describeError(err).message };
  }
}

/** Account ids: `default` when the top level names an identity, then every key of `accounts`. */
export function listAccountIds(cfg: unknown): string[] {
  const { config } = parseSection(cfg);
  if (config === undefined) return channelSectionOf(cfg) === undefined ? [] : [DEFAULT_ACCOUNT_ID];
  const ids = config.name !== undefined || config.apiKey !== undefined ? [DEFAULT_ACCOUNT_ID] : [];
  return [...ids, ...Object.keys(config.accounts ?? {})];
}

/** The section reduced to one account, so resolving it ignores problems of the others. */
function onlyAccount(config: ChannelConfig, accountId: string): ChannelConfig | undefined {
  const { accounts, name, apiKey, routing, ...inherited } = config;
  if (accountId === DEFAULT_ACCOUNT_ID) {
    return { ...inherited, ...(name === undefined ? {} : { name }), ...(apiKey === undefined ? {} : { apiKey }), ...(routing === undefined ? {} : { routing }) };
  }
  const own = accounts?.[accountId];
  return own === undefined ? undefined : { ...inherited, accounts: { [accountId]: own } };
}

export function resolvePluginAccount(cfg: unknown, accountId?: string | null): PluginAccount {
  const id = accountId ?? DEFAULT_ACCOUNT_ID;
  const { config, problem } = parseSection(cfg);
  if (config === undefined) {
    return { accountId: id, enabled: false, configured: false, problem: problem ?? "channels.clawtell is not set" };
  }
  const single = onlyAccount(config, id);
  const own = id === DEFAULT_ACCOUNT_ID ? config : config.accounts?.[id];
  const enabled = own?.enabled ?? true;
  if (single === undefined) return { accountId: id, enabled: false, configured: false, problem: `no account "${id}" in channels.clawtell.accounts` };
  try {
    const resolved = resolveAccounts(single).find((a) => a.accountId === id);
    if (resolved === undefined) return { accountId: id, enabled, configured: false, problem: "channels.clawtell.name and channels.clawtell.apiKey are not set" };
    return { accountId: id, enabled: resolved.enabled, configured: true, name: resolved.name, resolved };
  } catch (err) {
    return { accountId: id, enabled, configured: false, ...(own?.name === undefined ? {} : { name: own.name }), problem: describeError(err).message };
  }
}
