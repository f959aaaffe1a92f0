/**
 * The tables a migration copies, in order, and how a row of each compares between the data folder (SQLite) and
 * PostgreSQL: every value is brought to one canonical text form, so that the same row reads the same on both sides.
 */

import { createHash } from "node:crypto";

export type ColumnType = "text" | "bigint" | "boolean" | "jsonb";

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
}

export type TableName =
  | "accounts"
  | "names"
  | "list_entries"
  | "messages"
  | "files"
  | "profiles"
  | "profile_terms"
  | "audit_log"
  | "approvals"
  | "quota_usage"
  | "account_quotas"
  | "registrations"
  | "invites"
  | "sessions"
  | "webhook_subscriptions"
  | "webhook_deliveries"
  | "message_receipts"
  | "idempotency_keys";

export interface TableSpec {
  readonly name: TableName;
  readonly columns: readonly Column[];
  /** The primary key: rows are matched on it. */
  readonly key: readonly string[];
  /** Other columns unique on their own: a target row holding one of the source's values must be that source row. */
  readonly unique: readonly string[];
  /** `FROM … [WHERE …]` of the SQLite selection; may use the named parameters of `Selection`. */
  readonly sourceFrom: string;
  /**
   * Columns that only move forward while a server runs on the folder: a mark or a receipt's time is set once, from
   * null, and a flag once set stays. A target row that differs from the folder's only in these is the folder's row
   * copied by an earlier run (interrupted, or made by a version that left a column out): a run brings it up to date,
   * and the later value of the two sides is kept, never a conflict.
   */
  readonly forward?: readonly string[];
  /**
   * A running server rewrites or deletes this table's rows (retention, expiry, decisions, counts going down, settings).
   * A run that resumes into a target an earlier run filled from this folder takes the folder as the truth for it: rows
   * that changed are overwritten (forward columns still keep the later value), rows the folder no longer has are
   * removed. A first run, or a table without this flag, still refuses a target whose rows are not the folder's.
   */
  readonly live?: boolean;
}

/** What the target side of a table needs: its name, columns and key (file_contents is matched by file id alone). */
export interface KeyedTable {
  readonly name: string;
  readonly columns: readonly Column[];
  readonly key: readonly string[];
}

/** Which messages travel: the unacked ones retention still keeps, and those acked within the acked retention window. */
export interface Selection {
  readonly ackedSince: number;
  readonly unackedSince: number;
}

const col = (name: string, type: ColumnType = "text"): Column => ({ name, type });

const SELECTED_MESSAGES = "(acked_at IS NULL AND created_at >= $unackedSince) OR (acked_at IS NOT NULL AND acked_at >= $ackedSince)";

