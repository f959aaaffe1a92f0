/**
 * Where a copy for the human goes: the `ChatTarget` type, the resolver interface every source implements, the
 * ordered combination of sources (first hit wins), the explicit-`forwardTo` source and target-string parsing.
 */

/** The chat services the standalone senders speak (inside OpenClaw, a copy goes to any channel OpenClaw sends to). */
export type ChatChannel = "telegram" | "discord" | "slack";

/**
 * One chat of the human, as OpenClaw records it: a channel id (`telegram`, `discord`, `slack`, `signal`, … or a
 * plugin's own) and `to` in that channel's form (it may carry a `telegram:` / `channel:` / `user:` prefix).
 */
export interface ChatTarget {
  readonly channel: string;
  readonly to: string;
  readonly accountId?: string;
  readonly threadId?: string;
}

/** Finds the chat where the human of an agent is; `undefined` when this source does not know one. */
export interface ActiveChatResolver {
  resolve(agentId: string): Promise<ChatTarget | undefined>;
}

/** @deprecated Same as {@link ActiveChatResolver}. */
export type ActiveChatSource = ActiveChatResolver;

/** An explicit chat from configuration (`forwardTo`); structurally the config's ForwardTarget. */
export interface ForwardToLike {
  readonly channel: string;
  readonly to: string;
  readonly accountId?: string;
  readonly threadId?: string;
}

/** Whether a standalone sender speaks this channel. */
export const isChatChannel = (value: unknown): value is ChatChannel => value === "telegram" || value === "discord" || value === "slack";

/** Tries each source in order; the first that knows a chat wins. */
export function createChatResolver(sources: readonly ActiveChatResolver[]): ActiveChatResolver {
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

/**
 * The explicit `forwardTo` of configuration: one target for every agent, or a per-agent lookup.
 * Put it first in {@link createChatResolver} so it wins over the session-based sources.
 */
export function createForwardToSource(forwardTo: ForwardToLike | ((agentId: string) => ForwardToLike | undefined) | undefined): ActiveChatResolver {
  return {
    resolve: async (agentId) => {
      const target = typeof forwardTo === "function" ? forwardTo(agentId) : forwardTo;
      return target === undefined ? undefined : { ...target };
    },
  };
}

/** `telegram:4242` → `4242`, `channel:99` → `99`: the bare id the REST APIs want. */
export const bareChatId = (to: string): string => to.trim().replace(/^(telegram|discord|slack):/i, "").replace(/^(channel|user|group):/i, "");

/** A Telegram target (`telegram:4242`, `-1001234:topic:42`, `@channel`) as `chat_id` and forum topic. */
export function parseTelegramTarget(to: string): { chatId: string; threadId?: string } {
  const bare = bareChatId(to);
  const topic = /^(.+):topic:(\d+)$/.exec(bare);
  return topic?.[1] !== undefined && topic[2] !== undefined ? { chatId: topic[1], threadId: topic[2] } : { chatId: bare };
}

/** A Discord target: `user:<id>` is a direct message (a DM channel must be opened), anything else a channel id. */
export function parseDiscordTarget(to: string): { kind: "channel" | "user"; id: string } {
  const withoutService = to.trim().replace(/^discord:/i, "");
  return { kind: /^user:/i.test(withoutService) ? "user" : "channel", id: bareChatId(withoutService) };
}
