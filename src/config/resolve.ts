/**
 * From a parsed `channels.clawtell` to the accounts the daemon runs and the route of each recipient name.
 * The default account comes from the top level; more come from `accounts`. An entry of `accounts` inherits the
 * connection settings of the top level (baseUrl, sseUrl, transport, pollIntervalMs, queue, loopGuard, forwardTo,
 * stateDir) but never its identity (name, apiKey, routing, pollAccount). A top-level `enabled: false` turns every
 * account off.
 */

import { ClawTellError } from "../infra/index.js";
import {
  DEFAULT_BASE_URL,
  DEFAULT_FORWARD_CHANNEL,
  DEFAULT_PUBLIC_SSE_URL,
  DEFAULT_ROUTE_KEY,
  normaliseRoutingKey,
  LoopGuardSchema,
  QueueSchema,
  type AccountConfig,
  type ChannelConfig,
  type ForwardToConfig,
  type LoopGuardConfig,
  type QueueConfig,
  type RouteConfig,
} from "./schema.js";

export const DEFAULT_ACCOUNT_ID = "default";
/** Agent that gets messages when no route names one (OpenClaw's default agent). */
export const DEFAULT_AGENT_ID = "main";

/** An explicit chat to forward to: a channel id as OpenClaw names it (`telegram`, `discord`, `slack`, `signal`, …). */
export interface ForwardTarget {
  readonly channel: string;
  readonly to: string;
  readonly accountId?: string;
  readonly threadId?: string;
}

export type ResolvedTarget =
  | { readonly kind: "agent"; readonly agentId: string }
  | { readonly kind: "webhook"; readonly url: string; readonly secret?: string; readonly timeoutMs: number }
  | { readonly kind: "command"; readonly command: string; readonly args: readonly string[]; readonly timeoutMs: number };

export interface ResolvedRouteConfig {
  readonly target: ResolvedTarget;
  readonly forward: boolean;
  readonly apiKey?: string;
  readonly forwardTo?: ForwardTarget;
}

export interface ResolvedAccount {
  readonly accountId: string;
  readonly enabled: boolean;
  /** The account's own ClawTell name (bare). */
  readonly name: string;
  readonly apiKey: string;
  readonly baseUrl: string;
  /** Streaming origin, or null when streaming is off. */
  readonly sseUrl: string | null;
  readonly transport: "sse" | "longpoll";
  /** Receive all names of the account in one stream (`account=true`). */
  readonly accountLevel: boolean;
  readonly pollIntervalMs: number;
  readonly routing: Readonly<Record<string, ResolvedRouteConfig>>;
  readonly queue: QueueConfig;
  readonly loopGuard: LoopGuardConfig;
  readonly forwardTo?: ForwardTarget;
  readonly stateDir?: string;
}

/** The route a recipient name resolves to, without secrets (safe to persist), plus the key replies go out with. */
export interface RouteResolution {
  readonly accountId: string;
  readonly recipient: string;
  /** The routing key that matched: the name, `_default`, the account's own name, or `` (built-in default). */
  readonly routeKey: string;
  readonly target: ResolvedTarget;
  readonly forward: boolean;
  readonly forwardTo?: ForwardTarget;
  /** The route's own key, else the account key. Never persist it. */
  readonly replyApiKey: string;
}

/** The chat a `forwardTo` names; none without a chat id (then the human's active chat is used, as the official plugin). */
function toForwardTarget(f: ForwardToConfig | undefined): ForwardTarget | undefined {
  const chat = f?.to ?? f?.chatId;
  if (f === undefined || chat === undefined) return undefined;
  const to = String(chat);
  return {
    channel: (f.channel ?? DEFAULT_FORWARD_CHANNEL).toLowerCase(),
    to,
    ...(f.accountId === undefined ? {} : { accountId: f.accountId }),
    ...(f.threadId === undefined ? {} : { threadId: String(f.threadId) }),
  };
}

function toRoute(route: RouteConfig): ResolvedRouteConfig {
  const target: ResolvedTarget =
    route.webhook !== undefined
      ? { kind: "webhook", url: route.webhook.url, timeoutMs: route.webhook.timeoutMs, ...(route.webhook.secret === undefined ? {} : { secret: route.webhook.secret }) }
      : route.command !== undefined
        ? { kind: "command", command: route.command.command, args: route.command.args, timeoutMs: route.command.timeoutMs }
        : { kind: "agent", agentId: route.agent ?? DEFAULT_AGENT_ID };
  const forwardTo = toForwardTarget(route.forwardTo);
  return {
    target,
    forward: route.forward,
    ...(route.apiKey === undefined ? {} : { apiKey: route.apiKey }),
    ...(forwardTo === undefined ? {} : { forwardTo }),
  };
}

