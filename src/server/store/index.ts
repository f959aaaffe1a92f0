/** The server's storage: the directory and message ports, their records, and the embedded and PostgreSQL backends. */
export { nameLimitText, type AuditEntry, type AuditQuery, type DirectoryStore, type NameFilter, type NameLimits, type NameListing, type NewAuditEntry } from "./directory-store.js";
export type { ClaimRequest, InboxQuery, MessageStore, PendingState } from "./message-store.js";
export type { AdminStores, Storage } from "./storage.js";
export type { ApprovalDecision, ApprovalRecord, ApprovalState, ApprovalStore, NewHeldMessage } from "./approval-store.js";
export type { AccountQuota, QuotaStore } from "./quota-store.js";
export type { InviteRecord, RegistrationRecord, RegistrationStore } from "./registration-store.js";
export type { LoginTokenRecord, PurgedSessions, SessionRecord, SessionStore } from "./session-store.js";
export {
  DEFAULT_WEBHOOK_EVENTS,
  DELIVERY_STATUSES,
  WEBHOOK_EVENTS,
  type AttemptOutcome,
  type DeliveryStatus,
  type WebhookDelivery,
  type WebhookEvent,
  type WebhookStore,
} from "./webhook-store.js";
export {
  DAY_MS,
  RECEIPT_RETENTION_MS,
  RECEIPT_STATES,
  UNACKED_RETENTION_MS,
  type ReceiptRecord,
  type ReceiptState,
  type ReceiptStore,
  type RecordedReceiptState,
  type DayCount,
  type SentRecord,
} from "./receipt-store.js";
export { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type IdempotencyStore } from "./idempotency-store.js";
export type * from "./profile-store.js";
export { SEALED_TABLES, type SealedRow, type SealedRowPage, type SealedRowStore, type SealedTable } from "./sealed-rows-store.js";
export type * from "./records.js";
export type { ClientConnection } from "./leases.js";
export { PLAIN_CONTENT, type ChunkLookup, type ContentPair, type ContentSealing, type RowContent, type SealedChunk, type SealedRows } from "./content-sealing.js";
export { openEmbeddedStorage, type EmbeddedStorageOptions } from "./embedded-storage.js";
export { openEmbeddedAdminStores, openEmbeddedDirectory } from "./embedded-directory.js";
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
