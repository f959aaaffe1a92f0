/**
 * The human's active chat from OpenClaw session entries: the newest external delivery context on any chat channel.
 * Pure selection (`pickActiveChat`) plus a source over any session store shaped like the runtime's
 * `agent.session.listSessionEntries` (the plugin supplies the live one).
 */

import type { ActiveChatResolver, ChatTarget } from "./chat-target.js";

/**
 * Channels that are never the human's chat to send to: ClawTell itself (its sessions are agents talking) and
 * OpenClaw's internal web chat (legacy rows name it; nothing can be sent to it from outside).
 */
const NOT_A_CHAT = new Set(["clawtell", "webchat"]);

/** OpenClaw's `DeliveryContext` (and the legacy `deliveryContext` of `sessions.json`). */
export interface DeliveryContextLike {
  readonly channel?: string;
  readonly to?: string;
  readonly accountId?: string;
  readonly threadId?: string | number;
}

/**
 * One session entry: OpenClaw 2026.9 rows (`delivery: { kind: "external", context }`, `lastInteractionAt`) and
 * legacy `sessions.json` rows (`deliveryContext`, `lastChannel` / `lastTo` / `lastAccountId` / `lastThreadId`).
 * Times are epoch milliseconds.
 */
export interface SessionEntryLike {
  readonly updatedAt?: number;
  readonly lastInteractionAt?: number;
  readonly archivedAt?: number;
  readonly delivery?: { readonly kind?: string; readonly context?: DeliveryContextLike };
  readonly deliveryContext?: DeliveryContextLike;
  readonly lastChannel?: string;
  readonly lastTo?: string;
  readonly lastAccountId?: string;
  readonly lastThreadId?: string | number;
}

/** A row of the session store, as `listSessionEntries` returns it. */
export interface SessionEntryRow {
  readonly sessionKey?: string;
  readonly entry: SessionEntryLike;
}

/** The part of OpenClaw's session store this needs (the plugin adapts `runtime.agent.session`). */
export interface SessionStoreLike {
  listSessionEntries(agentId: string): Iterable<SessionEntryRow> | Promise<Iterable<SessionEntryRow>>;
}

/** The chat context an entry records, or `undefined` when it has none (or an internal/none delivery). */
function contextOf(entry: SessionEntryLike): DeliveryContextLike | undefined {
  if (entry.delivery !== undefined) return entry.delivery.kind === "external" ? entry.delivery.context : undefined;
  if (entry.deliveryContext !== undefined) return entry.deliveryContext;
  if (entry.lastChannel === undefined && entry.lastTo === undefined) return undefined;
  return {
    ...(entry.lastChannel === undefined ? {} : { channel: entry.lastChannel }),
    ...(entry.lastTo === undefined ? {} : { to: entry.lastTo }),
    ...(entry.lastAccountId === undefined ? {} : { accountId: entry.lastAccountId }),
    ...(entry.lastThreadId === undefined ? {} : { threadId: entry.lastThreadId }),
  };
}

/**
 * The newest external chat among session entries, by last real interaction (`lastInteractionAt`, which heartbeats
 * and cron do not bump), else last update. Any channel OpenClaw delivers to counts (Telegram, Discord, Slack, Signal,
 * WhatsApp, a plugin's own, …) unless `accepts` says no; archived entries, ClawTell's own sessions and addresses
 * (`tell/…`) and the internal web chat are skipped; on a tie the earlier entry wins.
 */
export function pickActiveChat(entries: Iterable<SessionEntryLike>, accepts: (channel: string) => boolean = () => true): ChatTarget | undefined {
  let best: { atMs: number; target: ChatTarget } | undefined;
  for (const entry of entries) {
    if (typeof entry !== "object" || entry === null || entry.archivedAt !== undefined) continue;
    const context = contextOf(entry);
    const to = typeof context?.to === "string" ? context.to.trim() : "";
    const channel = typeof context?.channel === "string" ? context.channel.trim().toLowerCase() : "";
    if (context === undefined || channel === "" || NOT_A_CHAT.has(channel) || !accepts(channel) || to === "" || to.startsWith("tell/")) continue;
    const atMs = entry.lastInteractionAt ?? entry.updatedAt ?? 0;
    if (typeof atMs !== "number" || (best !== undefined && atMs <= best.atMs)) continue;
    const threadId = context.threadId;
    best = {
      atMs,
      target: {
        channel,
        to,
        ...(typeof context.accountId === "string" && context.accountId !== "" ? { accountId: context.accountId } : {}),
        ...(typeof threadId === "string" || typeof threadId === "number" ? { threadId: String(threadId) } : {}),
      },
    };
  }
  return best?.target;
}

/** The active chat from a live session store (inside OpenClaw: `runtime.agent.session`). */
export function createSessionStoreSource(store: SessionStoreLike, accepts?: (channel: string) => boolean): ActiveChatResolver {
  return {
    async resolve(agentId) {
      const rows = await store.listSessionEntries(agentId);
      return pickActiveChat(
        Array.from(rows, (row) => row.entry),
        accepts,
      );
    },
  };
}
