/** Sinks for agents that are not OpenClaw agents: webhook and command. (The OpenClaw agent sink lives in plugin/.) */
export { createWebhookSink, signWebhook, type WebhookSinkDeps } from "./webhook-sink.js";
export { createCommandSink, EXIT_DATA_ERROR } from "./command-sink.js";
