/** The server's storage: the directory and message ports, their records, and the embedded and PostgreSQL backends. */
export type { AuditEntry, AuditQuery, DirectoryStore, NameFilter, NameListing, NewAuditEntry } from "./directory-store.js";
export type { ClaimRequest, InboxQuery, MessageStore } from "./message-store.js";
export type { Storage } from "./storage.js";
export type * from "./profile-store.js";
export type * from "./records.js";
export type { ClientConnection } from "./leases.js";
export { openEmbeddedStorage, type EmbeddedStorageOptions } from "./embedded-storage.js";
export { openEmbeddedDirectory } from "./embedded-directory.js";
export { FLUSH_INTERVAL_MS } from "./embedded-messages.js";
export { JOURNAL_FILE } from "./message-journal.js";
export { openSqliteArchive, DATABASE_FILE, type SqliteArchive } from "./sqlite-archive.js";
export {
  openPostgresStorage,
  MIGRATIONS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_STALE_MS,
  type PostgresStorage,
  type PostgresStorageOptions,
} from "./postgres/index.js";
