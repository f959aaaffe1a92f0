/**
 * Where the human is: an explicit `forwardTo` wins; else the newest external Telegram/Discord chat of the agent's
 * sessions. Sources are tried in order. The legacy `sessions.json` source (standalone mode, older OpenClaw) is read
 * and watched with chokidar; a broken file keeps the last good answer.
 */

import { join } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { readFileIfExists, type Logger } from "../infra/index.js";

export interface ChatTarget {
  readonly channel: "telegram" | "discord";
  readonly to: string;
  readonly accountId?: string;
  readonly threadId?: string;
}

export interface ActiveChatSource {
  resolve(agentId: string): Promise<ChatTarget | undefined>;
}

/** `telegram:4242` → `4242`; the REST senders want the bare id. */
export const bareChatId = (to: string): string => to.replace(/^(telegram|discord|channel|user):/, "");

const isChatChannel = (c: unknown): c is "telegram" | "discord" => c === "telegram" || c === "discord";

interface DeliveryContextLike {
  readonly channel?: string;
  readonly to?: string;
  readonly accountId?: string;
  readonly threadId?: string | number;
}

/** One session entry, shaped like both the legacy `sessions.json` rows and OpenClaw 2026.9 session entries. */
export interface SessionEntryLike {
  readonly updatedAt?: number;
  readonly lastInteractionAt?: number;
  readonly delivery?: { readonly kind?: string; readonly context?: DeliveryContextLike };
  readonly deliveryContext?: DeliveryContextLike;
  readonly lastChannel?: string;
  readonly lastTo?: string;
  readonly lastAccountId?: string;
}

/** The newest external Telegram/Discord chat among session entries (by last real interaction, else last update). */
export function pickActiveChat(entries: Iterable<SessionEntryLike>): ChatTarget | undefined {
  let best: { at: number; target: ChatTarget } | undefined;
  for (const entry of entries) {
    const legacy: DeliveryContextLike = {
      ...(entry.lastChannel === undefined ? {} : { channel: entry.lastChannel }),
      ...(entry.lastTo === undefined ? {} : { to: entry.lastTo }),
      ...(entry.lastAccountId === undefined ? {} : { accountId: entry.lastAccountId }),
    };
    const context: DeliveryContextLike | undefined = entry.delivery?.kind === "external" ? entry.delivery.context : (entry.deliveryContext ?? legacy);
    if (context === undefined || !isChatChannel(context.channel) || context.to === undefined || context.to === "") continue;
    const at = entry.lastInteractionAt ?? entry.updatedAt ?? 0;
    if (best !== undefined && at <= best.at) continue;
    best = {
      at,
      target: {
        channel: context.channel,
        to: context.to,
        ...(context.accountId === undefined ? {} : { accountId: context.accountId }),
        ...(context.threadId === undefined ? {} : { threadId: String(context.threadId) }),
      },
    };
  }
  return best?.target;
}

/** Tries each source in order; the first that knows a chat wins. */
export function createChatResolver(sources: readonly ActiveChatSource[]): ActiveChatSource {
  return {
    async resolve(agentId) {
      for (const source of sources) {
        const target = await source.resolve(agentId);
        if (target !== undefined) return target;
      }
      return undefined;
    },
  };
}

/** Legacy `<state dir>/agents/<agentId>/sessions/sessions.json`, cached per agent and refreshed when it changes. */
export function createSessionsFileSource(stateDir: string, logger: Logger): ActiveChatSource & { close(): Promise<void> } {
  const cache = new Map<string, ChatTarget | undefined>();
  const watchers: FSWatcher[] = [];
  const pathOf = (agentId: string): string => join(stateDir, "agents", agentId, "sessions", "sessions.json");
  const read = async (agentId: string): Promise<void> => {
    const text = await readFileIfExists(pathOf(agentId));
    if (text === undefined) {
      cache.set(agentId, undefined);
      return;
    }
    try {
      const rows = JSON.parse(text) as Record<string, SessionEntryLike>;
      cache.set(agentId, pickActiveChat(Object.values(rows)));
    } catch (err) {
      logger.warn({ err, agentId }, "sessions.json unreadable; keeping the last known chat");
    }
  };
  return {
    async resolve(agentId) {
      if (!cache.has(agentId)) {
        await read(agentId);
        const watcher = watch(pathOf(agentId), { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
        watcher.on("all", () => void read(agentId).catch((err: unknown) => logger.warn({ err }, "sessions.json refresh failed")));
        watchers.push(watcher);
      }
      return cache.get(agentId);
    },
    async close() {
      await Promise.all(watchers.map((w) => w.close()));
    },
  };
}
