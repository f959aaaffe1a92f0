/** The embedded ClawTell-compatible server: build it, run it, administer its names. */
export { buildServer, BODY_LIMIT_BYTES, type ServerDeps } from "./build-server.js";
export type { ServerOptions } from "./context.js";
export { startServer, DEFAULT_HOST, DEFAULT_PORT, type RunningServer } from "./start-server.js";
export { openSqliteStore, DATABASE_FILE, type SqliteStore } from "./store/sqlite-store.js";
export { openStore, FLUSH_INTERVAL_MS, type OpenStoreOptions } from "./store/journaled-store.js";
export { JOURNAL_FILE } from "./store/message-journal.js";
export type { DirectoryStore, Store } from "./store/store.js";
export { createName, type CreatedName } from "./admin.js";
export { purgeExpired } from "./retention.js";
export { openFileStore, FILES_DIR, type FileStore } from "./files.js";
