/** The embedded ClawTell-compatible server: build it, run it, administer its names. */
export { buildServer, BODY_LIMIT_BYTES, type ServerDeps } from "./build-server.js";
export type { RateLimit, ServerOptions } from "./context.js";
export { DEFAULT_KEY_RATE_LIMIT, DEFAULT_PUBLIC_RATE_LIMIT, type RedisRateLimitStore } from "./rate-limits.js";
export { startServer, DEFAULT_HOST, DEFAULT_PORT, type RunningServer } from "./start-server.js";
export {
  openEmbeddedStorage,
  openEmbeddedAdminStores,
  openEmbeddedDirectory,
  openSqliteArchive,
  DATABASE_FILE,
  FLUSH_INTERVAL_MS,
  JOURNAL_FILE,
  type AdminStores,
  type AuditEntry,
  type DirectoryStore,
  type EmbeddedStorageOptions,
  type MessageStore,
  type SqliteArchive,
  type Storage,
} from "./store/index.js";
export type { Notifier } from "./notifier.js";
export {
  ADMIN_LIST_CHANGES,
  changeNameList,
  createName,
  deleteNameAsAdmin,
  listNames,
  readAudit,
  rotateNameKey,
  setNameSettings,
  showName,
  type AdminListChange,
  type CreatedName,
  type NameDetails,
  type NameSummary,
  type RotatedKey,
} from "./admin.js";
export {
  decideAsAdmin,
  listApprovals,
  setAccountQuota,
  showAccountQuota,
  type AdminDecision,
  type HeldSummary,
  type QuotaReport,
} from "./admin-approvals.js";
export { RETIRE_AFTER_MS, openSealedAdminStores, retireMasterKey, rotateMasterKey, type AdminKeyOptions, type RetirementReport, type RotationReport } from "./admin-encryption.js";
export { purgeExpired } from "./retention.js";
export { createInvite, listPendingRegistrations, type CreatedInvite, type PendingRegistration } from "./admin-registrations.js";
export { DEFAULT_MAX_NAMES_PER_ACCOUNT } from "./account-rules.js";
export { REGISTRATION_MODES, type RegistrationMode } from "./registration.js";
export { createSmtpTransport, type MailTransport } from "./mailer.js";
export { DEFAULT_SIGNUP_RATE_LIMIT, isLoopbackHost, type SignupOptions } from "./signup.js";
export { openFileStore, FILES_DIR, type FileStore } from "./files.js";
export { openPostgresStorage, MIGRATIONS, type PostgresStorage, type PostgresStorageOptions } from "./store/index.js";
