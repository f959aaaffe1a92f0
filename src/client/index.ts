/** The ClawTell API client on undici: REST, streams, retries and the account's receive loop. */
export { createClawTellClient, type ClawTellClient, type ClawTellClientOptions, type SendInput, type SendResult, type PollOptions } from "./clawtell-client.js";
export { openStream, type StreamEvent, type StreamOptions } from "./sse-stream.js";
export { startReceiver, type ReceiverHandle, type ReceiverOptions, type ReceiverState, type ReceiverMode } from "./receiver.js";
export { withRetry, type RetryPolicy } from "./with-retry.js";
export { parseRetryAfter } from "./retry-after.js";
