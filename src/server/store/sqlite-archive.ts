/**
 * The archive on `node:sqlite`: one file, WAL journal, `synchronous=FULL`. It holds names, keys, lists, files and the
 * message history. Messages in flight reach it in large batches from the message journal (`writeMessages`, see
 * embedded-messages.ts); everything else is written here directly. Its calls are synchronous: the embedded backend
 * wraps them in the asynchronous ports (embedded-directory.ts, embedded-messages.ts). The admin CLI opens only this,
 * beside a server.
 */

import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { ClawTellError } from "../../infra/index.js";
import type { CommunicationMode, DeliveryPolicy } from "../../protocol/index.js";
import type {
  AccountRecord,
  FileRecord,
  ListEntry,
  ListKind,
  MessageCounts,
  MessageRecord,
  NameRecord,
  NameSettings,
  PurgeResult,
  StoredAttachment,
} from "./records.js";
import { nameLimitText, type AuditEntry, type AuditQuery, type DeletedName, type NameFilter, type NameLimits, type NameListing, type NewAuditEntry } from "./directory-store.js";
import { ADDED_COLUMNS, AFTER_ADDED_COLUMNS_SQL, SCHEMA_SQL } from "./sqlite-schema.js";
import { createSqliteIdempotency, type SqliteIdempotency } from "./sqlite-idempotency.js";
import type { SealedChunk } from "./content-sealing.js";
import type { RecordedReceiptState } from "./receipt-store.js";
import { createSqliteReceipts, type SqliteReceipts } from "./sqlite-receipts.js";
import { createSqliteWebhooks, type SqliteWebhooks } from "./sqlite-webhooks.js";

export const DATABASE_FILE = "clawtell.db";
/**
 * WAL pages written before SQLite copies them back into the database file. That checkpoint runs inside whichever commit
 * crosses the mark, and holds up that commit and the event loop. SQLite's default is 1 000 pages; 4 000 (about 16 MB)
 * makes the stall four times rarer, which brought the send → receive p99 of bench (b) from about 8 ms to about 5 ms.
 */
export const WAL_CHECKPOINT_PAGES = 4_000;
/** How long a list (blocklist, allowlist) read for a policy check is reused. */
export const ENTRY_CACHE_TTL_MS = 2_000;

type Row = Record<string, SQLInputValue>;

function toName(row: Row): NameRecord {
  return {
    id: Number(row["id"]),
    name: String(row["name"]),
    accountId: String(row["account_id"]),
    keyPrefix: String(row["key_prefix"]),
    keyHash: String(row["key_hash"]),
    communicationMode: String(row["communication_mode"]) as CommunicationMode,
    deliveryPolicy: String(row["delivery_policy"]) as DeliveryPolicy,
    webhookUrl: row["webhook_url"] === null ? null : String(row["webhook_url"]),
    webhookSecret: row["webhook_secret"] === null ? null : String(row["webhook_secret"]),
    createdAt: Number(row["created_at"]),
  };
}

/** Runs `update(time, ids as a JSON array)` once per distinct time of `stamps` (message id → time). */
function updateByTime(update: StatementSync, stamps: ReadonlyMap<string, number> | undefined): void {
  const byTime = new Map<number, string[]>();
  for (const [id, at] of stamps ?? []) {
    const ids = byTime.get(at);
    if (ids === undefined) byTime.set(at, [id]);
    else ids.push(id);
  }
  for (const [at, ids] of byTime) update.run(at, JSON.stringify(ids));
}

