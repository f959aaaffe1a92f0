/** The wire contract shared by client, daemon and server: zod schemas and types. No I/O; imports nothing of ours. */
export * from "./names.js";
export * from "./message.js";
export * from "./api.js";
export * from "./file-kinds.js";
export * from "./sse.js";
export * from "./webhooks.js";
export * from "./profile.js";
export * from "./dashboard.js";
