/** Infrastructure shared by every room: errors, clock, logger, durable files. Imports nothing of ours. */
export * from "./errors.js";
export * from "./clock.js";
export * from "./cancel-signal.js";
export * from "./logger.js";
export * from "./atomic-file.js";
export * from "./old-entries.js";
export * from "./file-lock.js";
export * from "./text-table.js";
export * from "./terminal-io.js";
export * from "./backoff.js";
export * from "./retry-after.js";
export * from "./iso-time.js";
export * from "./versions.js";
export * from "./webhook-signature.js";
