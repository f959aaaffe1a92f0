/** The OpenClaw adapter: the `clawtell` channel plugin, its agent sink, chat forwarder and `clawtell_send` tool. */
export { createClawTellChannelPlugin, TEXT_CHUNK_LIMIT, type ChannelPluginDeps } from "./channel-plugin.js";
export { createToolFactory } from "./tool-factory.js";
export { createListsTool, createListsToolFactory, executeLists, LISTS_TOOL_NAME, ListsToolParameters, type ListsToolDeps, type ListsToolInput, type ListsToolResult } from "./lists-tool.js";
export { createSendTool, executeSend, SendToolParameters, SEND_TOOL_NAME, type SendToolDeps, type SendToolInput, type SendToolResult } from "./send-tool.js";
export { createAgentSink, type AgentSinkDeps } from "./agent-sink.js";
export { createAgentReply, autoReplyAllowed, type AgentReply, type AgentReplyDeps } from "./agent-reply.js";
export { createAgentDispatch, type AgentDispatch, type AgentDispatchDeps } from "./agent-dispatch.js";
export { createHostAnswerBook, type HostAnswerBook, type HostAnswerBookOptions, type HostAnswerResult, type HostAnswerSender } from "./host-answers.js";
export { createPluginChatForwarder, type PluginChatForwarderDeps } from "./chat-forwarder.js";
export { runAccount, type AccountRunContext, type AccountRunDeps } from "./account-runner.js";
export { listAccountIds, resolvePluginAccount, channelSectionOf, type PluginAccount } from "./accounts.js";
export { normalizeTarget, looksLikeTellTarget, formatTargetDisplay } from "./targets.js";
export { sendOutboundText, type OutboundDeps, type OutboundText } from "./outbound.js";
export { describeAccount, daemonSnapshot, probeAccount, collectStatusIssues, type AccountSnapshot, type ProbeResult, type StatusIssue } from "./status.js";
export { createHostLogger, writeToHost, type HostLogSink } from "./host-logger.js";
export * from "./host-runtime.js";

/** Plugin id in OpenClaw (`plugins.entries.clawtell`). */
export const PLUGIN_ID = "clawtell";
export const PLUGIN_NAME = "ClawTell";
export const PLUGIN_DESCRIPTION = "ClawTell channel: agent-to-agent messages by tell/ name, routed to OpenClaw agents through a durable local queue.";
