/**
 * `/api/approvals`: the messages held for the caller's account's approval (names with delivery policy
 * `approval_required`), and the owner's decisions on them. Another account's id answers 404, like an unknown one.
 */

import { z } from "zod";
import { ApprovalDecisionResponseSchema, ApprovalListResponseSchema, toFullName, type HeldMessage } from "../../protocol/index.js";
import { decideApproval, MAX_REASON_CHARS } from "../approvals.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import type { ApprovalRecord } from "../store/index.js";

/** The 202 answer of a send that waits for approval: what the SDKs read (`status`), and where it waits. */
export const SendHeldResponseSchema = z.object({
  success: z.literal(true),
  status: z.literal("pending_approval"),
  approvalId: z.string(),
  /** The id the message will have once approved; its receipt (`GET /api/messages/{id}/status`) is readable at once. */
  receiptId: z.string(),
  to: z.string(),
  sentAt: z.string(),
  expiresAt: z.string(),
});

const ListQuerySchema = z.object({
  limit: z
    .union([z.string(), z.number()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return 50;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 500) {
        ctx.addIssue({ code: "custom", message: "must be a whole number from 1 to 500" });
        return z.NEVER;
      }
      return n;
    }),
});
const IdParamsSchema = z.object({ id: z.string().min(1).max(200) });
const RejectBodySchema = z.object({ reason: z.string().max(MAX_REASON_CHARS, `must be at most ${MAX_REASON_CHARS} characters`).optional() }).strict();

const iso = (ms: number): string => new Date(ms).toISOString();

function toWireHeld(record: ApprovalRecord): HeldMessage {
  const { message } = record;
  return {
    approvalId: record.approvalId,
    from: toFullName(message.sender),
    to_name: message.recipient,
    subject: message.subject,
    body: message.body,
    threadId: message.threadId,
    replyToMessageId: message.replyTo,
    createdAt: iso(message.createdAt),
    expiresAt: iso(record.expiresAt),
    attachments: message.attachments.map((a) => ({ filename: a.filename, mime_type: a.mimeType, size: a.size })),
  };
}

export function approvalRoutes(app: ZodApp, ctx: ServerContext): void {
  const { approvals, approvalApplier, accounts, clock } = ctx;
  const accountNameIds = async (request: Parameters<typeof callerOf>[0]): Promise<number[]> => (await accounts.of(callerOf(request))).map((n) => n.id);

  app.get(
    "/api/approvals",
    {
      schema: {
        summary: "Messages waiting for the approval of the key's account, oldest first, and how many wait in all",
        querystring: ListQuerySchema,
        response: { 200: ApprovalListResponseSchema },
      },
    },
    async (request) => {
      const ids = await accountNameIds(request);
      const now = clock.now();
      const [held, total] = await Promise.all([approvals.listPending(ids, now, request.query.limit), approvals.countPending(ids, now)]);
      return { approvals: held.map(toWireHeld), count: held.length, total };
    },
  );

  app.post(
    "/api/approvals/:id/approve",
    {
      schema: {
        summary: "Approve a held message: it is delivered to its recipient at once",
        params: IdParamsSchema,
        response: { 200: ApprovalDecisionResponseSchema },
      },
    },
    async (request) => {
      const record = await decideApproval(ctx, {
        approvalId: request.params.id,
        decision: "approved",
        actor: callerOf(request).name.name,
        ip: request.ip,
        recipientIds: await accountNameIds(request),
      });
      await approvalApplier.apply(record);
      return { success: true as const, approvalId: record.approvalId, status: "approved" as const, messageId: record.message.id };
    },
  );

  app.post(
    "/api/approvals/:id/reject",
    {
      schema: {
        summary: "Reject a held message: it is not delivered, and its sender gets a notice (with the reason, if given)",
        params: IdParamsSchema,
        body: RejectBodySchema,
        response: { 200: ApprovalDecisionResponseSchema },
      },
    },
    async (request) => {
      const record = await decideApproval(ctx, {
        approvalId: request.params.id,
        decision: "rejected",
        actor: callerOf(request).name.name,
        ip: request.ip,
        reason: request.body.reason,
        recipientIds: await accountNameIds(request),
      });
      await approvalApplier.apply(record);
      return { success: true as const, approvalId: record.approvalId, status: "rejected" as const };
    },
  );
}
