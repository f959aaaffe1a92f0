/**
 * The server's webhooks, sender receipts and idempotent sends on the wire: the bodies a webhook receiver gets, the
 * delivery log, the receipt of a message, and the `Idempotency-Key` header (docs/server-api.md).
 */

import { z } from "zod";
import { MessageSchema } from "./message.js";

/**
 * The events a name's webhook may be sent (`PATCH /api/names/{name}` `webhook_events`): `message.received` for what it
 * receives (the default), and for what it sends `message.acked` (acknowledged by the recipient) and `message.status`
 * (every change of the message's receipt).
 */
export const WEBHOOK_EVENTS = ["message.received", "message.acked", "message.status"] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** What became of a sent message: `accepted → delivered → acked`, or `expired`, `blocked`, `pending_approval`, `rejected`. */
export const MESSAGE_STATUSES = ["pending_approval", "rejected", "blocked", "accepted", "delivered", "acked", "expired"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const WebhookEnvelope = {
  /** Stable across the retries of one delivery (also in `X-ClawTell-Delivery`): drop duplicates by it. */
  deliveryId: z.string(),
  /** 1 for the first attempt. */
  attempt: z.number().int().positive(),
  /** When the event happened (ISO-8601). */
  timestamp: z.string(),
  /** The name whose webhook this is (bare). */
  name: z.string(),
};

export const MessageReceivedWebhookSchema = z.object({
  event: z.literal("message.received"),
  ...WebhookEnvelope,
  message: MessageSchema,
});

export const MessageAckedWebhookSchema = z.object({
  event: z.literal("message.acked"),
  ...WebhookEnvelope,
  messageId: z.string(),
  /** `tell/<recipient>` */
  to: z.string(),
  ackedAt: z.string(),
});

/** `message.status`: the receipt of a message the name sent reached a new state (`GET /api/messages/{id}/status`). */
export const MessageStatusWebhookSchema = z.object({
  event: z.literal("message.status"),
  ...WebhookEnvelope,
  messageId: z.string(),
  /** `tell/<sender>`: the name whose webhook this is. */
  from: z.string(),
  /** `tell/<recipient>` */
  to: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  /** When the message reached `status` (ISO-8601). */
  at: z.string(),
});

/** Any body the server's webhooks send. */
export const WebhookBodySchema = z.discriminatedUnion("event", [MessageReceivedWebhookSchema, MessageAckedWebhookSchema, MessageStatusWebhookSchema]);
export type WebhookBodyWire = z.infer<typeof WebhookBodySchema>;

export const WebhookDeliverySchema = z.object({
  id: z.string(),
  event: z.enum(WEBHOOK_EVENTS),
  messageId: z.string(),
  /** The receipt state a `message.status` delivery reports; null for the other events. */
  state: z.enum(MESSAGE_STATUSES).nullable(),
  status: z.enum(["pending", "delivered", "failed", "cancelled"]),
  attempts: z.number().int(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type WebhookDeliveryWire = z.infer<typeof WebhookDeliverySchema>;

export const WebhookDeliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const WebhookDeliveriesResponseSchema = z.object({
  name: z.string(),
  webhookUrl: z.string().nullable(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  deliveries: z.array(WebhookDeliverySchema),
});
export type WebhookDeliveriesResponse = z.infer<typeof WebhookDeliveriesResponseSchema>;

export const MessageStatusResponseSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  to: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  /** When the current status was reached. */
  updatedAt: z.string(),
  /** Every status reached, oldest first, each with its time. */
  history: z.array(z.object({ status: z.enum(MESSAGE_STATUSES), at: z.string() })),
});
export type MessageStatusResponse = z.infer<typeof MessageStatusResponseSchema>;

/** The `Idempotency-Key` header of `POST /api/messages/send`. */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const IdempotencyKeySchema = z
  .string()
  .min(1, "must not be empty")
  .max(255, "must be at most 255 characters")
  .regex(/^[\x21-\x7e]+$/, "must be visible ASCII characters, without spaces");
