/** The SQLite schema of the embedded server, created on open (idempotent). */

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS names (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  key_prefix TEXT NOT NULL UNIQUE,
  key_hash TEXT NOT NULL,
  communication_mode TEXT NOT NULL,
  delivery_policy TEXT NOT NULL,
  webhook_url TEXT,
  webhook_secret TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS names_account ON names(account_id);
-- The few names with a webhook URL, listed by each hand-over of messages to the archive (sqlite-webhooks.ts).
CREATE INDEX IF NOT EXISTS names_webhook ON names(id) WHERE webhook_url IS NOT NULL;
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  recipient_id INTEGER NOT NULL REFERENCES names(id),
  recipient TEXT NOT NULL,
  sender TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  reply_to TEXT,
  auto_reply_eligible INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  read_at INTEGER,
  acked_at INTEGER,
  attachments TEXT
);
CREATE INDEX IF NOT EXISTS messages_pending ON messages(recipient_id, seq) WHERE acked_at IS NULL;
CREATE INDEX IF NOT EXISTS messages_inbox ON messages(recipient_id, seq);
CREATE INDEX IF NOT EXISTS messages_acked ON messages(acked_at) WHERE acked_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_sender ON messages(sender, created_at);
-- Content of many messages sealed together (encryption at rest, crypto/content-sealing.ts); a message refers to its
-- chunk by chunk_id (an added column), and a chunk goes when no message refers to it any more.
CREATE TABLE IF NOT EXISTS message_chunks (
  id TEXT PRIMARY KEY,
  sealed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
  file_id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  recipient_id INTEGER NOT NULL,
  sender TEXT NOT NULL,
  filename TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS files_message ON files(message_id);
CREATE TABLE IF NOT EXISTS list_entries (
  name_id INTEGER NOT NULL REFERENCES names(id),
  kind TEXT NOT NULL,
  entry TEXT NOT NULL,
  id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (name_id, kind, entry)
);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  name TEXT,
  actor TEXT NOT NULL,
  ip TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_name ON audit_log(name, id);
CREATE TABLE IF NOT EXISTS approvals (
  approval_id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  notice_id TEXT NOT NULL,
  recipient_id INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  sender_id INTEGER NOT NULL,
  sender TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  reply_to TEXT,
  auto_reply_eligible INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attachments TEXT,
  state TEXT NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  reason TEXT,
  applied_at INTEGER,
  retry_at INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_pending ON approvals(recipient_id, created_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approvals_expiry ON approvals(expires_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approvals_unapplied ON approvals(decided_at) WHERE state <> 'pending' AND applied_at IS NULL;
CREATE INDEX IF NOT EXISTS approvals_applied ON approvals(decided_at) WHERE applied_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS quota_usage (
  account_id TEXT NOT NULL,
  month TEXT NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (account_id, month)
);
CREATE TABLE IF NOT EXISTS account_quotas (
  account_id TEXT PRIMARY KEY,
  monthly_quota INTEGER
);
CREATE TABLE IF NOT EXISTS registrations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  poll_hash TEXT NOT NULL UNIQUE,
  verify_hash TEXT NOT NULL UNIQUE,
  verify_url TEXT,
  ip TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  verified_at INTEGER,
  key_issued_at INTEGER,
  failure TEXT
);
CREATE INDEX IF NOT EXISTS registrations_expires ON registrations(expires_at);
CREATE TABLE IF NOT EXISTS invites (
  code_hash TEXT PRIMARY KEY,
  uses_left INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS login_tokens (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_tokens_expires ON login_tokens(expires_at);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ip TEXT
);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY,
  name_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  event TEXT NOT NULL,
  message_id TEXT NOT NULL,
  peer TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  last_attempt_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  finished_at INTEGER,
  lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_name ON webhook_deliveries(name_id, created_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_finished ON webhook_deliveries(finished_at) WHERE status <> 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_status_pending ON webhook_deliveries(message_id)
  WHERE status = 'pending' AND event = 'message.status';
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
  name_id INTEGER PRIMARY KEY,
  events TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS message_receipts (
  message_id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  pending_approval_at INTEGER,
  rejected_at INTEGER,
  blocked_at INTEGER,
  accepted_at INTEGER,
  delivered_at INTEGER,
  acked_at INTEGER,
  purged INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS message_receipts_first ON message_receipts(first_at);
CREATE INDEX IF NOT EXISTS message_receipts_sender ON message_receipts(sender, first_at);
CREATE INDEX IF NOT EXISTS message_receipts_recipient ON message_receipts(recipient, first_at);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  account_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  message_id TEXT,
  status_code INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys(created_at);
CREATE TABLE IF NOT EXISTS profiles (
  name_id INTEGER PRIMARY KEY REFERENCES names(id),
  name TEXT NOT NULL,
  fields TEXT NOT NULL,
  visible INTEGER NOT NULL,
  listed INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS profiles_listed ON profiles(name) WHERE listed = 1;
CREATE TABLE IF NOT EXISTS profile_terms (
  kind TEXT NOT NULL,
  term TEXT NOT NULL,
  name_id INTEGER NOT NULL REFERENCES names(id),
  PRIMARY KEY (kind, term, name_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS profile_terms_name ON profile_terms(name_id);
`;

/** Columns added after their table was first released: added on open to a database that lacks them. */
export const ADDED_COLUMNS: ReadonlyArray<{ table: string; column: string; definition: string }> = [
  { table: "messages", column: "attachments", definition: "TEXT" },
  { table: "messages", column: "delivered_at", definition: "INTEGER" },
  // The receipt state a `message.status` delivery reports (status-deliveries.ts); null for the other events.
  { table: "webhook_deliveries", column: "state", definition: "TEXT" },
  // The chunk holding the message's sealed content, when it shares one (message_chunks).
  { table: "messages", column: "chunk_id", definition: "TEXT" },
];

/** What needs the added columns: run on open after they are there. */
export const AFTER_ADDED_COLUMNS_SQL = `
CREATE INDEX IF NOT EXISTS messages_chunk ON messages(chunk_id) WHERE chunk_id IS NOT NULL;
`;
