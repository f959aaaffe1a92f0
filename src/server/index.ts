/** The embedded ClawTell-compatible server: build it, run it, administer its names. */
export { buildServer, BODY_LIMIT_BYTES, type ServerDeps } from "./build-server.js";
export type { RateLimit, ServerOptions } from "./context.js";
export { DEFAULT_KEY_RATE_LIMIT, DEFAULT_PUBLIC_RATE_LIMIT, type RedisRateLimitStore } from "./rate-limits.js";
export { startServer, DEFAULT_HOST, DEFAULT_PORT, type RunningServer } from "./start-server.js";
export {
  openEmbeddedStorage,
  openEmbeddedDirectory,
  openSqliteArchive,
  DATABASE_FILE,
  FLUSH_INTERVAL_MS,
  JOURNAL_FILE,
  type EmbeddedStorageOptions,
  type MessageStore,
  type SqliteArchive,
  type Storage,
} from "./store/index.js";
export type { Notifier } from "./notifier.js";
export * from "./administration.js";
export { purgeExpired } from "./retention.js";
export { DEFAULT_MAX_NAMES_PER_ACCOUNT } from "./account-rules.js";
export { REGISTRATION_MODES, type RegistrationMode } from "./registration.js";
export { createSmtpTransport, type MailTransport } from "./mailer.js";
export { DEFAULT_SIGNUP_RATE_LIMIT, isLoopbackHost, type SignupOptions } from "./signup.js";
export { openFileStore, FILES_DIR, type FileStore } from "./files.js";
export { MIGRATIONS, type PostgresStorage, type PostgresStorageOptions } from "./store/index.js";