export const TABLES: readonly TableSpec[] = [
  {
    name: "accounts",
    columns: [col("id"), col("email"), col("created_at", "bigint")],
    key: ["id"],
    unique: ["email"],
    sourceFrom: "FROM accounts",
  },
  {
    name: "names",
    live: true,
    columns: [
      col("id", "bigint"),
      col("name"),
      col("account_id"),
      col("key_prefix"),
      col("key_hash"),
      col("communication_mode"),
      col("delivery_policy"),
      col("webhook_url"),
      col("webhook_secret"),
      col("created_at", "bigint"),
    ],
    key: ["id"],
    unique: ["name", "key_prefix"],
    sourceFrom: "FROM names",
  },
  {
    name: "list_entries",
    live: true,
    columns: [col("name_id", "bigint"), col("kind"), col("entry"), col("id"), col("created_at", "bigint")],
    key: ["name_id", "kind", "entry"],
    unique: [],
    sourceFrom: "FROM list_entries",
  },
  {
    name: "messages",
    live: true,
    columns: [
      col("seq", "bigint"),
      col("id"),
      col("recipient_id", "bigint"),
      col("recipient"),
      col("sender"),
      col("subject"),
      col("body"),
      col("thread_id"),
      col("reply_to"),
      col("auto_reply_eligible", "boolean"),
      col("created_at", "bigint"),
      col("read_at", "bigint"),
      col("acked_at", "bigint"),
      col("attachments", "jsonb"),
      col("delivered_at", "bigint"),
    ],
    key: ["seq"],
    unique: ["id"],
    forward: ["read_at", "acked_at", "delivered_at"],
    sourceFrom: `FROM messages WHERE ${SELECTED_MESSAGES}`,
  },
  {
    name: "files",
    live: true,
    columns: [
      col("file_id"),
      col("message_id"),
      col("recipient_id", "bigint"),
      col("sender"),
      col("filename"),
      col("mime_type"),
      col("size", "bigint"),
    ],
    key: ["file_id"],
    unique: [],
    sourceFrom: `FROM files WHERE message_id IN (SELECT id FROM messages WHERE ${SELECTED_MESSAGES})`,
  },
  {
    name: "profiles",
    live: true,
    columns: [col("name_id", "bigint"), col("name"), col("fields", "jsonb"), col("visible", "boolean"), col("listed", "boolean"), col("updated_at", "bigint")],
    key: ["name_id"],
    unique: [],
    sourceFrom: "FROM profiles",
  },
  {
    name: "profile_terms",
    live: true,
    columns: [col("kind"), col("term"), col("name_id", "bigint")],
    key: ["kind", "term", "name_id"],
    unique: [],
    sourceFrom: "FROM profile_terms",
  },
  {
    name: "audit_log",
    columns: [col("id", "bigint"), col("at", "bigint"), col("action"), col("name"), col("actor"), col("ip"), col("detail")],
    key: ["id"],
    unique: [],
    sourceFrom: "FROM audit_log",
  },
  {
    // Held messages and the decisions on them, applied or not (retention purges the applied ones as a server would).
    name: "approvals",
    live: true,
    columns: [
      col("approval_id"),
      col("message_id"),
      col("notice_id"),
      col("recipient_id", "bigint"),
      col("recipient"),
      col("sender_id", "bigint"),
      col("sender"),
      col("subject"),
      col("body"),
      col("thread_id"),
      col("reply_to"),
      col("auto_reply_eligible", "boolean"),
      col("created_at", "bigint"),
      col("expires_at", "bigint"),
      col("attachments", "jsonb"),
      col("state"),
      col("decided_at", "bigint"),
      col("decided_by"),
      col("reason"),
      col("applied_at", "bigint"),
      col("retry_at", "bigint"),
    ],
    key: ["approval_id"],
    unique: ["message_id"],
    sourceFrom: "FROM approvals",
  },
  {
    name: "quota_usage",
    live: true,
    columns: [col("account_id"), col("month"), col("used", "bigint")],
    key: ["account_id", "month"],
    unique: [],
    sourceFrom: "FROM quota_usage",
  },
  {
    name: "account_quotas",
    live: true,
    columns: [col("account_id"), col("monthly_quota", "bigint")],
    key: ["account_id"],
    unique: [],
    sourceFrom: "FROM account_quotas",
  },
  {
    name: "registrations",
    live: true,
    columns: [
      col("id"),
      col("name"),
      col("email"),
      col("poll_hash"),
      col("verify_hash"),
      col("verify_url"),
      col("ip"),
      col("created_at", "bigint"),
      col("expires_at", "bigint"),
      col("verified_at", "bigint"),
      col("key_issued_at", "bigint"),
      col("failure"),
    ],
    key: ["id"],
    unique: ["poll_hash", "verify_hash"],
    sourceFrom: "FROM registrations",
  },
  {
    name: "invites",
    live: true,
    columns: [col("code_hash"), col("uses_left", "bigint"), col("created_at", "bigint")],
    key: ["code_hash"],
    unique: [],
    sourceFrom: "FROM invites",
  },
  {
    // Dashboard sessions (30 days): their users stay signed in. Login links (15 minutes, single use) are not copied.
    name: "sessions",
    live: true,
    columns: [col("token_hash"), col("account_id"), col("created_at", "bigint"), col("expires_at", "bigint"), col("ip")],
    key: ["token_hash"],
    unique: [],
    sourceFrom: "FROM sessions",
  },
  {
    name: "webhook_subscriptions",
    live: true,
    columns: [col("name_id", "bigint"), col("events")],
    key: ["name_id"],
    unique: [],
    sourceFrom: "FROM webhook_subscriptions",
  },
  {
    // The delivery log and the deliveries still pending (retried by the new server); a lease of the stopped server
    // is not copied.
    name: "webhook_deliveries",
    live: true,
    columns: [
      col("id"),
      col("name_id", "bigint"),
      col("name"),
      col("event"),
      col("message_id"),
      col("peer"),
      col("status"),
      col("attempts", "bigint"),
      col("created_at", "bigint"),
      col("next_attempt_at", "bigint"),
      col("last_attempt_at", "bigint"),
      col("last_status_code", "bigint"),
      col("last_error"),
      col("finished_at", "bigint"),
      col("state"),
    ],
    key: ["id"],
    unique: [],
    sourceFrom: "FROM webhook_deliveries",
  },
  {
    name: "message_receipts",
    live: true,
    columns: [
      col("message_id"),
      col("sender"),
      col("recipient"),
      col("first_at", "bigint"),
      col("pending_approval_at", "bigint"),
      col("rejected_at", "bigint"),
      col("blocked_at", "bigint"),
      col("accepted_at", "bigint"),
      col("delivered_at", "bigint"),
      col("acked_at", "bigint"),
      col("purged", "boolean"),
    ],
    key: ["message_id"],
    unique: [],
    forward: ["pending_approval_at", "rejected_at", "blocked_at", "accepted_at", "delivered_at", "acked_at", "purged"],
    sourceFrom: "FROM message_receipts",
  },
  {
    // Idempotency-Keys (24 hours): a client retrying a send across the move gets its first answer, not a second message.
    name: "idempotency_keys",
    live: true,
    columns: [
      col("account_id"),
      col("key"),
      col("fingerprint"),
      col("message_id"),
      col("status_code", "bigint"),
      col("response"),
      col("created_at", "bigint"),
    ],
    key: ["account_id", "key"],
    unique: [],
    sourceFrom: "FROM idempotency_keys",
  },
];

