/**
 * The message port on PostgreSQL, for any number of server processes on one database.
 *
 * - Sends are grouped (insert-batcher.ts) into one multi-row INSERT with their file records; `seq` comes from the
 *   table's sequence, so per recipient the order is the order of commit.
 * - Acks are grouped the same way (one UPDATE for the acks of several calls), each answered once its group commits.
 * - A claim locks the oldest claimable rows with `FOR UPDATE SKIP LOCKED` and leases them in the same statement: two
 *   claims, in one process or two, never take the same row. It commits asynchronously (a lease is not worth a WAL
 *   flush: lost in a database crash, the message is handed out again). A row is claimable when it is unacked and its lease is
 *   missing, has run out (`lease_until <= now`), or belongs to a dead process (pg-processes.ts).
 * - A claim that hands out fewer than asked reads in the same statement what it leaves behind (the unacked messages,
 *   the earliest live lease end), so the wait after it asks nothing more; when its snapshot showed a claimable row it
 *   did not take (locked by another transaction), it tells nothing, and the waiter asks `pendingState` as before.
 * - `releaseLeases` ends the leases of this process's closed connections and, with `afterSeq`, every lease after it.
 *   Those of dead processes a claim passes over, and the heartbeat clears (pg-processes.ts).
 */

import type { EnqueueSignal } from "../enqueue-signal.js";
import { IDEMPOTENCY_TTL_MS } from "../idempotency-store.js";
import type { MessageStore } from "../message-store.js";
import type { AckedMessage, FileRecord, MessageRecord, NewMessage, StoredAttachment } from "../records.js";
import { createInsertBatcher } from "./insert-batcher.js";
import type { Database } from "./pg-database.js";
import { deadHolderSql, type ProcessLeases } from "./pg-processes.js";
import { statusHookSql } from "./pg-webhooks.js";
import { UNACKED_RETENTION_MS } from "../receipt-store.js";

interface MessageRow {
  seq: string;
  id: string;
  recipient_id: string;
  recipient: string;
  sender: string;
  subject: string;
  body: string;
  thread_id: string;
  reply_to: string | null;
  auto_reply_eligible: boolean;
  created_at: string;
  read_at: string | null;
  acked_at: string | null;
  attachments: StoredAttachment[] | null;
  delivered_at: string | null;
}

const MESSAGE_COLUMNS =
  "m.seq, m.id, m.recipient_id, m.recipient, m.sender, m.subject, m.body, m.thread_id, m.reply_to, m.auto_reply_eligible, m.created_at, m.read_at, m.acked_at, m.attachments, m.delivered_at";

const toMessage = (row: MessageRow): MessageRecord => ({
  seq: Number(row.seq),
  id: row.id,
  recipientId: Number(row.recipient_id),
  recipient: row.recipient,
  sender: row.sender,
  subject: row.subject,
  body: row.body,
  threadId: row.thread_id,
  replyTo: row.reply_to,
  autoReplyEligible: row.auto_reply_eligible,
  createdAt: Number(row.created_at),
  readAt: row.read_at === null ? null : Number(row.read_at),
  ackedAt: row.acked_at === null ? null : Number(row.acked_at),
  attachments: row.attachments ?? [],
  deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
});

/** What PENDING_SQL answers: counts of the unacked rows and of those claimable, and the earliest live lease's end. */
interface PendingRow {
  unacked: string;
  claimable: string;
  next: string | null;
}

/** A claim's row: a claimed message (its columns null in the one row of a claim that took none) and PENDING_SQL's. */
type ClaimRow = { [K in keyof MessageRow]: MessageRow[K] | null } & { first: boolean | null; hooks: number } & PendingRow;

const isMessage = (row: ClaimRow): row is ClaimRow & MessageRow => row.seq !== null;

/**
 * One pass over the recipients' ($1) unacked messages at `now` ($2): how many there are, how many are claimable (no
 * lease, an ended one, or one of a dead process: `dead`), and when the earliest live lease ends. `when` gates the
 * pass (a condition without a column: PostgreSQL skips the scan when it is false, and the counts are then 0).
 *
 * The statements below look each recipient up on its own (`unnest … CROSS JOIN LATERAL`), and a message by its id,
 * so that a plan kept for a prepared statement (pg-database.ts) reads one recipient's rows through the index that
 * begins with it, whatever the table held when the plan was made. With `recipient_id = ANY($1)` a plan made while
 * the table was small walked every message in seq order, filtering, once the table had grown.
 */
