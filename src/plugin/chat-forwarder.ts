/**
 * The plugin's ChatForwarder: texts for the human go to an explicit `forwardTo`, else the newest external Telegram/
 * Discord chat among the sessions of the routed agent, else of the default agent; they are sent through OpenClaw's
 * own outbound path (`sendDurableMessageBatch`), so the chat plugin's token, API root and formatting apply.
 */

import { pickActiveChat, type ChatTarget } from "../chat/index.js";
import type { ChatForwarder, HumanNotice } from "../daemon/index.js";
import { ClawTellError, type Logger } from "../infra/index.js";
import type { ChatBatchSender, SessionRowLike } from "./host-runtime.js";

export interface PluginChatForwarderDeps<TCfg> {
  readonly cfg: () => TCfg;
  /** `runtime.agent.session.listSessionEntries({ agentId })`. */
  readonly listSessionEntries: (agentId: string) => readonly SessionRowLike[];
  /** The agent OpenClaw treats as default (`resolveDefaultAgentId(cfg)`). */
  readonly defaultAgentId: () => string;
  readonly sendBatch: ChatBatchSender<TCfg>;
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

  return {
    resolveTarget,
    async send(notice) {
      const target = resolveTarget(notice);
      if (target === undefined) {
        throw new ClawTellError(
          "CT_ROUTE_UNKNOWN",
          `no chat of the human is known for agent "${notice.agentId ?? deps.defaultAgentId()}": talk to the agent on Telegram/Discord once, or set forwardTo in channels.clawtell`,
          { retryable: false },
        );
      }
      let result: { readonly status: string };
      try {
        result = await deps.sendBatch({
          cfg: deps.cfg(),
          channel: target.channel,
          to: target.to,
          ...(target.accountId === undefined ? {} : { accountId: target.accountId }),
          ...(target.threadId === undefined ? {} : { threadId: target.threadId }),
          payloads: [{ text: notice.text }],
        });
      } catch (err) {
        throw new ClawTellError("CT_SINK_FAILED", `${target.channel} send failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (result.status === "sent") return;
      // "suppressed" means a hook or policy of OpenClaw chose not to send: trying again would not change that.
      throw new ClawTellError("CT_SINK_FAILED", `${target.channel} send ${result.status}`, { retryable: result.status !== "suppressed" });
    },
  };
}
