/** The routing daemon: per-account receive → route → durable queue → ack → delivery, and its seams. */
export * from "./contracts.js";
export * from "./attachments.js";
export { startAccountDaemon, queueFileOf, type AccountDaemonHandle, type AccountDaemonOptions, type DaemonStatus } from "./account-daemon.js";
export { startDeliveryLoop, orderKeyOf, type DeliverySinks, type DeliveryLoopHandle, type DeliveryLoopOptions } from "./delivery-loop.js";
export * from "./queue/index.js";
export * from "./templates.js";
export * from "./sinks/index.js";
export { startStandaloneDaemon, type StandaloneHandle, type StandaloneOptions } from "./standalone.js";