const PENDING_SQL = (dead: string, when: string): string => `
  SELECT coalesce(sum(c.unacked), 0) AS unacked, coalesce(sum(c.claimable), 0) AS claimable, min(c.next) AS next
  FROM unnest($1::bigint[]) AS r(id) CROSS JOIN LATERAL (
    SELECT count(*) AS unacked, count(*) FILTER (WHERE s.claimable) AS claimable, min(s.lease_until) FILTER (WHERE NOT s.claimable) AS next
    FROM (SELECT m.lease_until, (m.lease_until IS NULL OR m.lease_until <= $2 OR ${dead}) AS claimable
          FROM messages m WHERE m.recipient_id = r.id AND m.acked_at IS NULL AND ${when}) s
  ) c`;

const bySeq = (a: MessageRecord, b: MessageRecord): number => a.seq - b.seq;

/** The claim's statement (`claim` below says what it does); `dead` is deadHolderSql's condition. */
const claimStatement = (dead: string): string =>
  `WITH picked AS (
    SELECT c.seq, c.first FROM unnest($1::bigint[]) AS r(id) CROSS JOIN LATERAL (
      SELECT m.seq, m.delivered_at IS NULL AS first FROM messages m
      WHERE m.recipient_id = r.id AND m.acked_at IS NULL
        AND (m.lease_until IS NULL OR m.lease_until <= $2 OR ${dead})
      ORDER BY m.seq LIMIT $3
      FOR UPDATE OF m SKIP LOCKED
    ) c
    ORDER BY c.seq LIMIT $3
  ), claimed AS (
    UPDATE messages m SET lease_until = $4, lease_process = $me, lease_conn = $5, delivered_at = COALESCE(m.delivered_at, $2)
    FROM picked WHERE m.seq = picked.seq
    RETURNING ${MESSAGE_COLUMNS}, picked.first
  ), status_hooked AS (
    ${statusHookSql("delivered", "(SELECT * FROM claimed WHERE first)", "$2::bigint")}
  ), async_commit AS (
    SELECT set_config('synchronous_commit', 'off', true)
  ), pending AS (
    ${PENDING_SQL(dead, "$6::boolean AND (SELECT count(*) FROM picked) < $3")}
  )
  SELECT claimed.*, (SELECT count(*) FROM status_hooked)::int AS hooks, pending.unacked, pending.claimable, pending.next
  FROM pending CROSS JOIN async_commit LEFT JOIN claimed ON true`;

/**
 * One statement: the Idempotency-Keys of the sends that carry one (a key a live record holds is not taken, and its
 * message is not stored: the unique key decides between two processes), the messages in their order (each takes the
 * next seq), their file records, the `message.received` webhook deliveries their recipients want and the `accepted`
 * `message.status` deliveries their senders asked for. Answers how many deliveries it queued.
 */
