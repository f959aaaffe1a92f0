/** The message object as the server hands it out (poll, poll-account, inbox, SSE) and as clients read it. */

import { z } from "zod";

/** The states of a message in its recipient's inbox. */
export const INBOX_STATES = ["unread", "delivered", "acked", "expired"] as const;
export type InboxState = (typeof INBOX_STATES)[number];

export const AttachmentRefSchema = z.object({
  fileId: z.string(),
  filename: z.string(),
  mime_type: z.string(),
});
export type AttachmentRef = z.infer<typeof AttachmentRefSchema>;

/**
 * Field names follow the wire exactly: camelCase except `to_name` and `mime_type`.
 * `from` is `tell/<sender>`; `to_name` is the bare recipient name (present on every message we serve).
 */
export const MessageSchema = z.object({
  id: z.string().min(1),
  from: z.string(),
  to_name: z.string().optional(),
  subject: z.string().default("Message"),
  body: z.string(),
  createdAt: z.string(),
  threadId: z.string().nullable().optional(),
  replyToMessageId: z.string().nullable().optional(),
  autoReplyEligible: z.boolean().nullable().optional(),
  attachments: z.array(AttachmentRefSchema).default([]),
  read: z.boolean().optional(),
  /**
   * Inbox only (`GET /api/messages/inbox`): `unread` (not handed out yet), `delivered` (handed out, not acked), `acked`,
   * or `expired` (unacked past its retention; deleted at the next purge).
   */
  state: z.enum(INBOX_STATES).optional(),
});
export type Message = z.infer<typeof MessageSchema>;

/** Parses a message received from a server; throws a ZodError naming the bad field. */
export function parseMessage(value: unknown): Message {
  return MessageSchema.parse(value);
}