function toMessage(row: Row): MessageRecord {
  return {
    seq: Number(row["seq"]),
    id: String(row["id"]),
    recipientId: Number(row["recipient_id"]),
    recipient: String(row["recipient"]),
    sender: String(row["sender"]),
    subject: String(row["subject"]),
    body: String(row["body"]),
    threadId: String(row["thread_id"]),
    replyTo: row["reply_to"] === null ? null : String(row["reply_to"]),
    autoReplyEligible: Number(row["auto_reply_eligible"]) === 1,
    createdAt: Number(row["created_at"]),
    readAt: row["read_at"] === null ? null : Number(row["read_at"]),
    ackedAt: row["acked_at"] === null ? null : Number(row["acked_at"]),
    deliveredAt: row["delivered_at"] === null || row["delivered_at"] === undefined ? null : Number(row["delivered_at"]),
    attachments: row["attachments"] === null ? [] : (JSON.parse(String(row["attachments"])) as StoredAttachment[]),
  };
}

function toFile(row: Row): FileRecord {
  return {
    fileId: String(row["file_id"]),
    messageId: String(row["message_id"]),
    recipientId: Number(row["recipient_id"]),
    sender: String(row["sender"]),
    filename: String(row["filename"]),
    mimeType: String(row["mime_type"]),
    size: Number(row["size"]),
  };
}

/** An unacked message as the pending index needs it. */
export interface PendingRow {
  readonly id: string;
  readonly recipientId: number;
  readonly seq: number;
  readonly createdAt: number;
}

/** The SQLite archive: what the embedded directory and message stores read and write, synchronously. */
export interface SqliteArchive {
  findAccountByEmail(email: string): AccountRecord | undefined;
  findAccountById(id: string): AccountRecord | undefined;
  /** Stores the account, unless its email has one already; answers the email's stored account either way. */
  insertAccount(account: AccountRecord): AccountRecord;
  /** See DirectoryStore.insertName: the limit's count and the insert are one transaction. */
  insertName(name: Omit<NameRecord, "id">, limits?: NameLimits): NameRecord;
  findNameByName(name: string): NameRecord | undefined;
  findNameByKeyPrefix(prefix: string): NameRecord | undefined;
  listNamesOfAccount(accountId: string): NameRecord[];
  updateNameSettings(nameId: number, settings: NameSettings): NameRecord;

  listEntries(nameId: number, kind: ListKind): ListEntry[];
  hasEntry(nameId: number, kind: ListKind, entry: string): boolean;
  addEntry(nameId: number, kind: ListKind, entry: ListEntry): ListEntry;
  removeEntry(nameId: number, kind: ListKind, entry: string): boolean;

  /**
   * Writes messages (with their state, and their idempotency keys), acks and first-delivery times of archived messages
   * in one transaction, with the webhook deliveries they call for, and the chunks of sealed content the messages refer
   * to; idempotent. Answers how many deliveries it queued.
   */
  writeMessages(
    messages: readonly MessageRecord[],
    acks: ReadonlyMap<string, number>,
    delivered?: ReadonlyMap<string, number>,
    chunks?: readonly SealedChunk[],
  ): number;
  /** The sealed text of a chunk of message content (content-sealing.ts); undefined when no message refers to it. */
  findChunk(id: string): string | undefined;
  /**
   * Records a receipt state (sqlite-receipts.ts) and queues its `message.status` delivery in one transaction: neither
   * is ever stored without the other. Answers how many deliveries it queued.
   */
  recordReceipt(entry: { messageId: string; sender: string; recipient: string; state: RecordedReceiptState; at: number }): number;
  /** Every unacked message, oldest first. */
  listPending(): PendingRow[];
  /** The highest message seq ever given out (also of purged messages); 0 for none. */
  lastSeq(): number;
  findMessage(id: string): MessageRecord | undefined;
  listInbox(recipientId: number, options: { limit: number; offset: number; unreadOnly: boolean }): MessageRecord[];
  markRead(recipientId: number, id: string, now: number): boolean;
  countMessages(recipientId: number): MessageCounts;
  findFile(fileId: string): FileRecord | undefined;
  /**
   * Deletes what retention lets go (see MessageStore.purge), with the file records; answers those files' ids, and how
   * many `message.status` `expired` deliveries it queued.
   */
  purge(ackedBefore: number, createdBefore: number): PurgeResult & { readonly hooks: number };
  close(): void;

