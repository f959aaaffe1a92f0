/** The standalone daemon's ChatForwarder: explicit `forwardTo`, else the agent's active chat, sent over REST. */

import { ClawTellError } from "../infra/index.js";
import type { ChatForwarder, HumanNotice } from "../daemon/contracts.js";
import { bareChatId, type ActiveChatSource } from "./active-chat.js";
import type { ChatSender } from "./chat-sender.js";

const CONFIG_KEY = { telegram: "channels.telegram.botToken", discord: "channels.discord.token" } as const;

export function createStandaloneChatForwarder(deps: { resolver: ActiveChatSource; senders: readonly ChatSender[] }): ChatForwarder {
  return {
    async send(notice: HumanNotice, signal?: AbortSignal) {
      const agentId = notice.agentId ?? "main";
      const target = notice.forwardTo ?? (await deps.resolver.resolve(agentId));
      if (target === undefined) {
        throw new ClawTellError("CT_ROUTE_UNKNOWN", `no chat to forward to for agent "${agentId}": set forwardTo in channels.clawtell`, { retryable: false });
      }
      const sender = deps.senders.find((s) => s.channel === target.channel);
      if (sender === undefined) {
        throw new ClawTellError("CT_CONFIG_INVALID", `cannot send to ${target.channel}: ${CONFIG_KEY[target.channel]} is not set`, {
          field: CONFIG_KEY[target.channel],
          retryable: false,
        });
      }
      await sender.sendText(bareChatId(target.to), notice.text, {
        ...(target.threadId === undefined ? {} : { threadId: target.threadId }),
        ...(signal === undefined ? {} : { signal }),
      });
    },
  };
}
