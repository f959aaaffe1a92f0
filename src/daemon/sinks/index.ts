/** Sinks for agents that are not OpenClaw agents: webhook and command. (The OpenClaw agent sink lives in plugin/.) */
export { createWebhookSink, signWebhook, verifyWebhookSignature, WEBHOOK_HEADERS, type WebhookSinkDeps } from "./webhook-sink.js";
export { createCommandSink, EXIT_DATA_ERROR, STDERR_TAIL_CHARS, type CommandSinkDeps } from "./command-sink.js";
