/**
 * The PostgreSQL schema as numbered migrations, applied in order at open (migrate.ts). They live in code, so the
 * bundle carries them. A released migration never changes: a change to the schema is a new, higher version.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "directory and messages",
    sql: `
CREATE TABLE accounts (
  id text PRIMARY KEY,
  email text NOT NULL UNIQUE,
  created_at bigint NOT NULL
);
CREATE TABLE names (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  account_id text NOT NULL REFERENCES accounts(id),
  key_prefix text NOT NULL UNIQUE,
  key_hash text NOT NULL,
  communication_mode text NOT NULL,
  delivery_policy text NOT NULL,
  webhook_url text,
  webhook_secret text,
  created_at bigint NOT NULL
);
CREATE INDEX names_account ON names (account_id, id);
CREATE TABLE list_entries (
  name_id bigint NOT NULL REFERENCES names(id),
  kind text NOT NULL,
  entry text NOT NULL,
  id text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (name_id, kind, entry)
);
-- Leases are columns of the message: a claim sets them on the rows it locked (FOR UPDATE SKIP LOCKED). They are not
-- indexed, and pages keep room, so a lease is a heap-only update.
CREATE TABLE messages (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  recipient_id bigint NOT NULL,
  recipient text NOT NULL,
  sender text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  thread_id text NOT NULL,
  reply_to text,
  auto_reply_eligible boolean NOT NULL,
  created_at bigint NOT NULL,
  read_at bigint,
  acked_at bigint,
  attachments jsonb,
  lease_until bigint,
  lease_process text,
  lease_conn bigint
) WITH (fillfactor = 80);
CREATE INDEX messages_pending ON messages (recipient_id, seq) WHERE acked_at IS NULL;
CREATE INDEX messages_inbox ON messages (recipient_id, seq);
CREATE INDEX messages_acked ON messages (acked_at) WHERE acked_at IS NOT NULL;
CREATE INDEX messages_unacked_created ON messages (created_at) WHERE acked_at IS NULL;
CREATE TABLE files (
  file_id text PRIMARY KEY,
  message_id text NOT NULL,
  recipient_id bigint NOT NULL,
  sender text NOT NULL,
  filename text NOT NULL,
  mime_type text NOT NULL,
  size bigint NOT NULL
);
CREATE INDEX files_message ON files (message_id);
`,
  },
  {
    version: 2,
    name: "server processes, attachment bytes and shared secrets",
    sql: `
-- One row per running server process; a process whose heartbeat is stale is dead, and its leases have ended.
CREATE TABLE server_processes (
  id text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE file_contents (
  file_id text PRIMARY KEY,
  content bytea NOT NULL,
  written_at bigint NOT NULL
);
CREATE INDEX file_contents_written ON file_contents (written_at);
-- Secrets every process of the deployment must share (the signed-link key); the first process to start creates each.
CREATE TABLE server_secrets (
  name text PRIMARY KEY,
  value bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 3,
    name: "the audit log of security actions",
    sql: `
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  action text NOT NULL,
  name text,
  actor text NOT NULL,
  ip text,
  detail text
);
CREATE INDEX audit_log_name ON audit_log (name, id);
`,
  },
  {
    version: 6,
    name: "directory profiles and their search terms",
    sql: `
-- One profile per name, a document of plain-text fields; the directory lists those with listed = true in name order.
-- Names and terms compare by code point (COLLATE "C"), as on SQLite, so both backends order and match alike, and a
-- prefix range on a term can use the index.
CREATE TABLE profiles (
  name_id bigint PRIMARY KEY REFERENCES names(id),
  name text COLLATE "C" NOT NULL,
  fields jsonb NOT NULL,
  visible boolean NOT NULL,
  listed boolean NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX profiles_listed ON profiles (name) WHERE listed;
CREATE TABLE profile_terms (
  kind text NOT NULL,
  term text COLLATE "C" NOT NULL,
  name_id bigint NOT NULL REFERENCES names(id),
  PRIMARY KEY (kind, term, name_id)
);
CREATE INDEX profile_terms_name ON profile_terms (name_id);
`,
  },
];
