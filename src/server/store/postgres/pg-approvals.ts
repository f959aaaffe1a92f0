/**
 * The approval port on PostgreSQL (table `approvals`, migration 5). A decision is one conditional UPDATE, so of two
 * deciders in any processes one wins; claims of decided records skip rows another process has locked.
 */

import type { ApprovalRecord, ApprovalState, ApprovalStore } from "../approval-store.js";
import type { StoredAttachment } from "../records.js";
import type { Database } from "./pg-database.js";

interface ApprovalRow {
  approval_id: string;
  message_id: string;
  notice_id: string;
  recipient_id: string;
  recipient: string;
  sender_id: string;
  sender: string;
  subject: string;
  body: string;
  thread_id: string;
  reply_to: string | null;
  auto_reply_eligible: boolean;
  created_at: string;
  expires_at: string;
  attachments: StoredAttachment[] | null;
  state: string;
  decided_at: string | null;
  decided_by: string | null;
  reason: string | null;
  applied_at: string | null;
}

const num = (value: string | null): number | null => (value === null ? null : Number(value));

const toRecord = (row: ApprovalRow): ApprovalRecord => ({
  approvalId: row.approval_id,
  noticeId: row.notice_id,
  senderId: Number(row.sender_id),
  expiresAt: Number(row.expires_at),
  message: {
    id: row.message_id,
    recipientId: Number(row.recipient_id),
    recipient: row.recipient,
    sender: row.sender,
    subject: row.subject,
    body: row.body,
    threadId: row.thread_id,
    replyTo: row.reply_to,
    autoReplyEligible: row.auto_reply_eligible,
    createdAt: Number(row.created_at),
    attachments: row.attachments ?? [],
  },
  state: row.state as ApprovalState,
  decidedAt: num(row.decided_at),
  decidedBy: row.decided_by,
  reason: row.reason,
  appliedAt: num(row.applied_at),
});

export function createPostgresApprovals(db: Database): ApprovalStore {
  const all = async (sql: string, params: readonly unknown[]): Promise<ApprovalRecord[]> => (await db.query<ApprovalRow>(sql, params)).map(toRecord);
  return {
    async hold({ approvalId, message: m, senderId, noticeId, expiresAt }) {
      await db.query(
        `INSERT INTO approvals (approval_id, message_id, notice_id, recipient_id, recipient, sender_id, sender, subject, body,
           thread_id, reply_to, auto_reply_eligible, created_at, expires_at, attachments, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending')`,
        [
          approvalId,
          m.id,
          noticeId,
          m.recipientId,
          m.recipient,
          senderId,
          m.sender,
          m.subject,
          m.body,
          m.threadId,
          m.replyTo,
          m.autoReplyEligible,
          m.createdAt,
          expiresAt,
          m.attachments.length === 0 ? null : JSON.stringify(m.attachments),
        ],
      );
    },
    async find(approvalId) {
      const [record] = await all("SELECT * FROM approvals WHERE approval_id = $1", [approvalId]);
      return record;
    },
    async listPending(recipientIds, now, limit) {
      if (recipientIds === undefined) {
        return all("SELECT * FROM approvals WHERE state = 'pending' AND expires_at > $1 ORDER BY created_at, approval_id LIMIT $2", [now, limit]);
      }
      if (recipientIds.length === 0) return [];
      return all(
        `SELECT * FROM approvals WHERE state = 'pending' AND expires_at > $1 AND recipient_id = ANY($2::bigint[])
         ORDER BY created_at, approval_id LIMIT $3`,
        [now, recipientIds, limit],
      );
    },
    async countPending(recipientIds, now) {
      if (recipientIds !== undefined && recipientIds.length === 0) return 0;
      // count(*) is a bigint, which the driver answers as a string.
      const [row] =
        recipientIds === undefined
          ? await db.query<{ n: string }>("SELECT count(*) AS n FROM approvals WHERE state = 'pending' AND expires_at > $1", [now])
          : await db.query<{ n: string }>(
              "SELECT count(*) AS n FROM approvals WHERE state = 'pending' AND expires_at > $1 AND recipient_id = ANY($2::bigint[])",
              [now, recipientIds],
            );
      return Number(row?.n ?? 0);
    },
    async decide(approvalId, { state, at, by, reason }) {
      const [decided] = await all(
        `UPDATE approvals SET state = $2, decided_at = $3, decided_by = $4, reason = $5
         WHERE approval_id = $1 AND state = 'pending' AND expires_at > $3 RETURNING *`,
        [approvalId, state, at, by, reason ?? null],
      );
      return decided;
    },
    expire: (now, limit) =>
      all(
        `UPDATE approvals a SET state = 'expired', decided_at = $1, decided_by = 'server'
         FROM (SELECT approval_id FROM approvals WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2
               FOR UPDATE SKIP LOCKED) due
         WHERE a.approval_id = due.approval_id RETURNING a.*`,
        [now, limit],
      ),
    async claimDecided(now, retryAt, limit) {
      const claimed = await all(
        `UPDATE approvals a SET retry_at = $2
         FROM (SELECT approval_id FROM approvals
               WHERE state <> 'pending' AND applied_at IS NULL AND (retry_at IS NULL OR retry_at <= $1)
               ORDER BY decided_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
         WHERE a.approval_id = due.approval_id RETURNING a.*`,
        [now, retryAt, limit],
      );
      return claimed.sort((a, b) => (a.decidedAt ?? 0) - (b.decidedAt ?? 0));
    },
    async markApplied(approvalId, at) {
      await db.query("UPDATE approvals SET applied_at = COALESCE(applied_at, $2) WHERE approval_id = $1", [approvalId, at]);
    },
    async purge(decidedBefore) {
      const rows = await db.query("DELETE FROM approvals WHERE applied_at IS NOT NULL AND decided_at < $1 RETURNING approval_id", [decidedBefore]);
      return rows.length;
    },
    async holdsFile(fileId) {
      const rows = await db.query(
        "SELECT 1 FROM approvals WHERE applied_at IS NULL AND attachments @> jsonb_build_array(jsonb_build_object('fileId', $1::text)) LIMIT 1",
        [fileId],
      );
      return rows.length > 0;
    },
  };
}
