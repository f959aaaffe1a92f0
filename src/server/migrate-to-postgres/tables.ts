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

export type TableName = "accounts" | "names" | "list_entries" | "messages" | "files" | "profiles" | "profile_terms";

export interface TableSpec {
  readonly name: TableName;
  readonly columns: readonly Column[];
  /** The primary key: rows are matched on it. */
  readonly key: readonly string[];
  /** Other columns unique on their own: a target row holding one of the source's values must be that source row. */
  readonly unique: readonly string[];
  /** `FROM … [WHERE …]` of the SQLite selection; may use the named parameters of `Selection`. */
  readonly sourceFrom: string;
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
    columns: [col("name_id", "bigint"), col("kind"), col("entry"), col("id"), col("created_at", "bigint")],
    key: ["name_id", "kind", "entry"],
    unique: [],
    sourceFrom: "FROM list_entries",
  },
  {
    name: "messages",
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
    ],
    key: ["seq"],
    unique: ["id"],
    sourceFrom: `FROM messages WHERE ${SELECTED_MESSAGES}`,
  },
  {
    name: "files",
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
    columns: [col("name_id", "bigint"), col("name"), col("fields", "jsonb"), col("visible", "boolean"), col("listed", "boolean"), col("updated_at", "bigint")],
    key: ["name_id"],
    unique: [],
    sourceFrom: "FROM profiles",
  },
  {
    name: "profile_terms",
    columns: [col("kind"), col("term"), col("name_id", "bigint")],
    key: ["kind", "term", "name_id"],
    unique: [],
    sourceFrom: "FROM profile_terms",
  },
];

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

export function canonicalRow(spec: TableSpec, row: Readonly<Record<string, unknown>>): CanonicalRow {
  return spec.columns.map((c) => canonicalValue(c.type, row[c.name]));
}

/** The key of a canonical row, as one string. */
export function keyOf(spec: TableSpec, row: CanonicalRow): string {
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