function resolveOne(accountId: string, own: AccountConfig, inherited: AccountConfig, path: string): ResolvedAccount {
  // Each account is checked on its own path, so an error names `channels.clawtell.accounts.<id>.apiKey`.
  const name = own.name;
  const apiKey = own.apiKey;
  if (name === undefined || name === "") {
    throw new ClawTellError("CT_CONFIG_INVALID", `${path}.name: required (your ClawTell name)`, { field: `${path}.name` });
  }
  if (apiKey === undefined) {
    throw new ClawTellError("CT_CONFIG_INVALID", `${path}.apiKey: required`, { field: `${path}.apiKey` });
  }
  const baseUrl = own.baseUrl ?? inherited.baseUrl ?? DEFAULT_BASE_URL;
  const sseSetting = own.sseUrl !== undefined ? own.sseUrl : inherited.sseUrl;
  // As the official plugin does, a falsy value (null, false, "") turns streaming off; `true` keeps the default origin.
  const sseUrl =
    sseSetting === null || sseSetting === false || sseSetting === ""
      ? null
      : typeof sseSetting === "string"
        ? sseSetting
        : baseUrl === DEFAULT_BASE_URL
          ? DEFAULT_PUBLIC_SSE_URL
          : baseUrl;
  const transport = sseUrl === null ? "longpoll" : (own.transport ?? inherited.transport ?? "sse");
  const routing = Object.fromEntries(Object.entries(own.routing ?? {}).map(([key, route]) => [key, toRoute(route)]));
  const forwardTo = toForwardTarget(own.forwardTo ?? inherited.forwardTo);
  const stateDir = own.stateDir ?? inherited.stateDir;
  return {
    accountId,
    enabled: inherited.enabled !== false && (own.enabled ?? true),
    name,
    apiKey,
    baseUrl,
    sseUrl,
    transport,
    accountLevel: own.pollAccount ?? own.routing !== undefined,
    pollIntervalMs: own.pollIntervalMs ?? inherited.pollIntervalMs ?? 30_000,
    routing,
    queue: own.queue ?? inherited.queue ?? QueueSchema.parse({}),
    loopGuard: own.loopGuard ?? inherited.loopGuard ?? LoopGuardSchema.parse({}),
    ...(forwardTo === undefined ? {} : { forwardTo }),
    ...(stateDir === undefined ? {} : { stateDir }),
  };
}

/**
 * Every configured account, the default one first. The default account exists when the top level has a name or a
 * key; an account with only one of the two is a configuration error naming the missing path.
 */
export function resolveAccounts(config: ChannelConfig, path = "channels.clawtell"): ResolvedAccount[] {
  const accounts: ResolvedAccount[] = [];
  const { accounts: extra, ...top } = config;
  if (top.name !== undefined || top.apiKey !== undefined) accounts.push(resolveOne(DEFAULT_ACCOUNT_ID, top, {}, path));
  for (const [id, account] of Object.entries(extra ?? {})) {
    accounts.push(resolveOne(id, account, top, `${path}.accounts.${id}`));
  }
  return accounts;
}

/**
 * The route of one recipient name, as the official plugin chose it: the name's own entry, else `_default`, else the
 * entry of the account's own name, else the default agent `main` with forwarding on. Pure; `tell/` and case ignored.
 */
export function resolveRoute(account: ResolvedAccount, toName: string | undefined): RouteResolution {
  const recipient = normaliseRoutingKey(toName === undefined || toName.trim() === "" ? account.name : toName);
  const candidates: Array<[string, ResolvedRouteConfig | undefined]> = [
    [recipient, account.routing[recipient]],
    [DEFAULT_ROUTE_KEY, account.routing[DEFAULT_ROUTE_KEY]],
    [account.name, account.routing[account.name]],
  ];
  const [routeKey, route] = candidates.find(([, r]) => r !== undefined) ?? ["", undefined];
  const forwardTo = route?.forwardTo ?? account.forwardTo;
  return {
    accountId: account.accountId,
    recipient,
    routeKey,
    target: route?.target ?? { kind: "agent", agentId: DEFAULT_AGENT_ID },
    forward: route?.forward ?? true,
    ...(forwardTo === undefined ? {} : { forwardTo }),
    // As the official plugin: the matched route's key, else the account key.
    replyApiKey: route?.apiKey ?? account.apiKey,
  };
}

/**
 * The secrets of the route a message was given at intake (by its routing key): the key its replies go out with (the
 * route's own, else the account key) and its webhook's signing secret. Looked up at use, so they are never persisted
 * and a rotated secret applies to messages already queued.
 */
export function routeSecretsOf(account: ResolvedAccount, routeKey: string): { readonly replyApiKey: string; readonly webhookSecret?: string } {
  const route = routeKey === "" ? undefined : account.routing[routeKey];
  const secret = route?.target.kind === "webhook" ? route.target.secret : undefined;
  return { replyApiKey: route?.apiKey ?? account.apiKey, ...(secret === undefined ? {} : { webhookSecret: secret }) };
}

/**
 * The key to send with as `fromName` (as the official `clawtell_send` tool): that name's own route key, else the
 * account key. Unlike {@link resolveRoute}, `_default` never lends its key to an outbound identity.
 */
export function resolveSenderApiKey(account: ResolvedAccount, fromName: string | undefined): string {
  if (fromName === undefined || fromName.trim() === "") return account.apiKey;
  return account.routing[normaliseRoutingKey(fromName)]?.apiKey ?? account.apiKey;
}
