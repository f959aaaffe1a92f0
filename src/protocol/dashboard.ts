/**
 * Answers the dashboard reads that the agents' clients do not: the session, the held messages, a key rotation, the
 * account's audit log and the view-only notification stream. The server's routes declare them and the dashboard
 * parses its answers with them.
 */

import { z } from "zod";

/** `GET /api/auth/session`. */
export const SessionResponseSchema = z.object({
  account: z.object({ id: z.string(), email: z.string(), created_at: z.string() }),
  names: z.array(z.object({ name: z.string(), full_name: z.string(), created_at: z.string() })),
  csrf_token: z.string(),
  expires_at: z.string(),
});
export type SessionResponse = z.output<typeof SessionResponseSchema>;

/** One message held for its owner's approval (`GET /api/approvals`). */
export const HeldMessageSchema = z.object({
  approvalId: z.string(),
  from: z.string(),
  to_name: z.string(),
  subject: z.string(),
  body: z.string(),
  threadId: z.string(),
  replyToMessageId: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  attachments: z.array(z.object({ filename: z.string(), mime_type: z.string(), size: z.number().int() })),
});
export type HeldMessage = z.output<typeof HeldMessageSchema>;

export const ApprovalListResponseSchema = z.object({ approvals: z.array(HeldMessageSchema), count: z.number().int() });

/** `POST /api/approvals/{id}/approve|reject`. */
export const ApprovalDecisionResponseSchema = z.object({
  success: z.literal(true),
  approvalId: z.string(),
  status: z.enum(["approved", "rejected"]),
  messageId: z.string().optional(),
});

/** `POST /api/keys/rotate`. */
export const RotateKeyResponseSchema = z.object({
  success: z.literal(true),
  name: z.string(),
  /** The new key; only its hash is stored, so it is shown this once. */
  apiKey: z.string(),
});

/** One entry of the audit log. */
export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  action: z.string(),
  name: z.string().nullable(),
  actor: z.string(),
  ip: z.string().nullable(),
  detail: z.string().nullable(),
});
export type AuditEntryWire = z.output<typeof AuditEntrySchema>;

/** `GET /api/dashboard/audit`: the account's entries, newest first. */
export const AccountAuditResponseSchema = z.object({ entries: z.array(AuditEntrySchema) });

/**
 * `data` of the `changed` event of `GET /api/dashboard/events`: something arrived for these names of the account (a
 * message, a held message). It carries no message: the page reads the inbox, which leases nothing.
 */
export const DashboardChangeSchema = z.object({ names: z.array(z.string()) });
export type DashboardChange = z.output<typeof DashboardChangeSchema>;

/** The path of the view-only notification stream. */
export const DASHBOARD_EVENTS_PATH = "/api/dashboard/events";
