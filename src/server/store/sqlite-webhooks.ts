/**
 * The webhook tables in the SQLite archive (webhook-store.ts): deliveries and each name's chosen events. The archive
 * queues deliveries inside its own transactions (`enqueueReceived`, `enqueueAcked`, `enqueueStatus` from
 * `writeMessages`; `enqueueExpired` from the purge; `enqueueRecorded` with a recorded receipt state), so a delivery
 * exists exactly when what it reports is in the archive. Synchronous, like the archive.
 */

import type { SQLInputValue, StatementSync } from "node:sqlite";
import { UNACKED_RETENTION_MS, RECEIPT_COLUMNS, type ReceiptState, type RecordedReceiptState } from "./receipt-store.js";
import { heldStatusSql, statusDeliveryIdSql, STATUS_EVENT } from "./status-deliveries.js";
import { DEFAULT_WEBHOOK_EVENTS, type AttemptOutcome, type DeliveryStatus, type WebhookDelivery, type WebhookEvent } from "./webhook-store.js";

type Row = Record<string, SQLInputValue>;

/**
 * Who could be queued a delivery, read inside the caller's transaction: the ids of the names with a webhook URL
 * (`message.received` goes to a recipient among them) and the names with a webhook URL and a subscription row (the
 * only senders `message.acked` and `message.status` go to). `null` when there are more than {@link MAX_LISTED_TARGETS}:
 * then every message is asked of the database.
 */
export interface WebhookTargets {
  readonly recipientIds: ReadonlySet<number> | null;
  readonly senders: ReadonlySet<string> | null;
}

/** Above this many names with a webhook URL, a hand-over asks the database per message instead of listing them. */
export const MAX_LISTED_TARGETS = 1_000;

export interface SqliteWebhooks {
  /**
   * The names a hand-over may queue deliveries for (read in its transaction): the enqueue calls below find nothing for
   * any other, so a hand-over skips them (five statements per message in the common case of no webhooks at all).
   */
  targets(): WebhookTargets;
  /** A `message.received` delivery when the recipient has a webhook URL and that event; answers how many were queued. */
  enqueueReceived(message: { readonly id: string; readonly recipientId: number; readonly sender: string; readonly createdAt: number }): number;
  /** A `message.acked` delivery when the archived message's sender asked for that event; answers how many. */
  enqueueAcked(messageId: string, at: number): number;
  /** A `message.status` delivery of the archived message's state, when its sender asked for that event; answers how many. */
  enqueueStatus(messageId: string, state: Exclude<ReceiptState, RecordedReceiptState | "expired">, at: number): number;
  /** `message.status` `expired` deliveries of the unacked messages a purge with this bound deletes; run it first. */
  enqueueExpired(createdBefore: number): number;
  /** A `message.status` delivery of a state recorded in the receipts table (its first time); answers how many. */
  enqueueRecorded(messageId: string, state: RecordedReceiptState): number;
  claimDue(now: number, limit: number, leaseUntil: number): WebhookDelivery[];
  recordAttempt(id: string, outcome: AttemptOutcome): void;
  nextDue(now: number): number | undefined;
  releaseLeases(): void;
  list(nameId: number, limit: number): WebhookDelivery[];
  events(nameId: number): WebhookEvent[];
  setEvents(nameId: number, events: readonly WebhookEvent[]): void;
  purge(before: number): number;
}

const num = (value: SQLInputValue | undefined): number | null => (value === null || value === undefined ? null : Number(value));

function toDelivery(row: Row): WebhookDelivery {
  return {
    id: String(row["id"]),
    nameId: Number(row["name_id"]),
    name: String(row["name"]),
    event: String(row["event"]) as WebhookEvent,
    messageId: String(row["message_id"]),
    state: row["state"] === null || row["state"] === undefined ? null : (String(row["state"]) as ReceiptState),
    peer: String(row["peer"]),
    status: String(row["status"]) as DeliveryStatus,
    attempts: Number(row["attempts"]),
    createdAt: Number(row["created_at"]),
    nextAttemptAt: num(row["next_attempt_at"]),
    lastAttemptAt: num(row["last_attempt_at"]),
    lastStatusCode: num(row["last_status_code"]),
    lastError: row["last_error"] === null || row["last_error"] === undefined ? null : String(row["last_error"]),
    finishedAt: num(row["finished_at"]),
  };
}

