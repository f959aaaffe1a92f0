/** The server's webhooks: the dispatcher, one attempt, the bodies and the retry schedule. */
export { startWebhookDispatcher, WEBHOOK_MAX_RESPONSE_BYTES, WEBHOOK_TIMEOUT_MS, type WebhookDispatcher, type WebhookDispatcherOptions } from "./dispatcher.js";
export { attemptDelivery, webhookHeaders, WEBHOOK_USER_AGENT } from "./attempt.js";
export { webhookBody, type MessageAckedBody, type MessageReceivedBody, type MessageStatusBody, type WebhookBody } from "./payloads.js";
export { MAX_ATTEMPTS, RETRY_DELAYS_MS, retryDelayAfter } from "./retry-schedule.js";
export { sendWebhookTest, WEBHOOK_TEST_EVENT, type WebhookTestBody, type WebhookTestDeps, type WebhookTestOutcome } from "./test-event.js";
