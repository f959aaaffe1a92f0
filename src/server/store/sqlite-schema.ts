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
];