/** SQL true when the subscription row `s` (absent: the default) includes `event`. */
export const wantsEvent = (event: WebhookEvent): string =>
  DEFAULT_WEBHOOK_EVENTS.includes(event)
    ? `(s.events IS NULL OR instr(',' || s.events || ',', ',${event},') > 0)`
    : `(s.events IS NOT NULL AND instr(',' || s.events || ',', ',${event},') > 0)`;

/** A message `m` and its sender's name `n` (as it is now) with its subscription `s`. */
const SENT_BY_SUBSCRIBER = "FROM messages m JOIN names n ON n.name = m.sender JOIN webhook_subscriptions s ON s.name_id = n.id";

export function createSqliteWebhooks(stmt: (sql: string) => StatementSync): SqliteWebhooks {
  const listed = <T>(sql: string, column: string, of: (value: SQLInputValue | undefined) => T): ReadonlySet<T> | null => {
    const rows = stmt(sql).all(MAX_LISTED_TARGETS + 1) as Row[];
    return rows.length > MAX_LISTED_TARGETS ? null : new Set(rows.map((row) => of(row[column])));
  };
  return {
    targets() {
      return {
        recipientIds: listed("SELECT id FROM names WHERE webhook_url IS NOT NULL LIMIT ?", "id", Number),
        senders: listed(
          "SELECT n.name FROM names n JOIN webhook_subscriptions s ON s.name_id = n.id WHERE n.webhook_url IS NOT NULL LIMIT ?",
          "name",
          String,
        ),
      };
    },
    enqueueReceived(m) {
      const result = stmt(
        `INSERT OR IGNORE INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at)
         SELECT 'rcv_' || ?, n.id, n.name, 'message.received', ?, ?, 'pending', 0, ?, ?
         FROM names n LEFT JOIN webhook_subscriptions s ON s.name_id = n.id
         WHERE n.id = ? AND n.webhook_url IS NOT NULL AND ${wantsEvent("message.received")}`,
      ).run(m.id, m.id, m.sender, m.createdAt, m.createdAt, m.recipientId);
      return Number(result.changes);
    },
    enqueueAcked(messageId, at) {
      // The sender's name as it was when it sent: a name deleted and taken again since belongs to someone else.
      const result = stmt(
        `INSERT OR IGNORE INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at)
         SELECT 'ack_' || m.id, n.id, n.name, 'message.acked', m.id, m.recipient, 'pending', 0, ?, ?
         FROM messages m JOIN names n ON n.name = m.sender JOIN webhook_subscriptions s ON s.name_id = n.id
         WHERE m.id = ? AND n.created_at <= m.created_at AND n.webhook_url IS NOT NULL AND ${wantsEvent("message.acked")}`,
      ).run(at, at, messageId);
      return Number(result.changes);
    },
    enqueueStatus(messageId, state, at) {
      const result = stmt(
        `INSERT OR IGNORE INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at, state)
         SELECT ${statusDeliveryIdSql(state, "m.id")}, n.id, n.name, '${STATUS_EVENT}', m.id, m.recipient, 'pending', 0, ?, ?, '${state}'
         ${SENT_BY_SUBSCRIBER}
         WHERE m.id = ? AND n.created_at <= m.created_at AND n.webhook_url IS NOT NULL AND ${wantsEvent(STATUS_EVENT)}`,
      ).run(at, at, messageId);
      return Number(result.changes);
    },
    enqueueExpired(createdBefore) {
      const result = stmt(
        `INSERT OR IGNORE INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at, state)
         SELECT ${statusDeliveryIdSql("expired", "m.id")}, n.id, n.name, '${STATUS_EVENT}', m.id, m.recipient, 'pending', 0,
           m.created_at + ${UNACKED_RETENTION_MS}, m.created_at + ${UNACKED_RETENTION_MS}, 'expired'
         ${SENT_BY_SUBSCRIBER}
         WHERE m.acked_at IS NULL AND m.created_at < ? AND n.created_at <= m.created_at AND n.webhook_url IS NOT NULL
           AND ${wantsEvent(STATUS_EVENT)}`,
      ).run(createdBefore);
      return Number(result.changes);
    },
    enqueueRecorded(messageId, state) {
      const column = RECEIPT_COLUMNS[state];
      const result = stmt(
        `INSERT OR IGNORE INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at, state)
         SELECT ${statusDeliveryIdSql(state, "r.message_id")}, n.id, n.name, '${STATUS_EVENT}', r.message_id, r.recipient, 'pending', 0,
           r.${column}, r.${column}, '${state}'
         FROM message_receipts r JOIN names n ON n.name = r.sender JOIN webhook_subscriptions s ON s.name_id = n.id
         WHERE r.message_id = ? AND r.${column} IS NOT NULL AND n.created_at <= r.first_at AND n.webhook_url IS NOT NULL
           AND ${wantsEvent(STATUS_EVENT)}`,
      ).run(messageId);
      return Number(result.changes);
    },
    claimDue(now, limit, leaseUntil) {
      const rows = stmt(
        `UPDATE webhook_deliveries SET lease_until = ? WHERE id IN (
           SELECT d.id FROM webhook_deliveries d
           WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?) AND NOT ${heldStatusSql("d")}
           ORDER BY d.next_attempt_at, d.id LIMIT ?)
         RETURNING *`,
      ).all(leaseUntil, now, now, limit) as Row[];
      return rows.map(toDelivery).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
    },
    recordAttempt(id, o) {
      stmt(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + ?, last_attempt_at = CASE WHEN ? THEN ? ELSE last_attempt_at END,
           last_status_code = CASE WHEN ? THEN ? ELSE last_status_code END, last_error = ?, next_attempt_at = ?, finished_at = ?,
           lease_until = NULL
         WHERE id = ?`,
      ).run(
        o.status,
        o.attempted ? 1 : 0,
        o.attempted ? 1 : 0,
        o.at,
        o.attempted ? 1 : 0,
        o.statusCode,
        o.error,
        o.status === "pending" ? o.nextAttemptAt : null,
        o.status === "pending" ? null : o.at,
        id,
      );
    },
    nextDue(now) {
      const row = stmt(
        `SELECT min(max(d.next_attempt_at, COALESCE(d.lease_until, 0))) AS next FROM webhook_deliveries d
         WHERE d.status = 'pending' AND NOT ${heldStatusSql("d")}`,
      ).get() as Row | undefined;
      const next = num(row?.["next"]);
      return next === null ? undefined : Math.max(next, now);
    },
    releaseLeases() {
      stmt("UPDATE webhook_deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL").run();
    },
    list(nameId, limit) {
      return (stmt("SELECT * FROM webhook_deliveries WHERE name_id = ? ORDER BY created_at DESC, id DESC LIMIT ?").all(nameId, limit) as Row[]).map(
        toDelivery,
      );
    },
    events(nameId) {
      const row = stmt("SELECT events FROM webhook_subscriptions WHERE name_id = ?").get(nameId) as Row | undefined;
      return row === undefined ? [...DEFAULT_WEBHOOK_EVENTS] : parseEvents(String(row["events"]));
    },
    setEvents(nameId, events) {
      stmt("INSERT INTO webhook_subscriptions (name_id, events) VALUES (?, ?) ON CONFLICT (name_id) DO UPDATE SET events = excluded.events").run(
        nameId,
        events.join(","),
      );
    },
    purge(before) {
      return Number(stmt("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < ?").run(before).changes);
    },
  };
}

/** The stored comma-separated events. */
export function parseEvents(text: string): WebhookEvent[] {
  return text === "" ? [] : (text.split(",") as WebhookEvent[]);
}
