/** Forwarding to humans: where their chat is (forwardTo, OpenClaw session entries, legacy sessions.json) and the Telegram, Discord and Slack senders of standalone mode. */
export * from "./chat-target.js";
export * from "./session-entries.js";
export * from "./sessions-file-source.js";
export * from "./chat-sender.js";
export { createTelegramSender, type TelegramSenderOptions } from "./telegram-sender.js";
export { createDiscordSender, type DiscordSenderOptions } from "./discord-sender.js";
export { createSlackSender, type SlackSenderOptions } from "./slack-sender.js";
export { splitText } from "./split-text.js";
export { createStandaloneChatForwarder, CHAT_SENDER_CONFIG_KEY, DEFAULT_FORWARD_AGENT_ID, type StandaloneChatForwarderDeps } from "./standalone-forwarder.js";
export type { ChatForwarder, HumanNotice, LocalFile } from "./notices.js";
