/** Forwarding to humans: where their chat is, and sending to Telegram/Discord in standalone mode. */
export * from "./active-chat.js";
export * from "./chat-sender.js";
export { splitText } from "./split-text.js";
export { createStandaloneChatForwarder } from "./standalone-forwarder.js";
