/**
 * The webhook tables in the SQLite archive (webhook-store.ts): deliveries and each name's chosen events. The archive
 * queues deliveries inside its own transactions (`enqueueReceived`, `enqueueAcked`, from `writeMessages`), so a
 * delivery exists exactly when what it reports is in the archive. Synchronous, like the archive.
 */

import type { SQLInputValue, StatementSync } from "node:sqlite";
import { DEFAULT_WEBHOOK_EVENTS, type AttemptOutcome, type DeliveryStatus, type WebhookDelivery, type WebhookEvent } from "./webhook-store.js";

type Row = Record<string, SQLInputValue>;

export interface SqliteWebhooks {
  /** A `message.received` delivery when the recipient has a webhook URL and that event; answers how many were queued. */
  enqueueReceived(message: { readonly id: string; readonly recipientId: number; readonly sender: string; readonly createdAt: number }): number;
  /** A `message.acked` delivery when the archived message's sender asked for that event; answers how many. */
  enqueueAcked(messageId: string, at: number): number;
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

export function createSqliteWebhooks(stmt: (sql: string) => StatementSync): SqliteWebhooks {
  return {
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
    claimDue(now, limit, leaseUntil) {
      const rows = stmt(
        `UPDATE webhook_deliveries SET lease_until = ? WHERE id IN (
           SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
           ORDER BY next_attempt_at, id LIMIT ?)
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
        `SELECT min(max(next_attempt_at, COALESCE(lease_until, 0))) AS next FROM webhook_deliveries WHERE status = 'pending'`,
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
