/**
 * The plugin's ChatForwarder: texts for the human go to an explicit `forwardTo`, else the newest external chat among
 * the sessions of the routed agent, else of the default agent — on whatever channel that is (Telegram, Discord, Slack,
 * Signal, WhatsApp, a plugin's own, …); they are sent through OpenClaw's own outbound path
 * (`sendDurableMessageBatch`), so that channel's plugin, token, API root and formatting apply. Files of a
 * 🦞 copy are saved into OpenClaw's media store and sent after the text, in a batch of their own (the chat plugin
 * uploads them); a file that cannot be sent stays named in the text, which is never sent twice for it.
 */

import { pickActiveChat, type ChatTarget } from "../chat/index.js";
import type { ChatForwarder, HumanNotice } from "../daemon/index.js";
import { ClawTellError, describeError, type Logger } from "../infra/index.js";
import { trySaveToHostMedia } from "./host-media.js";
import type { ChatBatchSender, ChatPayload, HostMedia, SessionRowLike } from "./host-runtime.js";

/**
 * The chat as the channel's own send takes it. Session rows name a chat with the channel id in front
 * (`synology-chat:5`, `telegram:4242`); OpenClaw's own deliveries drop it with the channel's target normalizer before
 * sending, which a plugin cannot call, and a channel's send may not drop it itself (Synology Chat then posts to no one).
 */
export function addressOnChannel(target: ChatTarget): string {
  const to = target.to.trim();
  const prefix = `${target.channel.toLowerCase()}:`;
  return to.toLowerCase().startsWith(prefix) ? to.slice(prefix.length).trim() : to;
}

export interface PluginChatForwarderDeps<TCfg> {
  readonly cfg: () => TCfg;
  /** `runtime.agent.session.listSessionEntries({ agentId })`. */
  readonly listSessionEntries: (agentId: string) => readonly SessionRowLike[];
  /** The agent OpenClaw treats as default (`resolveDefaultAgentId(cfg)`). */
  readonly defaultAgentId: () => string;
  readonly sendBatch: ChatBatchSender<TCfg>;
  /** OpenClaw's media store; without it, files are named in the text only. */
  readonly media?: HostMedia;
  readonly logger: Logger;
}

export function createPluginChatForwarder<TCfg>(deps: PluginChatForwarderDeps<TCfg>): ChatForwarder & { resolveTarget(notice: HumanNotice): ChatTarget | undefined } {
  const log = deps.logger.child({ component: "plugin.chat-forwarder" });
  const activeChatOf = (agentId: string): ChatTarget | undefined => {
    try {
      return pickActiveChat(deps.listSessionEntries(agentId).map((row) => row.entry));
    } catch (err) {
      // An agent without a session store yet is normal; anything else is worth a line in the log.
      log.debug({ err, agentId }, "sessions of agent could not be listed");
      return undefined;
    }
  };

  const resolveTarget = (notice: HumanNotice): ChatTarget | undefined => {
    if (notice.forwardTo !== undefined) return notice.forwardTo;
    const fallbackAgent = deps.defaultAgentId();
    const routed = notice.agentId ?? fallbackAgent;
    return activeChatOf(routed) ?? (routed === fallbackAgent ? undefined : activeChatOf(fallbackAgent));
  };

  /** One media payload per file of the notice that OpenClaw's media store took. */
  const mediaPayloadsOf = async (notice: HumanNotice): Promise<ChatPayload[]> => {
    const payloads: ChatPayload[] = [];
    if (deps.media === undefined) return payloads;
    for (const file of notice.files ?? []) {
      const saved = await trySaveToHostMedia(deps.media, file, log, "the copy's text names it");
      if (saved !== undefined) payloads.push({ mediaUrl: saved.path });
    }
    return payloads;
  };

  /** Sends one batch through OpenClaw; throws unless it (or, partly sent, its first part) reached the chat. */
  const sendPayloads = async (target: ChatTarget, payloads: ChatPayload[]): Promise<void> => {
    let result: { readonly status: string; readonly error?: unknown };
    try {
      result = await deps.sendBatch({
        cfg: deps.cfg(),
        channel: target.channel,
        to: addressOnChannel(target),
        ...(target.accountId === undefined ? {} : { accountId: target.accountId }),
        ...(target.threadId === undefined ? {} : { threadId: target.threadId }),
        payloads,
      });
    } catch (err) {
      throw new ClawTellError("CT_SINK_FAILED", `${target.channel} send failed: ${describeError(err).message}`, { cause: err });
    }
    if (result.status === "sent") return;
    if (result.status === "partial_failed") {
      // Some of it reached the chat; sending the batch again would repeat that.
      log.warn({ channel: target.channel, reason: result.error === undefined ? undefined : describeError(result.error).message }, "part of a notice did not reach the chat; the rest did");
      return;
    }
    // "suppressed" means a hook or policy of OpenClaw chose not to send: trying again would not change that.
    const why = result.error === undefined ? "" : `: ${describeError(result.error).message}`;
    throw new ClawTellError("CT_SINK_FAILED", `${target.channel} send ${result.status}${why}`, {
      retryable: result.status !== "suppressed",
      ...(result.error === undefined ? {} : { cause: result.error }),
    });
  };

  return {
    resolveTarget,
    async send(notice) {
      const target = resolveTarget(notice);
      if (target === undefined) {
        throw new ClawTellError(
          "CT_ROUTE_UNKNOWN",
          `no chat of the human is known for agent "${notice.agentId ?? deps.defaultAgentId()}": talk to the agent once in any chat, or set forwardTo in channels.clawtell`,
          { retryable: false },
        );
      }
      // The text first, on its own: whatever happens to the files, the human gets it, and only it is retried.
      await sendPayloads(target, [{ text: notice.text }]);
      const media = await mediaPayloadsOf(notice);
      if (media.length === 0) return;
      await sendPayloads(target, media).catch((err: unknown) =>
        log.warn({ channel: target.channel, reason: describeError(err).message }, "the files of a copy did not reach the chat; its text names them"),
      );
    },
  };
}
