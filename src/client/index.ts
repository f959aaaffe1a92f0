/** The ClawTell API client on undici: REST calls, the SSE stream, retries and the account's receive loop. */
export {
  createClawTellClient,
  type ClawTellClient,
  type ClawTellClientOptions,
  type NameSettings,
  type NameSettingsInput,
  type PollOptions,
  type RequestOptions,
  type SendInput,
  type SendResult,
} from "./clawtell-client.js";
export { openStream, openStreamBatches, STREAM_INACTIVITY_DEFAULT_MS, type StreamEvent, type StreamOptions, type StreamRequest } from "./sse-stream.js";
export {
  startReceiver,
  type ReceiverHandle,
  type ReceiverOptions,
  type ReceiverState,
  type ReceiverTransport,
} from "./receiver.js";
export { withRetry, type RetryPolicy } from "./with-retry.js";
export { parseRetryAfter } from "./retry-after.js";
export { reconnectDelayMs, retryDelayMs } from "./backoff.js";
export { normalizeOrigin, POLICY_LIST_PATHS, type PolicyList } from "./endpoints.js";
export { readAttachmentFiles } from "./attachment-files.js";