const INSERT_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::boolean[], $10::bigint[], $11::jsonb[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::text[])
    WITH ORDINALITY AS t(id, recipient_id, recipient, sender, subject, body, thread_id, reply_to, auto_reply_eligible, created_at, attachments,
      key_account, key_name, key_fingerprint, key_status, key_response, ord)
), bound AS (
  INSERT INTO idempotency_keys (account_id, key, fingerprint, message_id, status_code, response, created_at)
  SELECT key_account, key_name, key_fingerprint, id, key_status, key_response, created_at FROM input WHERE key_name IS NOT NULL
  ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, message_id = EXCLUDED.message_id,
    status_code = EXCLUDED.status_code, response = EXCLUDED.response, created_at = EXCLUDED.created_at
  WHERE idempotency_keys.created_at <= EXCLUDED.created_at - $17::bigint
  RETURNING message_id
), inserted AS (
  INSERT INTO messages (id, recipient_id, recipient, sender, subject, body, thread_id, reply_to, auto_reply_eligible, created_at, attachments)
  SELECT id, recipient_id, recipient, sender, subject, body, thread_id, reply_to, auto_reply_eligible, created_at, attachments
  FROM input WHERE key_name IS NULL OR id IN (SELECT message_id FROM bound) ORDER BY ord
  ON CONFLICT (id) DO NOTHING
  RETURNING id, recipient_id, recipient, sender, attachments, created_at
), filed AS (
  INSERT INTO files (file_id, message_id, recipient_id, sender, filename, mime_type, size)
  SELECT f->>'fileId', i.id, i.recipient_id, i.sender, f->>'filename', f->>'mimeType', (f->>'size')::bigint
  FROM inserted i CROSS JOIN LATERAL jsonb_array_elements(COALESCE(i.attachments, '[]'::jsonb)) AS f
  ON CONFLICT (file_id) DO NOTHING
), hooked AS (
  INSERT INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at)
  SELECT 'rcv_' || i.id, n.id, n.name, 'message.received', i.id, i.sender, 'pending', 0, i.created_at, i.created_at
  FROM inserted i JOIN names n ON n.id = i.recipient_id LEFT JOIN webhook_subscriptions s ON s.name_id = n.id
  WHERE n.webhook_url IS NOT NULL AND (s.events IS NULL OR 'message.received' = ANY(string_to_array(s.events, ',')))
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
), status_hooked AS (
  ${statusHookSql("accepted", "inserted", "x.created_at")}
)
SELECT (SELECT count(*) FROM hooked)::int + (SELECT count(*) FROM status_hooked)::int AS hooks`;

/**
 * The acks of one group: each (message id, recipient id, time) of every call that asked, each message looked up by
 * its id alone (the unique index) and updated by its seq (the primary key): `IS NOT DISTINCT FROM NULL` is
 * `IS NULL` in a form no partial index answers, so that no plan reads every unacked message instead. Those acked now,
 * and those acked before (`found` sees the rows as they were before this statement); with the `message.acked` and
 * `acked` message.status webhook deliveries their senders asked for (a sender name deleted and taken again since
 * belongs to someone else).
 */
const ACK_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(id, recipient_id, at)
), found AS (
  SELECT f.id, f.recipient_id, f.seq, f.acked_at, i.at FROM input i CROSS JOIN LATERAL (
    SELECT m.id, m.recipient_id, m.seq, m.acked_at FROM messages m WHERE m.id = i.id LIMIT 1
  ) f
  WHERE f.recipient_id = i.recipient_id
), acked AS (
  UPDATE messages m SET acked_at = f.at, lease_until = NULL, lease_process = NULL, lease_conn = NULL
  FROM found f WHERE m.seq = f.seq AND m.acked_at IS NOT DISTINCT FROM NULL
  RETURNING m.id, m.recipient_id, m.seq, m.sender, m.recipient, m.created_at, m.acked_at
), hooked AS (
  INSERT INTO webhook_deliveries (id, name_id, name, event, message_id, peer, status, attempts, created_at, next_attempt_at)
  SELECT 'ack_' || a.id, n.id, n.name, 'message.acked', a.id, a.recipient, 'pending', 0, a.acked_at, a.acked_at
  FROM acked a JOIN names n ON n.name = a.sender JOIN webhook_subscriptions s ON s.name_id = n.id
  WHERE n.created_at <= a.created_at AND n.webhook_url IS NOT NULL AND 'message.acked' = ANY(string_to_array(s.events, ','))
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
), status_hooked AS (
  ${statusHookSql("acked", "acked", "x.acked_at")}
)
SELECT id, recipient_id, seq, (SELECT count(*) FROM hooked)::int + (SELECT count(*) FROM status_hooked)::int AS hooks FROM acked
UNION ALL
SELECT DISTINCT id, recipient_id, seq, 0 FROM found WHERE acked_at IS NOT NULL`;

/** Ack groups written at once: one, as for sends (insert-batcher.ts tells why). */
const ACK_CONCURRENCY = 1;

interface AckCall {
  readonly recipientIds: readonly number[];
  readonly ids: readonly string[];
  readonly now: number;
  /** Set once its group is written. */
  acked: AckedMessage[];
}

export interface PostgresMessagesOptions {
  /** Sends written at once, each on its own connection; later ones gather into groups. @defaultValue 1 */
  readonly insertConcurrency?: number;
  /** Fired when a send or an ack queued webhook deliveries. */
  readonly enqueued?: EnqueueSignal;
}

