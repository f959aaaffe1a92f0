/**
 * The standalone daemon's ChatForwarder: the notice's explicit `forwardTo`, else the resolver's answer for the
 * notice's agent (`main` by default), sent with that channel's REST sender. No chat or no sender for it is a
 * configuration problem, reported as a non-retryable `CT_ROUTE_UNKNOWN`; the daemon decides what to do.
 */

import { ClawTellError, createSilentLogger, type Logger } from "../infra/index.js";
import type { ChatForwarder, HumanNotice } from "./notices.js";
import type { ChatSender } from "./chat-sender.js";
import { isChatChannel, type ActiveChatResolver, type ChatChannel, type ChatTarget } from "./chat-target.js";

/** The config key that enables each channel's standalone sender. */
export const CHAT_SENDER_CONFIG_KEY: Readonly<Record<ChatChannel, string>> = {
  telegram: "channels.telegram.botToken",
  discord: "channels.discord.token",
  slack: "channels.slack.botToken",
};

export interface StandaloneChatForwarderDeps {
  readonly resolver: ActiveChatResolver;
  readonly telegram?: ChatSender;
  readonly discord?: ChatSender;
  readonly slack?: ChatSender;
  /** Senders by their `channel` (an alternative to `telegram` / `discord` / `slack`; those win). */
  readonly senders?: readonly ChatSender[];
  readonly logger?: Logger;
}

/** The agent whose human gets a notice that names none (OpenClaw's default agent). */
export const DEFAULT_FORWARD_AGENT_ID = "main";

/** The ChatForwarder of standalone mode (outside OpenClaw, which delivers through its own channels). */
export function createStandaloneChatForwarder(deps: StandaloneChatForwarderDeps): ChatForwarder {
  const logger = (deps.logger ?? createSilentLogger()).child({ component: "chat.forwarder" });
  const senderFor = (channel: ChatChannel): ChatSender | undefined => deps[channel] ?? deps.senders?.find((s) => s.channel === channel);
  return {
    async send(notice: HumanNotice, signal?: AbortSignal) {
      const agentId = notice.agentId ?? DEFAULT_FORWARD_AGENT_ID;
      const target: ChatTarget | undefined = notice.forwardTo ?? (await deps.resolver.resolve(agentId));
      // Webhook and command routes have no agent: the texts name the account, and what to configure.
      const whose = notice.agentId === undefined ? `account "${notice.accountId}"` : `agent "${agentId}"`;
      if (target === undefined) {
        throw new ClawTellError(
          "CT_ROUTE_UNKNOWN",
          `no chat for the copies and alerts of ${whose}: set forwardTo in channels.clawtell (or on the route), e.g. forwardTo: { channel: "telegram", to: "<chat id>" } with channels.telegram.botToken`,
          { retryable: false, field: "channels.clawtell.forwardTo" },
        );
      }
      if (!isChatChannel(target.channel)) {
        throw new ClawTellError(
          "CT_ROUTE_UNKNOWN",
          `cannot forward to ${target.channel} for ${whose}: the standalone daemon sends to telegram, discord or slack (inside OpenClaw, every channel works)`,
          { retryable: false, field: "channels.clawtell.forwardTo.channel" },
        );
      }
      const sender = senderFor(target.channel);
      if (sender === undefined) {
        const key = CHAT_SENDER_CONFIG_KEY[target.channel];
        throw new ClawTellError("CT_ROUTE_UNKNOWN", `cannot forward to ${target.channel} for ${whose}: ${key} is not set`, { retryable: false, field: key });
      }
      const options = { ...(target.threadId === undefined ? {} : { threadId: target.threadId }), ...(signal === undefined ? {} : { signal }) };
      const receipt = await sender.sendText(target.to, notice.text, options);
      // Files follow the text. One that fails is logged and left out: the text, already in the chat, names it, and
      // sending the notice again would repeat that text.
      let files = 0;
      for (const file of notice.files ?? []) {
        try {
          await sender.sendFile(target.to, file, options);
          files++;
        } catch (err) {
          logger.warn({ err, filename: file.filename, channel: target.channel }, "a file of the notice could not be sent; its text names it");
        }
      }
      logger.info({ kind: notice.kind, agentId, channel: target.channel, parts: receipt.messageIds.length, files }, "forwarded to the human's chat");
    },
  };
}
