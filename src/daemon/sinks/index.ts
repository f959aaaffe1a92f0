/** Sinks for agents that are not OpenClaw agents: webhook and command. (The OpenClaw agent sink lives in plugin/.) */
export { createWebhookSink, type WebhookSinkDeps } from "./webhook-sink.js";
/** The signature scheme is shared with the server's webhooks; it lives in infra. */
export { signWebhook, verifyWebhookSignature, WEBHOOK_HEADERS } from "../../infra/webhook-signature.js";
export { createCommandSink, EXIT_DATA_ERROR, STDERR_TAIL_CHARS, type CommandSinkDeps } from "./command-sink.js";