export interface PostgresMessageStore extends MessageStore {
  /** Resolves once every send and ack under way has been written (or has failed). */
  drain(): Promise<void>;
  /** Every unacked message of every name (the queue-depth metric, asked once per scrape). */
  countUnacked(): Promise<number>;
}

export function createPostgresMessages(db: Database, processes: ProcessLeases, opts: PostgresMessagesOptions = {}): PostgresMessageStore {
  const me = processes.id;
  const dead = deadHolderSql("m", "$me", "$stale");
  /** The statement with the placeholders $me and $stale numbered after its own `count`: `holder` are their values. */
  const withHolder = (sql: string, count: number): string => sql.replaceAll("$me", `$${count + 1}`).replaceAll("$stale", `$${count + 2}::float8`);
  const holder = [me, processes.staleAfterMs];
  // Each text is made once: it is also the key of its prepared statement (pg-database.ts).
  const claimSql = withHolder(claimStatement(dead), 6);
  const pendingSql = withHolder(PENDING_SQL(dead, "true"), 2);

  const queued = (hooks: number | undefined): void => {
    if (hooks !== undefined && hooks > 0) opts.enqueued?.fire();
  };

  const batcher = createInsertBatcher<NewMessage>(async (messages) => {
    const [row] = await db.query<{ hooks: number }>(INSERT_SQL, [
      messages.map((m) => m.id),
      messages.map((m) => m.recipientId),
      messages.map((m) => m.recipient),
      messages.map((m) => m.sender),
      messages.map((m) => m.subject),
      messages.map((m) => m.body),
      messages.map((m) => m.threadId),
      messages.map((m) => m.replyTo),
      messages.map((m) => m.autoReplyEligible),
      messages.map((m) => m.createdAt),
      messages.map((m) => (m.attachments.length === 0 ? null : JSON.stringify(m.attachments))),
      messages.map((m) => m.idempotency?.accountId ?? null),
      messages.map((m) => m.idempotency?.key ?? null),
      messages.map((m) => m.idempotency?.fingerprint ?? null),
      messages.map((m) => m.idempotency?.statusCode ?? null),
      messages.map((m) => m.idempotency?.response ?? null),
      IDEMPOTENCY_TTL_MS,
    ]);
    queued(row?.hooks);
  }, opts.insertConcurrency);

  // Acks gather into groups as sends do (one statement, one commit for the acks that arrive while others are under
  // way): a stream's client acks each message, and one transaction per message held a connection and a WAL flush
  // each, up to the whole pool, so that sends and claims waited for a connection behind them.
  const acks = createInsertBatcher<AckCall>(async (calls) => {
    const pairs = calls.flatMap((c) => c.ids.flatMap((id) => c.recipientIds.map((recipientId) => ({ id, recipientId, at: c.now }))));
    const rows = await db.query<{ id: string; recipient_id: string; seq: string; hooks: number }>(ACK_SQL, [
      pairs.map((p) => p.id),
      pairs.map((p) => p.recipientId),
      pairs.map((p) => p.at),
    ]);
    queued(rows.reduce((sum, r) => sum + r.hooks, 0));
    for (const call of calls) {
      const mine = new Set(call.recipientIds);
      const byId = new Map(
        rows.filter((r) => mine.has(Number(r.recipient_id))).map((r): [string, AckedMessage] => [r.id, { id: r.id, recipientId: Number(r.recipient_id), seq: Number(r.seq) }]),
      );
      call.acked = call.ids.flatMap((id) => byId.get(id) ?? []);
    }
  }, ACK_CONCURRENCY);


  return {
    insert: (messages) => batcher.add(messages),
    drain: async () => {
      await Promise.all([batcher.drain(), acks.drain()]);
    },

    async claim(recipientIds, { limit, now, leaseUntil, connection, leftBehind }) {
      if (recipientIds.length === 0 || limit <= 0) return [];
      processes.forget(now);
      const serial = connection === undefined ? null : processes.serialOf(connection);
      // A first hand-out queues the `delivered` message.status deliveries the senders asked for. The claim commits
      // without waiting for its WAL flush (synchronous_commit off for this transaction alone): what a database crash
      // could take back is a lease, a first-delivery time and the `delivered` deliveries that go with it, and then the
      // message is simply handed out again (at least once, as when a lease ends) and they are recorded again. No send
      // or ack is answered on it.
      // Each recipient's oldest claimable rows are locked, up to the limit for each, and the oldest of them all are
      // taken: with several recipients the others stay locked until the statement commits (a concurrent claim skips
      // them, as it skips any row another claim holds), and count as claimable rows left behind.
      // Asked (`leftBehind`), a claim that hands out fewer than asked also reads what it leaves behind (PENDING_SQL),
      // so that a wait after it needs no statement of its own. Its rows: each claimed message with those columns, or
      // one row without a message when it claims none.
      const wanted = leftBehind !== undefined;
      const rows = await db.query<ClaimRow>(claimSql, [recipientIds, now, limit, leaseUntil, serial, wanted, ...holder]);
      const claimed = rows.filter(isMessage);
      const state = rows[0];
      queued(state?.hooks);
      if (connection !== undefined && claimed.length > 0) {
        processes.leased(connection, leaseUntil, [...new Set(claimed.map((r) => Number(r.recipient_id)))]);
      }
      // Every row the statement's snapshot showed claimable was handed out: none was skipped as locked by another
      // transaction (a claim whose lease the snapshot does not show yet, a release, an ack) nor left for a later claim.
      // Otherwise `pendingState`, asked afterwards, sees what the snapshot could not.
      if (wanted && state !== undefined && claimed.length < limit && Number(state.claimable) === claimed.length) {
        const before = state.next === null ? undefined : Number(state.next);
        const nextLeaseEnd = claimed.length === 0 ? before : Math.min(before ?? leaseUntil, leaseUntil);
        leftBehind({ unacked: Number(state.unacked) > 0, nextLeaseEnd });
      }
      return claimed.map(toMessage).sort(bySeq);
    },

    async releaseLeases(recipientIds, afterSeq) {
      // Dead processes' leases need nothing here: claims pass over them, and the heartbeat clears them.
      const mark = processes.leaseMark();
      const ended = processes.endedSerials(recipientIds);
      if (recipientIds.length === 0 || (ended.length === 0 && afterSeq === undefined)) return;
      await db.query(
        `UPDATE messages m SET lease_until = NULL, lease_process = NULL, lease_conn = NULL
         WHERE m.recipient_id = ANY($1::bigint[]) AND m.acked_at IS NULL AND m.lease_until IS NOT NULL
           AND ((m.lease_process = $2 AND m.lease_conn = ANY($3::bigint[])) OR m.seq > $4)`,
        [recipientIds, me, ended, afterSeq ?? null],
      );
      processes.released(ended, recipientIds, mark);
    },

    async pendingState(recipientIds, now) {
      if (recipientIds.length === 0) return { unacked: false, nextLeaseEnd: undefined };
      const [row] = await db.query<PendingRow>(pendingSql, [recipientIds, now, ...holder]);
      const next = row?.next ?? null;
      return { unacked: Number(row?.unacked ?? 0) > 0, nextLeaseEnd: next === null ? undefined : Number(next) };
    },

    async listUnacked(recipientIds, limit, excludeSeqs) {
      if (recipientIds.length === 0 || limit <= 0) return [];
      const rows = await db.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m
         WHERE m.recipient_id = ANY($1::bigint[]) AND m.acked_at IS NULL AND NOT (m.seq = ANY($2::bigint[]))
         ORDER BY m.seq LIMIT $3`,
        [recipientIds, [...(excludeSeqs ?? [])], limit],
      );
      return rows.map(toMessage);
    },

    async find(id) {
      const [row] = await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1`, [id]);
      return row === undefined ? undefined : toMessage(row);
    },

    async ack(recipientIds, ids, now) {
      if (recipientIds.length === 0 || ids.length === 0) return [];
      const call: AckCall = { recipientIds, ids: [...new Set(ids)], now, acked: [] };
      await acks.add([call]);
      return call.acked;
    },

    async listInbox(recipientId, { limit, offset, unreadOnly }) {
      // A recipient's unacked messages and acked ones are in two indexes (messages_pending, messages_history): all of
      // them is the two read in seq order and merged.
      const rows = await db.query<MessageRow>(
        unreadOnly
          ? `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.recipient_id = $1 AND m.acked_at IS NULL AND m.read_at IS NULL ORDER BY m.seq LIMIT $2 OFFSET $3`
          : `SELECT * FROM (
               SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.recipient_id = $1 AND m.acked_at IS NULL
               UNION ALL
               SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.recipient_id = $1 AND m.acked_at IS NOT NULL
             ) m ORDER BY m.seq LIMIT $2 OFFSET $3`,
        [recipientId, limit, offset],
      );
      return rows.map(toMessage);
    },

    async markRead(recipientId, id, now) {
      const rows = await db.query("UPDATE messages SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND recipient_id = $3 RETURNING seq", [
        now,
        id,
        recipientId,
      ]);
      return rows.length > 0;
    },

    async countUnacked() {
      const [row] = await db.query<{ n: string }>("SELECT count(*) AS n FROM messages WHERE acked_at IS NULL");
      return Number(row?.n ?? 0);
    },

    async count(recipientId) {
      const [row] = await db.query<{ total: string; unacked: string; unread: string }>(
        `SELECT u.unacked + (SELECT count(*) FROM messages WHERE recipient_id = $1 AND acked_at IS NOT NULL) AS total, u.unacked, u.unread
         FROM (SELECT count(*) AS unacked, count(*) FILTER (WHERE read_at IS NULL) AS unread
               FROM messages WHERE recipient_id = $1 AND acked_at IS NULL) u`,
        [recipientId],
      );
      return { total: Number(row?.total ?? 0), unacked: Number(row?.unacked ?? 0), unread: Number(row?.unread ?? 0) };
    },

    async findFile(fileId) {
      const [row] = await db.query<{
        file_id: string;
        message_id: string;
        recipient_id: string;
        sender: string;
        filename: string;
        mime_type: string;
        size: string;
      }>("SELECT * FROM files WHERE file_id = $1", [fileId]);
      if (row === undefined) return undefined;
      const file: FileRecord = {
        fileId: row.file_id,
        messageId: row.message_id,
        recipientId: Number(row.recipient_id),
        sender: row.sender,
        filename: row.filename,
        mimeType: row.mime_type,
        size: Number(row.size),
      };
      return file;
    },

    async purge(ackedBefore, createdBefore) {
      const result = await db.transaction(async (client) => {
        // The senders that asked hear of the unacked ones' expiry; their receipts outlive them (receipt-store.ts).
        const hooked = await client.query(
          `WITH expiring AS (SELECT id, sender, recipient, created_at FROM messages WHERE acked_at IS NULL AND created_at < $1)
           ${statusHookSql("expired", "expiring", `x.created_at + ${UNACKED_RETENTION_MS}`)}`,
          [createdBefore],
        );
        await client.query(
          `INSERT INTO message_receipts (message_id, sender, recipient, first_at, accepted_at, delivered_at, acked_at, purged)
           SELECT id, sender, recipient, created_at, created_at, delivered_at, acked_at, true FROM messages
           WHERE (acked_at IS NOT NULL AND acked_at < $1) OR (acked_at IS NULL AND created_at < $2)
           ON CONFLICT (message_id) DO UPDATE SET accepted_at = EXCLUDED.accepted_at, delivered_at = EXCLUDED.delivered_at,
             acked_at = EXCLUDED.acked_at, purged = true`,
          [ackedBefore, createdBefore],
        );
        const files = await client.query<{ file_id: string }>(
          `DELETE FROM files WHERE message_id IN (SELECT id FROM messages
             WHERE (acked_at IS NOT NULL AND acked_at < $1) OR (acked_at IS NULL AND created_at < $2)) RETURNING file_id`,
          [ackedBefore, createdBefore],
        );
        const acked = await client.query("DELETE FROM messages WHERE acked_at IS NOT NULL AND acked_at < $1", [ackedBefore]);
        const expired = await client.query("DELETE FROM messages WHERE acked_at IS NULL AND created_at < $1", [createdBefore]);
        return { acked: acked.rowCount ?? 0, expired: expired.rowCount ?? 0, fileIds: files.rows.map((r) => r.file_id), hooks: hooked.rowCount ?? 0 };
      });
      const { hooks, ...purged } = result;
      queued(hooks);
      return purged;
    },
  };
}
