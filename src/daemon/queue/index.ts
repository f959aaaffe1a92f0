/** The daemon's durable delivery queue: state machine, backoff, persisted store with group commit and dead letters. */
export * from "./delivery-state.js";
export * from "./backoff.js";
export { openQueueStore, type QueueStore, type QueueStoreOptions, type QueuePolicy, type QueueAlarm, type NewJob } from "./queue-store.js";
export type { CorruptFileReport } from "./durable-file-adapter.js";