/** The tables with a serial counter, and its column: moved past the copied values after the copy. */
export const SERIAL_COLUMNS = [
  { table: "names", column: "id" },
  { table: "messages", column: "seq" },
  { table: "audit_log", column: "id" },
] as const;

export type SerialTable = (typeof SERIAL_COLUMNS)[number]["table"];

/** A row in canonical form: one text (or null) per column, in the spec's column order. */
export type CanonicalRow = ReadonlyArray<string | null>;

/** JSON with object keys sorted, so that jsonb's reordering does not count as a difference. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function canonicalValue(type: ColumnType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "boolean":
      return value === true || value === 1 || value === 1n ? "true" : "false";
    case "jsonb":
      return canonicalJson(typeof value === "string" ? (JSON.parse(value) as unknown) : value);
    case "bigint":
    case "text":
      return String(value as string | number | bigint);
  }
}

export function canonicalRow(spec: KeyedTable, row: Readonly<Record<string, unknown>>): CanonicalRow {
  return spec.columns.map((c) => canonicalValue(c.type, row[c.name]));
}

/** The later of two canonical values of a forward column: a value over none, the greater time, a set flag. */
function laterOf(type: ColumnType, a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  if (type === "boolean") return a === "true" || b === "true" ? "true" : "false";
  return BigInt(a) >= BigInt(b) ? a : b;
}

/** The columns, but the spec's forward ones, in which the rows differ (names only: some values are secrets). */
export function differingColumns(spec: TableSpec, a: CanonicalRow, b: CanonicalRow): string[] {
  const forward = spec.forward ?? [];
  return spec.columns.filter((c, i) => !forward.includes(c.name) && a[i] !== b[i]).map((c) => c.name);
}

/** The folder's row as a run leaves it in the target: each forward column at the later value of the two sides. */
export function mergeForward(spec: TableSpec, ours: CanonicalRow, theirs: CanonicalRow | undefined): CanonicalRow {
  const forward = spec.forward ?? [];
  if (theirs === undefined || forward.length === 0) return ours;
  return spec.columns.map((c, i) => (forward.includes(c.name) ? laterOf(c.type, ours[i] ?? null, theirs[i] ?? null) : (ours[i] ?? null)));
}

export const sameRow = (a: CanonicalRow, b: CanonicalRow): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** The table of a spec cut down to its key columns: the rows `targetKeyPage` reads. */
export function keyColumnsOf(spec: KeyedTable): KeyedTable {
  return { name: spec.name, key: spec.key, columns: spec.key.map((k) => spec.columns.find((c) => c.name === k) ?? col(k)) };
}

/** The key of a canonical row, as one string. */
export function keyOf(spec: KeyedTable, row: CanonicalRow): string {
  return JSON.stringify(spec.key.map((k) => row[spec.columns.findIndex((c) => c.name === k)] ?? null));
}

/** `id=5 (name="alice")`: a row named for an error message, by key and unique values (no secrets among them). */
export function describeRow(spec: TableSpec, row: CanonicalRow): string {
  const value = (name: string): string => JSON.stringify(row[spec.columns.findIndex((c) => c.name === name)] ?? null);
  const key = spec.key.map((k) => `${k}=${value(k)}`).join(", ");
  const unique = spec.unique.map((u) => `${u}=${value(u)}`).join(", ");
  return unique === "" ? key : `${key} (${unique})`;
}

/**
 * A checksum of a set of rows that does not depend on their order: the sum of the rows' SHA-256 digests, modulo
 * 2^256. Both sides read rows in their own order; equal sets give equal sums.
 */
export class RowChecksum {
  private sum = 0n;
  count = 0;
  add(row: CanonicalRow): void {
    this.sum = (this.sum + BigInt(`0x${createHash("sha256").update(JSON.stringify(row)).digest("hex")}`)) & ((1n << 256n) - 1n);
    this.count++;
  }
  get hex(): string {
    return this.sum.toString(16).padStart(64, "0");
  }
}
