/**
 * The approval queue: a send to a name whose delivery policy is `approval_required`, from a sender that is neither a
 * name of the recipient's account nor on its delivery allowlist, is held (202 `pending_approval`) until the
 * recipient's owner decides. Holding, deciding and the notice a rejected or expired message's sender gets are here;
 * applying decisions is approval-applier.ts. Deciding is shared by the API and `clawtell admin`: it only records the
 * decision (and audits it); a server process delivers.
 */

import { randomBytes } from "node:crypto";
import { ClawTellError, type Clock } from "../infra/index.js";
import { MAX_SUBJECT_CHARS, toFullName } from "../protocol/index.js";
import { recordAudit, type AuditAction } from "./audit.js";
import { newMessageId } from "./message-ids.js";
import type { ApprovalRecord, ApprovalStore, DirectoryStore, NewMessage } from "./store/index.js";

/** How long a held message waits for a decision before it expires (its sender is told). @defaultValue 7 days */
export const APPROVAL_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Longest reason a rejection may give the sender. */
export const MAX_REASON_CHARS = 500;

/** A new approval id: `apr_` and 16 random bytes in base64url. */
export function newApprovalId(): string {
  return `apr_${randomBytes(16).toString("base64url")}`;
}

/** Holds a message for its recipient owner's approval; answers the held record. */
export async function holdForApproval(
  approvals: Pick<ApprovalStore, "hold">,
  message: NewMessage,
  senderId: number,
  ttlMs: number,
): Promise<{ approvalId: string; expiresAt: number }> {
  const held = { approvalId: newApprovalId(), message, senderId, noticeId: newMessageId(), expiresAt: message.createdAt + ttlMs };
  await approvals.hold(held);
  return { approvalId: held.approvalId, expiresAt: held.expiresAt };
}

export interface DecisionRequest {
  readonly approvalId: string;
  readonly decision: "approved" | "rejected";
  /** Who decides: the name whose key was used, or `admin`. */
  readonly actor: string;
  readonly ip?: string | null;
  readonly reason?: string | undefined;
  /** The names whose held messages the decider may decide (a caller's account); any when undefined (the operator). */
  readonly recipientIds?: readonly number[];
}

const AUDIT_ACTIONS: Record<ApprovalRecord["state"], AuditAction | undefined> = {
  pending: undefined,
  approved: "approval.approved",
  rejected: "approval.rejected",
  expired: "approval.expired",
};

/** Records a decision in the audit log, on the recipient name. */
export async function auditDecision(directory: Pick<DirectoryStore, "appendAudit">, clock: Clock, record: ApprovalRecord, ip: string | null = null): Promise<void> {
  const action = AUDIT_ACTIONS[record.state];
  if (action === undefined) return;
  await recordAudit(directory, clock, {
    action,
    name: record.message.recipient,
    actor: record.decidedBy ?? "server",
    ip,
    detail: `${record.approvalId} from ${record.message.sender}`,
  });
}

/**
 * Records the decision on a pending held message. Deciding again as before answers the record (idempotent); deciding
 * otherwise, or too late, is a 409; another account's or an unknown id is a 404, as alike as a missing one.
 */
export async function decideApproval(
  deps: { approvals: ApprovalStore; directory: Pick<DirectoryStore, "appendAudit">; clock: Clock },
  request: DecisionRequest,
): Promise<ApprovalRecord> {
  const { approvals, directory, clock } = deps;
  const { approvalId, decision } = request;
  const notFound = new ClawTellError("CT_NOT_FOUND", `approval ${approvalId} not found`, { field: "id" });
  let record = await approvals.find(approvalId);
  if (record === undefined || (request.recipientIds !== undefined && !request.recipientIds.includes(record.message.recipientId))) throw notFound;
  if (record.state === "pending") {
    const decided = await approvals.decide(approvalId, { state: decision, at: clock.now(), by: request.actor, reason: request.reason ?? null });
    if (decided !== undefined) {
      await auditDecision(directory, clock, decided, request.ip ?? null);
      return decided;
    }
    // Decided meanwhile by someone else, or its time ran out.
    record = (await approvals.find(approvalId)) ?? record;
  }
  if (record.state === decision) return record;
  if (record.state === "pending" || record.state === "expired") {
    throw new ClawTellError("CT_CONFLICT", `approval ${approvalId} expired at ${new Date(record.expiresAt).toISOString()}; the sender was told`, {
      field: "id",
    });
  }
  throw new ClawTellError("CT_CONFLICT", `approval ${approvalId} was already ${record.state}`, { field: "id" });
}

/** A subject with a prefix, cut to the subject limit. */
function prefixed(prefix: string, subject: string): string {
  const full = `${prefix}${subject}`;
  return full.length <= MAX_SUBJECT_CHARS ? full : `${full.slice(0, MAX_SUBJECT_CHARS - 1)}…`;
}

/**
 * The message a rejected or expired held message's sender gets: into the sending name's inbox, from the recipient
 * name, in the same thread, never eligible for an automatic reply.
 */
export function noticeFor(record: ApprovalRecord, now: number): NewMessage {
  const { message } = record;
  const to = toFullName(message.recipient);
  const what = `Your message to ${to} (subject "${message.subject}", sent ${new Date(message.createdAt).toISOString()})`;
  const expired = record.state === "expired";
  const lines = expired
    ? [`${what} was not approved by ${to}'s owner before it expired at ${new Date(record.expiresAt).toISOString()}. It was not delivered.`]
    : [`${what} was not approved by ${to}'s owner. It was not delivered.`];
  if (!expired && record.reason !== null && record.reason !== "") lines.push(`Reason given: ${record.reason}`);
  return {
    id: record.noticeId,
    recipientId: record.senderId,
    recipient: message.sender,
    sender: message.recipient,
    subject: prefixed(expired ? "Not delivered, approval expired: " : "Not delivered, not approved: ", message.subject),
    body: lines.join("\n"),
    threadId: message.threadId,
    replyTo: null,
    autoReplyEligible: false,
    createdAt: now,
    attachments: [],
  };
}
