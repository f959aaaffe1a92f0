/** The daemon's durable delivery queue: state machine, backoff, persisted store with group commit, dedupe and dead letters. */
export * from "./delivery-state.js";
export * from "./backoff.js";
export { DELIVERY_STATES, JobRouteSchema, type QueueState, type JobRoute } from "./queue-state.js";
export { DEFAULT_QUEUE_POLICY, type QueueStore, type QueueStoreOptions, type QueuePolicy, type QueueAlarm, type NewJob } from "./queue-port.js";
export { createQueueStore } from "./queue-store.js";
export { openFileQueueStore, createMemoryQueueStore, openQueueStore, type FileQueueStoreOptions, type MemoryQueueStoreOptions } from "./open-queue-store.js";
export type { WriteKind } from "./persistence.js";
export type { CorruptFileReport } from "./durable-file-adapter.js";
export { queueLockHolder } from "./queue-lock.js";
