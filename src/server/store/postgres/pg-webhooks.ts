/**
 * The webhook port on PostgreSQL. Deliveries are inserted by the message statements (pg-messages.ts). A claim locks
 * due rows with `FOR UPDATE SKIP LOCKED` and leases them in the same statement, naming this process: two processes
 * never attempt the same delivery at once, and the lease of a process that died (pg-processes.ts) ends without
 * waiting for its time to run out.
 */

import type { EnqueueSignal } from "../enqueue-signal.js";
import type { ReceiptState } from "../receipt-store.js";
import { heldStatusSql, statusDeliveryIdSql, STATUS_EVENT } from "../status-deliveries.js";
import { DEFAULT_WEBHOOK_EVENTS, type DeliveryStatus, type WebhookDelivery, type WebhookEvent, type WebhookStore } from "../webhook-store.js";
import type { Database } from "./pg-database.js";
import { deadHolderSql, type ProcessLeases } from "./pg-processes.js";

interface DeliveryRow {
  id: string;
  name_id: string;
  name: string;
  event: string;
  message_id: string;
  state: string | null;
  peer: string;
  status: string;
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  finished_at: string | null;
}

const num = (value: string | null): number | null => (value === null ? null : Number(value));

const toDelivery = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  nameId: Number(row.name_id),
  name: row.name,
  event: row.event as WebhookEvent,
  messageId: row.message_id,
  state: row.state as ReceiptState | null,
  peer: row.peer,
  status: row.status as DeliveryStatus,
  attempts: row.attempts,
  createdAt: Number(row.created_at),
  nextAttemptAt: num(row.next_attempt_at),
  lastAttemptAt: num(row.last_attempt_at),
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  finishedAt: num(row.finished_at),
});

const COLUMNS =
  "d.id, d.name_id, d.name, d.event, d.message_id, d.state, d.peer, d.status, d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.finished_at";

/**
 * An INSERT of the `message.status` deliveries of `state` for the rows of `source` (a CTE or subquery aliased `x`
 * with id, sender, recipient and created_at: a message, or a receipt with its first time) whose sender asked for the
 * event; `at` is the SQL of the state's time. Its RETURNING yields a row per delivery queued.
 */
export function statusHookSql(state: ReceiptState, source: string, at: string): string {
  return `INSERT INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at, state)
  SELECT ${statusDeliveryIdSql(state, "x.id")}, n.id, n.name, '${STATUS_EVENT}', x.id, x.recipient, 'pending', 0, ${at}, ${at}, '${state}'
  FROM ${source} x JOIN names n ON n.name = x.sender JOIN webhook_subscriptions s ON s.name_id = n.id
  WHERE n.created_at <= x.created_at AND n.webhook_url IS NOT NULL AND '${STATUS_EVENT}' = ANY(string_to_array(s.events, ','))
  ON CONFLICT (id) DO NOTHING
  RETURNING 1`;
}

export function createPostgresWebhooks(db: Database, processes: ProcessLeases, enqueued: EnqueueSignal): WebhookStore {
  const me = processes.id;
  /** SQL true when the delivery `d` is free to claim at `now` ($2), with this process as $3 and the staleness as $4. */
  const free = `(d.lease_until IS NULL OR d.lease_until <= $2 OR ${deadHolderSql("d", "$3", "$4::float8")})`;
  return {
    async claimDue({ now, limit, leaseUntil }) {
      const rows = await db.query<DeliveryRow>(
        `WITH picked AS (
           SELECT d.id FROM webhook_deliveries d
           WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND ${free} AND NOT ${heldStatusSql("d")}
           ORDER BY d.next_attempt_at, d.id LIMIT $1
           FOR UPDATE OF d SKIP LOCKED
         )
         UPDATE webhook_deliveries d SET lease_until = $5, lease_process = $3
         FROM picked WHERE d.id = picked.id
         RETURNING ${COLUMNS}`,
        [limit, now, me, processes.staleAfterMs, leaseUntil],
      );
      return rows.map(toDelivery).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
    },
    async recordAttempt(id, o) {
      await db.query(
        `UPDATE webhook_deliveries SET status = $2, attempts = attempts + $3::int,
           last_attempt_at = CASE WHEN $3::int = 1 THEN $4 ELSE last_attempt_at END,
           last_status_code = CASE WHEN $3::int = 1 THEN $5 ELSE last_status_code END,
           last_error = $6, next_attempt_at = $7, finished_at = $8, lease_until = NULL, lease_process = NULL
         WHERE id = $1`,
        [
          id,
          o.status,
          o.attempted ? 1 : 0,
          o.at,
          o.statusCode,
          o.error,
          o.status === "pending" ? o.nextAttemptAt : null,
          o.status === "pending" ? null : o.at,
        ],
      );
    },
    async nextDue(now) {
      // A delivery leased by a live process is due again when its lease ends (that process may die mid-attempt).
      const [row] = await db.query<{ next: string | null }>(
        `SELECT min(GREATEST(d.next_attempt_at, COALESCE(d.lease_until, 0))) AS next FROM webhook_deliveries d
         WHERE d.status = 'pending' AND NOT ${heldStatusSql("d")}`,
      );
      const next = num(row?.next ?? null);
      return next === null ? undefined : Math.max(next, now);
    },
    async releaseLeases() {
      await db.query("UPDATE webhook_deliveries SET lease_until = NULL, lease_process = NULL WHERE lease_process = $1 AND status = 'pending'", [me]);
    },
    async list(nameId, limit) {
      const rows = await db.query<DeliveryRow>(
        `SELECT ${COLUMNS} FROM webhook_deliveries d WHERE d.name_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2`,
        [nameId, limit],
      );
      return rows.map(toDelivery);
    },
    async events(nameId) {
      const [row] = await db.query<{ events: string }>("SELECT events FROM webhook_subscriptions WHERE name_id = $1", [nameId]);
      return row === undefined ? [...DEFAULT_WEBHOOK_EVENTS] : row.events === "" ? [] : (row.events.split(",") as WebhookEvent[]);
    },
    async setEvents(nameId, events) {
      await db.query(
        "INSERT INTO webhook_subscriptions (name_id, events) VALUES ($1, $2) ON CONFLICT (name_id) DO UPDATE SET events = EXCLUDED.events",
        [nameId, events.join(",")],
      );
    },
    onEnqueued: (listener) => enqueued.on(listener),
    async purge(before) {
      return (await db.query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < $1 RETURNING 1", [before])).length;
    },
  };
}
