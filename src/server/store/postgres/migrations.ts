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
    version: 4,
    name: "registrations, invites, login links and dashboard sessions",
    sql: `
-- Sign-ups waiting for their email to be verified; the verification link is kept only while one is pending.
CREATE TABLE registrations (
  id text PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  poll_hash text NOT NULL UNIQUE,
  verify_hash text NOT NULL UNIQUE,
  verify_url text,
  ip text,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  verified_at bigint,
  key_issued_at bigint,
  failure text
);
CREATE INDEX registrations_expires ON registrations (expires_at);
CREATE TABLE invites (
  code_hash text PRIMARY KEY,
  uses_left integer NOT NULL,
  created_at bigint NOT NULL
);
-- Login links and sessions are kept as SHA-256 hashes of their tokens.
CREATE TABLE login_tokens (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX login_tokens_expires ON login_tokens (expires_at);
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  ip text
);
CREATE INDEX sessions_expires ON sessions (expires_at);
`,
  },
  {
    version: 5,
    name: "the approval queue and monthly message quotas",
    sql: `
-- Messages held for the recipient owner's approval, and the decisions on them (approval-store.ts).
CREATE TABLE approvals (
  approval_id text PRIMARY KEY,
  message_id text NOT NULL UNIQUE,
  notice_id text NOT NULL,
  recipient_id bigint NOT NULL,
  recipient text NOT NULL,
  sender_id bigint NOT NULL,
  sender text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  thread_id text NOT NULL,
  reply_to text,
  auto_reply_eligible boolean NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  attachments jsonb,
  state text NOT NULL,
  decided_at bigint,
  decided_by text,
  reason text,
  applied_at bigint,
  retry_at bigint
);
CREATE INDEX approvals_pending ON approvals (recipient_id, created_at) WHERE state = 'pending';
CREATE INDEX approvals_expiry ON approvals (expires_at) WHERE state = 'pending';
CREATE INDEX approvals_unapplied ON approvals (decided_at) WHERE state <> 'pending' AND applied_at IS NULL;
CREATE INDEX approvals_applied ON approvals (decided_at) WHERE applied_at IS NOT NULL;
-- Messages counted per account and calendar month (UTC, YYYY-MM) while a quota applies; the accounts' own quotas.
CREATE TABLE quota_usage (
  account_id text NOT NULL,
  month text NOT NULL,
  used bigint NOT NULL,
  PRIMARY KEY (account_id, month)
);
CREATE TABLE account_quotas (
  account_id text PRIMARY KEY,
  monthly_quota bigint
);
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
  {
    version: 7,
    name: "webhook deliveries, receipts and idempotency keys",
    sql: `
-- When a message was first handed out (a poll, a stream, or a webhook that answered 2xx); not indexed, so setting it
-- in a claim stays a heap-only update.
ALTER TABLE messages ADD COLUMN delivered_at bigint;
-- The outbox of webhooks: a row is inserted in the statement that stores what it reports (a message, an ack).
CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  name_id bigint NOT NULL,
  name text NOT NULL,
  event text NOT NULL,
  message_id text NOT NULL,
  peer text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  next_attempt_at bigint,
  last_attempt_at bigint,
  last_status_code integer,
  last_error text,
  finished_at bigint,
  lease_until bigint,
  lease_process text
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_name ON webhook_deliveries (name_id, created_at);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending';
CREATE TABLE webhook_subscriptions (
  name_id bigint PRIMARY KEY,
  events text NOT NULL
);
-- Receipts of what no stored message shows: refused or held sends, and messages retention deleted.
CREATE TABLE message_receipts (
  message_id text PRIMARY KEY,
  sender text NOT NULL,
  recipient text NOT NULL,
  first_at bigint NOT NULL,
  pending_approval_at bigint,
  rejected_at bigint,
  blocked_at bigint,
  accepted_at bigint,
  delivered_at bigint,
  acked_at bigint,
  purged boolean NOT NULL DEFAULT false
);
CREATE INDEX message_receipts_first ON message_receipts (first_at);
-- An Idempotency-Key per account: the unique key lets one of two concurrent sends with it store a message.
CREATE TABLE idempotency_keys (
  account_id text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  message_id text,
  status_code integer NOT NULL,
  response text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
`,
  },
  {
    version: 8,
    name: "a notification for every change of a name row",
    sql: `
-- Server processes keep names by key prefix in memory and forget them when told (pg-key-records.ts). NOTIFY is
-- transactional: listeners hear it once the change is committed, never for a change rolled back.
CREATE FUNCTION clawtell_names_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('clawtell_names', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER names_changed AFTER UPDATE OR DELETE ON names FOR EACH STATEMENT EXECUTE FUNCTION clawtell_names_changed();
`,
  },
  {
    version: 10,
    name: "attachment bytes in chunks",
    sql: `
-- A file written as a stream is kept in rows of at most 1 MiB (pg-files.ts), so neither the server nor the database
-- holds a whole file in one value; its file_contents row has an empty content then. Files written before stay in one
-- row and read as before. A file is readable once complete: a write cut off midway is never served, and its rows go
-- with the sweep of files no message holds. Deleting the file_contents row deletes its chunks.
ALTER TABLE file_contents ADD COLUMN complete boolean NOT NULL DEFAULT true;
CREATE TABLE file_chunks (
  file_id text NOT NULL REFERENCES file_contents(file_id) ON DELETE CASCADE,
  seq integer NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (file_id, seq)
);
`,
  },
  {
    version: 11,
    name: "message.status webhook deliveries",
    sql: `
-- The receipt state a message.status delivery reports (status-deliveries.ts); null for the other events.
ALTER TABLE webhook_deliveries ADD COLUMN state text;
-- A state is held while an earlier state of the same message is pending: the claim looks them up by message.
CREATE INDEX webhook_deliveries_status_pending ON webhook_deliveries (message_id) WHERE status = 'pending' AND event = 'message.status';
`,
  },
  {
    version: 12,
    name: "outbox and activity reads",
    sql: `
-- A name's outbox (its sent messages with their receipts) and the dashboard's messages per day per name read these by
-- sender and recipient (pg-receipts.ts).
CREATE INDEX messages_sender ON messages (sender, created_at);
CREATE INDEX message_receipts_sender ON message_receipts (sender, first_at);
CREATE INDEX message_receipts_recipient ON message_receipts (recipient, first_at);
`,
  },
  {
    version: 13,
    name: "one index of a recipient's messages for the unacked, one for the acked",
    sql: `
-- A claim or a pending count reads one recipient's unacked messages in seq order; the connections keep one plan for
-- each, often made while the table is empty, when every index that could serve looks as cheap as the next. Only
-- messages_pending can serve them now: a recipient's history is indexed by acked messages only (a listing reads both
-- indexes in seq order, merged), and the age of unacked messages, for retention (its "created_at < …" implies the
-- second condition), by a condition the claim does not state. Before, a plan made on an empty table could read every
-- message the recipient ever had (messages_inbox), or every unacked message of every name and sort them
-- (messages_unacked_created), at every claim. A send now writes one index entry fewer.
DROP INDEX messages_inbox;
CREATE INDEX messages_history ON messages (recipient_id, seq) WHERE acked_at IS NOT NULL;
DROP INDEX messages_unacked_created;
CREATE INDEX messages_unacked_age ON messages (created_at) WHERE acked_at IS NULL AND created_at IS NOT NULL;
`,
  },
];
