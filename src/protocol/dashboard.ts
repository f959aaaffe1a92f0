/**
 * Answers the dashboard reads that the agents' clients do not: the session, the held messages, a key rotation, the
 * account's audit log and the view-only notification stream. The server's routes declare them and the dashboard
 * parses its answers with them.
 */

import { z } from "zod";
import { MessageStatusResponseSchema } from "./webhooks.js";

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

export const ApprovalListResponseSchema = z.object({
  approvals: z.array(HeldMessageSchema),
  /** How many are listed (at most `limit`). */
  count: z.number().int(),
  /** How many wait in all, however many the list shows: what the dashboard's badge shows. */
  total: z.number().int(),
});
export type ApprovalListResponse = z.output<typeof ApprovalListResponseSchema>;

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

/** `GET /api/messages/outbox`: how many of the name's sent messages. */
export const OutboxQuerySchema = z.object({
  limit: z.coerce.number().int().min(1, "must be from 1 to 100").max(100, "must be from 1 to 100").default(50),
});

/** One sent message of the outbox: its receipt (as `GET /api/messages/{id}/status` answers it) and its subject. */
export const OutboxEntrySchema = MessageStatusResponseSchema.extend({
  /** Null once the message is no longer stored, or when it never was (blocked, held, rejected). */
  subject: z.string().nullable(),
  /** When it was first sent (its first state). */
  sentAt: z.string(),
});
export type OutboxEntry = z.output<typeof OutboxEntrySchema>;

/** `GET /api/messages/outbox`: the name's sent messages, newest first. */
export const OutboxResponseSchema = z.object({ name: z.string(), messages: z.array(OutboxEntrySchema) });
export type OutboxResponse = z.output<typeof OutboxResponseSchema>;

/** `GET /api/dashboard/activity`: how many UTC days, today included. */
export const ActivityQuerySchema = z.object({
  days: z.coerce.number().int().min(1, "must be from 1 to 30").max(30, "must be from 1 to 30").default(14),
});

/** One name's counts per day, in the order of `days`. */
export const NameActivitySchema = z.object({
  name: z.string(),
  received: z.array(z.number().int()),
  sent: z.array(z.number().int()),
  /** Sends to or from the name refused by a delivery policy. */
  blocked: z.array(z.number().int()),
  /** Messages to or from the name deleted unacked by retention. */
  expired: z.array(z.number().int()),
});
export type NameActivity = z.output<typeof NameActivitySchema>;

/** `GET /api/dashboard/activity`: the account's names, counted per UTC day by the server. */
export const ActivityResponseSchema = z.object({
  /** The days counted (`YYYY-MM-DD`, UTC), oldest first, the last one today. */
  days: z.array(z.string()),
  names: z.array(NameActivitySchema),
});
export type ActivityResponse = z.output<typeof ActivityResponseSchema>;

/** `POST /api/webhooks/test`: what became of the test event. */
export const WebhookTestResponseSchema = z.object({
  /** The `X-ClawTell-Delivery` of the test event (`test_…`). */
  deliveryId: z.string(),
  url: z.string(),
  /** The receiver answered 2xx. */
  delivered: z.boolean(),
  /** The receiver's status code; null when it never answered (refused address, timeout, network error). */
  statusCode: z.number().int().nullable(),
  /** Why it did not deliver; null when it did. */
  error: z.string().nullable(),
});
export type WebhookTestResponse = z.output<typeof WebhookTestResponseSchema>;
