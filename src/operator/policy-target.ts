/**
 * Which key manages a name's lists and settings: the server keeps the lists of the name whose key is presented, so a
 * name is managed with its own route key, else the account key — and only when that key really is the name's (checked
 * with `GET /api/me`), never silently another name's.
 */

import type { ClawTellClient, RequestOptions } from "../client/index.js";
import { resolveSenderApiKey, type ResolvedAccount } from "../config/resolve.js";
import { DEFAULT_ROUTE_KEY } from "../config/schema.js";
import { ClawTellError } from "../infra/index.js";
import { stripNamePrefix, type MeResponse } from "../protocol/index.js";

export interface PolicyDeps {
  /** The configured accounts (enabled or not: managing lists needs no running daemon). */
  readonly accounts: readonly ResolvedAccount[];
  readonly clientFor: (account: ResolvedAccount, apiKey: string) => ClawTellClient;
  /** How the human calls the CLI in hints (`openclaw clawtell`, `clawtell`). */
  readonly command: string;
  /** Per ClawTell call. */
  readonly request?: RequestOptions;
}

/** A name of the config, with a client speaking with its own key, and its current settings. */
export interface ManagedName {
  readonly account: ResolvedAccount;
  readonly name: string;
  readonly client: ClawTellClient;
  readonly me: MeResponse;
}

/** The configured names of an account: its own name, then every routed name (not `_default`). */
export function namesOf(account: ResolvedAccount): string[] {
  const routed = Object.keys(account.routing).filter((key) => key !== DEFAULT_ROUTE_KEY && key !== account.name);
  return [account.name, ...routed];
}

function configPathOf(account: ResolvedAccount): string {
  return account.accountId === "default" ? "channels.clawtell" : `channels.clawtell.accounts.${account.accountId}`;
}

/** The config's account holding `name` (bare or `tell/`), optionally only `accountId`'s. */
export function findNameAccount(accounts: readonly ResolvedAccount[], name: string, accountId?: string): ResolvedAccount {
  const bare = stripNamePrefix(name);
  const candidates = accounts.filter((a) => accountId === undefined || a.accountId === accountId);
  if (accountId !== undefined && candidates.length === 0) {
    throw new ClawTellError("CT_BAD_REQUEST", `--account: no account "${accountId}" in channels.clawtell`, { field: "account" });
  }
  const account = candidates.find((a) => namesOf(a).includes(bare));
  if (account === undefined) {
    const known = candidates.flatMap(namesOf).map((n) => `tell/${n}`);
    throw new ClawTellError(
      "CT_BAD_REQUEST",
      `tell/${bare} is not a configured name (channels.clawtell.name or a routing entry)${known.length === 0 ? "" : `; configured: ${known.join(", ")}`}`,
      { field: "name" },
    );
  }
  return account;
}

/** Opens `name` for managing: its account, a client with its key, and its settings; refuses a key of another name. */
export async function openManagedName(deps: PolicyDeps, name: string, accountId?: string): Promise<ManagedName> {
  const bare = stripNamePrefix(name);
  const account = findNameAccount(deps.accounts, bare, accountId);
  const client = deps.clientFor(account, resolveSenderApiKey(account, bare));
  const me = await client.me(deps.request);
  if (stripNamePrefix(me.name) !== bare) {
    throw new ClawTellError(
      "CT_CONFIG_INVALID",
      `tell/${bare} has no key of its own in the config (the key it would use is tell/${stripNamePrefix(me.name)}'s, and lists belong to the name whose key is used): ` +
        `set ${configPathOf(account)}.routing.${bare}.apiKey to tell/${bare}'s key`,
      { field: `${configPathOf(account)}.routing.${bare}.apiKey` },
    );
  }
  return { account, name: bare, client, me };
}