  replaceNameKey(nameId: number, keyPrefix: string, keyHash: string): NameRecord;
  deleteName(nameId: number): DeletedName;
  listNames(filter: NameFilter): NameListing[];
  appendAudit(entry: NewAuditEntry): void;
  listAudit(query: AuditQuery): AuditEntry[];
  /**
   * A number that changes whenever another connection (another process on the same data folder) has committed to
   * the database since the last call; this connection's own commits leave it as it is (SQLite's `data_version`).
   */
  dataVersion(): number;
  /** The open database, for the stores of other concerns whose tables live in the same file (sqlite-approvals.ts, …). */
  readonly database: DatabaseSync;

  /** Webhook deliveries and subscriptions, receipts and idempotency keys: tables of this database. */
  readonly webhooks: SqliteWebhooks;
  readonly receipts: SqliteReceipts;
  readonly idempotency: SqliteIdempotency;
}

/** Creates the database file readable by its owner only (messages and key hashes live there), or tightens it. */
function ownerOnly(path: string): void {
  if (path === ":memory:") return;
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
}

export function openSqliteArchive(opts: { dataDir: string } | { path: string }): SqliteArchive {
  let path: string;
  if ("dataDir" in opts) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    path = join(opts.dataDir, DATABASE_FILE);
  } else {
    path = opts.path;
  }
  ownerOnly(path);
  const db = new DatabaseSync(path);
  db.exec(
    `PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES};
     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;`,
  );
  db.exec(SCHEMA_SQL);
  for (const { table, column, definition } of ADDED_COLUMNS) {
    const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).map((r) => String(r["name"]));
    if (columns.includes(column)) continue;
    try {
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    } catch (err) {
      // Another process on the same data folder (the admin CLI beside the server) added it a moment ago.
      if (!(err instanceof Error && /duplicate column name/i.test(err.message))) throw err;
    }
  }
  db.exec(AFTER_ADDED_COLUMNS_SQL);
  // SQLite gives its -wal and -shm files the main file's mode; fix any left from an older, laxer run.
  for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);

  const cache = new Map<string, StatementSync>();
  // Asked once per turn of the event loop (embedded-directory.ts): a row as an array is quicker to make than an object.
  const dataVersionStatement = db.prepare("PRAGMA data_version");
  dataVersionStatement.setReturnArrays(true);
  const stmt = (sql: string): StatementSync => {
    let s = cache.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  /** `name:kind` → that list's entries, for `hasEntry`. */
  const entryCache = new Map<string, { entries: Set<string>; readAt: number }>();
  const transaction = <T>(work: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  };

  const findName = (sql: string, value: SQLInputValue): NameRecord | undefined => {
    const row = stmt(sql).get(value) as Row | undefined;
    return row === undefined ? undefined : toName(row);
  };

  const findAccount = (sql: string, value: string): AccountRecord | undefined => {
    const row = stmt(sql).get(value) as Row | undefined;
    return row === undefined
      ? undefined
      : { id: String(row["id"]), email: String(row["email"]), createdAt: Number(row["created_at"]) };
  };

  /** Deletes the chunks of sealed content no message refers to any more (their messages were purged or deleted). */
  const dropUnusedChunks = (): void => {
    stmt("DELETE FROM message_chunks WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.chunk_id = message_chunks.id)").run();
  };

  const webhooks = createSqliteWebhooks(stmt);
  const receipts = createSqliteReceipts(stmt);
  const idempotency = createSqliteIdempotency(stmt);

  const archive: SqliteArchive = {
    database: db,
    webhooks,
    receipts,
    idempotency,
    findAccountByEmail: (email) => findAccount("SELECT * FROM accounts WHERE email = ?", email),
    findAccountById: (id) => findAccount("SELECT * FROM accounts WHERE id = ?", id),
    insertAccount(account: AccountRecord) {
      // Another process (an admin command beside the server) may have made the email's account a moment ago.
      stmt("INSERT INTO accounts (id, email, created_at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING").run(
        account.id,
        account.email,
        account.createdAt,
      );
      const stored = findAccount("SELECT * FROM accounts WHERE email = ?", account.email);
      if (stored === undefined) throw new ClawTellError("CT_INTERNAL", `the account of ${account.email} was not stored`);
      return stored;
    },
    insertName(name, limits) {
      try {
        return transaction(() => {
          const max = limits?.maxNamesPerAccount;
          if (max !== undefined) {
            const row = stmt(
              `SELECT a.email AS email, (SELECT COUNT(*) FROM names n WHERE n.account_id = a.id AND n.name NOT LIKE '#%') AS owned
               FROM accounts a WHERE a.id = ?`,
            ).get(name.accountId) as Row | undefined;
            const owned = Number(row?.["owned"] ?? 0);
            if (row !== undefined && owned >= max) throw new ClawTellError("CT_FORBIDDEN", nameLimitText(String(row["email"]), owned, max), { field: "email" });
          }
          const result = stmt(
            `INSERT INTO names (name, account_id, key_prefix, key_hash, communication_mode, delivery_policy,
               webhook_url, webhook_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            name.name,
            name.accountId,
            name.keyPrefix,
            name.keyHash,
            name.communicationMode,
            name.deliveryPolicy,
            name.webhookUrl,
            name.webhookSecret,
            name.createdAt,
          );
          return { ...name, id: Number(result.lastInsertRowid) };
        });
      } catch (err) {
        if (err instanceof Error && /UNIQUE constraint failed: names\.name/.test(err.message)) {
          throw new ClawTellError("CT_CONFLICT", `name "${name.name}" is already taken`, { field: "name", cause: err });
        }
        throw err;
      }
    },
    findNameByName: (name) => findName("SELECT * FROM names WHERE name = ?", name),
    findNameByKeyPrefix: (prefix) => findName("SELECT * FROM names WHERE key_prefix = ?", prefix),
    listNamesOfAccount(accountId) {
      return (stmt("SELECT * FROM names WHERE account_id = ? AND name NOT LIKE '#%' ORDER BY id").all(accountId) as Row[]).map(toName);
    },
    updateNameSettings(nameId, settings: NameSettings) {
      const columns: Array<[string, SQLInputValue]> = [];
      if (settings.communicationMode !== undefined) columns.push(["communication_mode", settings.communicationMode]);
      if (settings.deliveryPolicy !== undefined) columns.push(["delivery_policy", settings.deliveryPolicy]);
      if (settings.webhookUrl !== undefined) columns.push(["webhook_url", settings.webhookUrl]);
      if (settings.webhookSecret !== undefined) columns.push(["webhook_secret", settings.webhookSecret]);
      if (columns.length > 0) {
        db.prepare(`UPDATE names SET ${columns.map(([c]) => `${c} = ?`).join(", ")} WHERE id = ?`).run(
          ...columns.map(([, v]) => v),
          nameId,
        );
      }
      const updated = findName("SELECT * FROM names WHERE id = ?", nameId);
      if (updated === undefined) throw new ClawTellError("CT_NOT_FOUND", "name not found");
      return updated;
    },

    writeMessages(messages, acks, delivered, chunks = []) {
      return transaction(() => {
        let hooks = 0;
        const chunkOf = new Map<string, string>();
        const insertChunk = stmt("INSERT OR IGNORE INTO message_chunks (id, sealed) VALUES (?, ?)");
        for (const chunk of chunks) {
          insertChunk.run(chunk.id, chunk.sealed);
          for (const id of chunk.messageIds) chunkOf.set(id, chunk.id);
        }
        // Read in this transaction: a webhook URL set since is seen by the next hand-over, as the enqueue SQL would.
        const { recipientIds, senders } = webhooks.targets();
        const insert = stmt(
          `INSERT OR IGNORE INTO messages (seq, id, recipient_id, recipient, sender, subject, body, thread_id, reply_to,
             auto_reply_eligible, created_at, read_at, acked_at, attachments, delivered_at, chunk_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        const insertFile = stmt(
          `INSERT OR IGNORE INTO files (file_id, message_id, recipient_id, sender, filename, mime_type, size)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const m of messages) {
          const attachments = m.attachments.length === 0 ? null : JSON.stringify(m.attachments);
          const added = insert.run(m.seq, m.id, m.recipientId, m.recipient, m.sender, m.subject, m.body, m.threadId, m.replyTo,
            m.autoReplyEligible ? 1 : 0, m.createdAt, m.readAt, m.ackedAt, attachments, m.deliveredAt ?? null, chunkOf.get(m.id) ?? null);
          for (const file of m.attachments) {
            insertFile.run(file.fileId, m.id, m.recipientId, m.sender, file.filename, file.mimeType, file.size);
          }
          if (m.idempotency !== undefined) idempotency.bind(m.idempotency);
          if (Number(added.changes) === 0) continue;
          if (recipientIds === null || recipientIds.has(m.recipientId)) hooks += webhooks.enqueueReceived(m);
          if (senders !== null && !senders.has(m.sender)) continue;
          hooks += webhooks.enqueueStatus(m.id, "accepted", m.createdAt);
          if (m.deliveredAt !== null && m.deliveredAt !== undefined) hooks += webhooks.enqueueStatus(m.id, "delivered", m.deliveredAt);
          if (m.ackedAt !== null) hooks += webhooks.enqueueAcked(m.id, m.ackedAt) + webhooks.enqueueStatus(m.id, "acked", m.ackedAt);
        }
        // Acks and first deliveries of messages archived before: their sender is not at hand, so any subscriber at all
        // means asking the database.
        const anySender = senders === null || senders.size > 0;
        // First deliveries before acks: a message handed out and acked within one hand-over reports both, in order.
        // A receipt only moves forward: a delivery of a message acked in an earlier hand-over is not recorded.
        if (!anySender) {
          // Nothing to queue: one statement per distinct time (a claim or an ack stamps its whole batch alike).
          updateByTime(stmt("UPDATE messages SET delivered_at = ? WHERE delivered_at IS NULL AND acked_at IS NULL AND id IN (SELECT value FROM json_each(?))"), delivered);
          updateByTime(stmt("UPDATE messages SET acked_at = ? WHERE acked_at IS NULL AND id IN (SELECT value FROM json_each(?))"), acks);
          return hooks;
        }
        const firstDelivery = stmt("UPDATE messages SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL AND acked_at IS NULL");
        for (const [id, at] of delivered ?? []) {
          if (Number(firstDelivery.run(at, id).changes) > 0) hooks += webhooks.enqueueStatus(id, "delivered", at);
        }
        const ack = stmt("UPDATE messages SET acked_at = ? WHERE id = ? AND acked_at IS NULL");
        for (const [id, at] of acks) {
          if (Number(ack.run(at, id).changes) > 0) hooks += webhooks.enqueueAcked(id, at) + webhooks.enqueueStatus(id, "acked", at);
        }
        return hooks;
      });
    },
    recordReceipt(entry) {
      return transaction(() => {
        receipts.record(entry);
        return webhooks.enqueueRecorded(entry.messageId, entry.state);
      });
    },
    listPending() {
      return (stmt("SELECT id, recipient_id, seq, created_at FROM messages WHERE acked_at IS NULL ORDER BY seq").all() as Row[]).map(
        (r) => ({ id: String(r["id"]), recipientId: Number(r["recipient_id"]), seq: Number(r["seq"]), createdAt: Number(r["created_at"]) }),
      );
    },
    lastSeq() {
      const row = stmt("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as Row | undefined;
      return row === undefined ? 0 : Number(row["seq"]);
    },
    findChunk(id) {
      const row = stmt("SELECT sealed FROM message_chunks WHERE id = ?").get(id) as Row | undefined;
      return row === undefined ? undefined : String(row["sealed"]);
    },
    findMessage(id) {
      const row = stmt("SELECT * FROM messages WHERE id = ?").get(id) as Row | undefined;
      return row === undefined ? undefined : toMessage(row);
    },
    listInbox(recipientId, { limit, offset, unreadOnly }) {
      const filter = unreadOnly ? "AND read_at IS NULL AND acked_at IS NULL" : "";
      return (
        db
          .prepare(`SELECT * FROM messages WHERE recipient_id = ? ${filter} ORDER BY seq LIMIT ? OFFSET ?`)
          .all(recipientId, limit, offset) as Row[]
      ).map(toMessage);
    },
    markRead(recipientId, id, now) {
      const result = stmt("UPDATE messages SET read_at = COALESCE(read_at, ?) WHERE id = ? AND recipient_id = ?").run(
        now,
        id,
        recipientId,
      );
      return Number(result.changes) > 0;
    },
    countMessages(recipientId): MessageCounts {
      const row = stmt(
        `SELECT COUNT(*) AS total, SUM(acked_at IS NULL) AS unacked, SUM(read_at IS NULL AND acked_at IS NULL) AS unread
         FROM messages WHERE recipient_id = ?`,
      ).get(recipientId) as Row;
      return { total: Number(row["total"]), unacked: Number(row["unacked"] ?? 0), unread: Number(row["unread"] ?? 0) };
    },

    listEntries(nameId, kind) {
      return (
        stmt("SELECT id, entry, created_at FROM list_entries WHERE name_id = ? AND kind = ? ORDER BY created_at, entry").all(
          nameId,
          kind,
        ) as Row[]
      ).map((r) => ({ id: String(r["id"]), entry: String(r["entry"]), createdAt: Number(r["created_at"]) }));
    },
    hasEntry(nameId, kind, entry) {
      // Asked on every send; a list changes rarely. Changes made here drop the cached copy at once; another process
      // sharing the data folder is seen within ENTRY_CACHE_TTL_MS.
      const key = `${nameId}:${kind}`;
      let cached = entryCache.get(key);
      if (cached === undefined || Date.now() - cached.readAt >= ENTRY_CACHE_TTL_MS) {
        const entries = stmt("SELECT entry FROM list_entries WHERE name_id = ? AND kind = ?").all(nameId, kind) as Row[];
        cached = { entries: new Set(entries.map((r) => String(r["entry"]))), readAt: Date.now() };
        entryCache.set(key, cached);
      }
      return cached.entries.has(entry);
    },
    addEntry(nameId, kind: ListKind, entry: ListEntry) {
      entryCache.delete(`${nameId}:${kind}`);
      stmt("INSERT OR IGNORE INTO list_entries (name_id, kind, entry, id, created_at) VALUES (?, ?, ?, ?, ?)").run(
        nameId,
        kind,
        entry.entry,
        entry.id,
        entry.createdAt,
      );
      const row = stmt("SELECT id, entry, created_at FROM list_entries WHERE name_id = ? AND kind = ? AND entry = ?").get(
        nameId,
        kind,
        entry.entry,
      ) as Row;
      return { id: String(row["id"]), entry: String(row["entry"]), createdAt: Number(row["created_at"]) };
    },
    removeEntry(nameId, kind, entry) {
      entryCache.delete(`${nameId}:${kind}`);
      const result = stmt("DELETE FROM list_entries WHERE name_id = ? AND kind = ? AND entry = ?").run(nameId, kind, entry);
      return Number(result.changes) > 0;
    },

    findFile(fileId) {
      const row = stmt("SELECT * FROM files WHERE file_id = ?").get(fileId) as Row | undefined;
      return row === undefined ? undefined : toFile(row);
    },

    purge(ackedBefore, createdBefore) {
      return transaction(() => {
        const hooks = webhooks.enqueueExpired(createdBefore);
        receipts.keepPurged(ackedBefore, createdBefore);
        const files = stmt(
          `DELETE FROM files WHERE message_id IN (SELECT id FROM messages
             WHERE (acked_at IS NOT NULL AND acked_at < ?) OR (acked_at IS NULL AND created_at < ?)) RETURNING file_id`,
        ).all(ackedBefore, createdBefore) as Row[];
        const acked = stmt("DELETE FROM messages WHERE acked_at IS NOT NULL AND acked_at < ?").run(ackedBefore);
        const expired = stmt("DELETE FROM messages WHERE acked_at IS NULL AND created_at < ?").run(createdBefore);
        dropUnusedChunks();
        return { acked: Number(acked.changes), expired: Number(expired.changes), fileIds: files.map((r) => String(r["file_id"])), hooks };
      });
    },
    close() {
      db.close();
    },

    replaceNameKey(nameId, keyPrefix, keyHash) {
      stmt("UPDATE names SET key_prefix = ?, key_hash = ? WHERE id = ?").run(keyPrefix, keyHash, nameId);
      const updated = findName("SELECT * FROM names WHERE id = ?", nameId);
      if (updated === undefined) throw new ClawTellError("CT_NOT_FOUND", "name not found");
      return updated;
    },
    deleteName(nameId) {
      return transaction(() => {
        const row = stmt("SELECT name FROM names WHERE id = ? AND name NOT LIKE '#%'").get(nameId) as Row | undefined;
        if (row === undefined) throw new ClawTellError("CT_NOT_FOUND", "name not found");
        entryCache.clear();
        const files = stmt("DELETE FROM files WHERE recipient_id = ?").run(nameId);
        const messages = stmt("DELETE FROM messages WHERE recipient_id = ?").run(nameId);
        dropUnusedChunks();
        stmt("DELETE FROM list_entries WHERE name_id = ? OR entry = ?").run(nameId, String(row["name"]));
        stmt("DELETE FROM profile_terms WHERE name_id = ?").run(nameId);
        stmt("DELETE FROM profiles WHERE name_id = ?").run(nameId);
        stmt(
          `UPDATE names SET name = '#deleted:' || id, key_prefix = '#deleted:' || id, key_hash = '!', webhook_url = NULL,
             webhook_secret = NULL WHERE id = ?`,
        ).run(nameId);
        return { messages: Number(messages.changes), files: Number(files.changes) };
      });
    },
    listNames(filter) {
      const where = filter.accountId !== undefined ? "AND n.account_id = ?" : filter.email !== undefined ? "AND a.email = ?" : "";
      const args = filter.accountId !== undefined ? [filter.accountId] : filter.email !== undefined ? [filter.email] : [];
      const rows = stmt(`SELECT n.*, a.email AS email FROM names n JOIN accounts a ON a.id = n.account_id WHERE n.name NOT LIKE '#%' ${where} ORDER BY n.name`).all(
        ...args,
      ) as Row[];
      return rows.map((row) => ({ ...toName(row), email: String(row["email"]) }));
    },
    appendAudit(entry) {
      stmt("INSERT INTO audit_log (at, action, name, actor, ip, detail) VALUES (?, ?, ?, ?, ?, ?)").run(
        entry.at,
        entry.action,
        entry.name,
        entry.actor,
        entry.ip,
        entry.detail,
      );
    },
    listAudit(query) {
      const rows = (
        query.name === undefined
          ? stmt("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?").all(query.limit)
          : stmt("SELECT * FROM audit_log WHERE name = ? ORDER BY id DESC LIMIT ?").all(query.name, query.limit)
      ) as Row[];
      return rows.map((row) => ({
        id: Number(row["id"]),
        at: Number(row["at"]),
        action: String(row["action"]),
        name: row["name"] === null ? null : String(row["name"]),
        actor: String(row["actor"]),
        ip: row["ip"] === null ? null : String(row["ip"]),
        detail: row["detail"] === null ? null : String(row["detail"]),
      }));
    },
    dataVersion() {
      const row = dataVersionStatement.get() as unknown as [number];
      return Number(row[0]);
    },
  };
  return archive;
}
