/**
 * The approval port on the SQLite file of a data folder (table `approvals`). Written directly, not through the message
 * journal: holds and decisions are rare, and `clawtell admin` records decisions from its own process beside the
 * server. Each call is one statement, so a decision made by the CLI and one made by the server cannot both win.
 */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { statementCache } from "./sqlite-statements.js";
import type { ApprovalRecord, ApprovalState, ApprovalStore } from "./approval-store.js";
import type { StoredAttachment } from "./records.js";

type Row = Record<string, SQLInputValue>;

const text = (value: SQLInputValue | undefined): string | null => (value === null || value === undefined ? null : String(value));
const num = (value: SQLInputValue | undefined): number | null => (value === null || value === undefined ? null : Number(value));

function toRecord(row: Row): ApprovalRecord {
  const attachments = text(row["attachments"]);
  return {
    approvalId: String(row["approval_id"]),
    noticeId: String(row["notice_id"]),
    senderId: Number(row["sender_id"]),
    expiresAt: Number(row["expires_at"]),
    message: {
      id: String(row["message_id"]),
      recipientId: Number(row["recipient_id"]),
      recipient: String(row["recipient"]),
      sender: String(row["sender"]),
      subject: String(row["subject"]),
      body: String(row["body"]),
      threadId: String(row["thread_id"]),
      replyTo: text(row["reply_to"]),
      autoReplyEligible: Number(row["auto_reply_eligible"]) === 1,
      createdAt: Number(row["created_at"]),
      attachments: attachments === null ? [] : (JSON.parse(attachments) as StoredAttachment[]),
    },
    state: String(row["state"]) as ApprovalState,
    decidedAt: num(row["decided_at"]),
    decidedBy: text(row["decided_by"]),
    reason: text(row["reason"]),
    appliedAt: num(row["applied_at"]),
  };
}

export function createSqliteApprovals(db: DatabaseSync): ApprovalStore {
  const stmt = statementCache(db);
  const all = (sql: string, ...params: SQLInputValue[]): ApprovalRecord[] => (stmt(sql).all(...params) as Row[]).map(toRecord);
  return {
    async hold({ approvalId, message: m, senderId, noticeId, expiresAt }) {
      stmt(
        `INSERT INTO approvals (approval_id, message_id, notice_id, recipient_id, recipient, sender_id, sender, subject, body,
           thread_id, reply_to, auto_reply_eligible, created_at, expires_at, attachments, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ).run(
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
        m.autoReplyEligible ? 1 : 0,
        m.createdAt,
        expiresAt,
        m.attachments.length === 0 ? null : JSON.stringify(m.attachments),
      );
    },
    async find(approvalId) {
      const row = stmt("SELECT * FROM approvals WHERE approval_id = ?").get(approvalId) as Row | undefined;
      return row === undefined ? undefined : toRecord(row);
    },
    async listPending(recipientIds, now, limit) {
      if (recipientIds === undefined) {
        return all("SELECT * FROM approvals WHERE state = 'pending' AND expires_at > ? ORDER BY created_at, approval_id LIMIT ?", now, limit);
      }
      if (recipientIds.length === 0) return [];
      return all(
        `SELECT * FROM approvals WHERE state = 'pending' AND expires_at > ? AND recipient_id IN (SELECT value FROM json_each(?))
         ORDER BY created_at, approval_id LIMIT ?`,
        now,
        JSON.stringify(recipientIds),
        limit,
      );
    },
    async countPending(recipientIds, now) {
      if (recipientIds !== undefined && recipientIds.length === 0) return 0;
      const row = (
        recipientIds === undefined
          ? stmt("SELECT count(*) AS n FROM approvals WHERE state = 'pending' AND expires_at > ?").get(now)
          : stmt(
              "SELECT count(*) AS n FROM approvals WHERE state = 'pending' AND expires_at > ? AND recipient_id IN (SELECT value FROM json_each(?))",
            ).get(now, JSON.stringify(recipientIds))
      ) as Row | undefined;
      return Number(row?.["n"] ?? 0);
    },
    async decide(approvalId, { state, at, by, reason }) {
      const [decided] = all(
        `UPDATE approvals SET state = ?, decided_at = ?, decided_by = ?, reason = ?
         WHERE approval_id = ? AND state = 'pending' AND expires_at > ? RETURNING *`,
        state,
        at,
        by,
        reason ?? null,
        approvalId,
        at,
      );
      return decided;
    },
    async expire(now, limit) {
      return all(
        `UPDATE approvals SET state = 'expired', decided_at = ?, decided_by = 'server'
         WHERE approval_id IN (SELECT approval_id FROM approvals WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?)
         RETURNING *`,
        now,
        now,
        limit,
      );
    },
    async claimDecided(now, retryAt, limit) {
      // Asked every second: a read finds nothing to do without starting a write transaction. Only server processes
      // claim, one per data folder, and the read and the write run in one turn of its event loop.
      const due = stmt(
        `SELECT approval_id FROM approvals
         WHERE state <> 'pending' AND applied_at IS NULL AND (retry_at IS NULL OR retry_at <= ?) ORDER BY decided_at LIMIT ?`,
      ).all(now, limit) as Row[];
      if (due.length === 0) return [];
      return all(
        "UPDATE approvals SET retry_at = ? WHERE approval_id IN (SELECT value FROM json_each(?)) RETURNING *",
        retryAt,
        JSON.stringify(due.map((r) => String(r["approval_id"]))),
      ).sort((a, b) => (a.decidedAt ?? 0) - (b.decidedAt ?? 0));
    },
    async markApplied(approvalId, at) {
      stmt("UPDATE approvals SET applied_at = COALESCE(applied_at, ?) WHERE approval_id = ?").run(at, approvalId);
    },
    async purge(decidedBefore) {
      return Number(stmt("DELETE FROM approvals WHERE applied_at IS NOT NULL AND decided_at < ?").run(decidedBefore).changes);
    },
    async holdsFile(fileId) {
      const row = stmt(
        `SELECT 1 FROM approvals, json_each(approvals.attachments) AS f
         WHERE approvals.applied_at IS NULL AND approvals.attachments IS NOT NULL AND json_extract(f.value, '$.fileId') = ? LIMIT 1`,
      ).get(fileId);
      return row !== undefined;
    },
  };
}
