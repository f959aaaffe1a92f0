/** Request and response bodies of the ClawTell REST API (`/api/...` and `/v1/ack`). */

import { z } from "zod";
import { fileNameProblem, normaliseFileName } from "./file-kinds.js";
import { MessageSchema } from "./message.js";
import { NameRefSchema } from "./names.js";
import { WEBHOOK_EVENTS } from "./webhooks.js";

/** Largest message body accepted, in characters (the clients assume 50 KB). */
export const MAX_BODY_CHARS = 50_000;
export const MAX_SUBJECT_CHARS = 200;

export const COMMUNICATION_MODES = ["allowlist_only", "anyone", "manual_only"] as const;
export type CommunicationMode = (typeof COMMUNICATION_MODES)[number];

/**
 * Who may message a name. `approval_required` (this server's own): the account's own names and the delivery allowlist
 * are delivered at once, the blocklist is refused, every other sender's message waits for the owner's approval (202).
 */
export const DELIVERY_POLICIES = ["everyone", "everyone_except_blocklist", "allowlist_only", "approval_required"] as const;
export type DeliveryPolicy = (typeof DELIVERY_POLICIES)[number];

/** Files one message may carry, and the decoded size of each (the hosted service allows 10 × 25 MB). */
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
/** Longest attachment `url` taken. */
export const MAX_ATTACHMENT_URL_CHARS = 2048;

/**
 * The kinds of file the product accepts: images, PDF, Office documents, JSON, XML, text, ZIP, gzip, tar, audio and
 * video. Executables are refused by name and by content as well, whatever type they claim (file-kinds.ts).
 */
const ACCEPTED_MIME = [
  /^(image|audio|video|text)\/[\w.+-]+$/,
  /^application\/(pdf|json|xml|zip|gzip|x-gzip|x-tar|msword|rtf|vnd\.ms-(excel|powerpoint)|vnd\.openxmlformats-officedocument\.[\w.-]+)$/,
];

/** Whether a file type (lowercase, without parameters) is one the product accepts. */
export function isAcceptedMimeType(type: string): boolean {
  return ACCEPTED_MIME.some((pattern) => pattern.test(type));
}

/**
 * Whether the text is standard base64 with its padding (RFC 4648 §4): what zod's `z.base64()` accepts, checked in a
 * few milliseconds for a 25 MiB file instead of some 50 (its regular expression steps through every character on the
 * server's event loop). Node's decoder skips or stops at characters outside the alphabet, so those make the decoded
 * length fall short; it also takes the URL-safe `-` and `_`, which are looked for separately.
 */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0 || text.includes("-") || text.includes("_")) return false;
  return Buffer.from(text, "base64").length === base64DecodedLength(text);
}

/** How many bytes well-formed base64 text decodes to. */
export function base64DecodedLength(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return Math.max(0, (text.length / 4) * 3 - padding);
}

const NOT_BASE64 = "must be the file content in base64";
const ONE_SOURCE = "give the file as `data` (base64) or as `url`: one of the two";

/** A file name as it will be saved (file-kinds.ts): plain, not an executable's. */
export const AttachmentFileNameSchema = z
  .string()
  .min(1)
  .max(255)
  .superRefine((name, ctx) => {
    const problem = fileNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform(normaliseFileName);

const MimeTypeSchema = z
  .string()
  .max(255)
  .transform((type) => type.toLowerCase())
  .refine(isAcceptedMimeType, "this file type is not accepted");

const AttachmentUrlSchema = z
  .string()
  .max(MAX_ATTACHMENT_URL_CHARS, `must be at most ${MAX_ATTACHMENT_URL_CHARS} characters`)
  .refine((text) => URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol), "must be an http or https URL");

/**
 * One attachment of a send: the bytes in base64 (`data`, with `filename` and `mime_type`), or a `url` the server
 * fetches (`filename` then defaults to the URL's last path segment and `mime_type` to the answer's Content-Type).
 */
export const AttachmentUploadSchema = z
  .object({
    data: z.string(NOT_BASE64).refine(isBase64, NOT_BASE64).optional(),
    url: AttachmentUrlSchema.optional(),
    filename: AttachmentFileNameSchema.optional(),
    mime_type: MimeTypeSchema.optional(),
  })
  .superRefine((upload, ctx) => {
    if (upload.data === undefined && upload.url === undefined) ctx.addIssue({ code: "custom", path: ["data"], message: ONE_SOURCE });
    if (upload.data !== undefined && upload.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], message: ONE_SOURCE });
    if (upload.data === undefined) return;
    if (upload.filename === undefined) ctx.addIssue({ code: "custom", path: ["filename"], message: "is required with data" });
    if (upload.mime_type === undefined) ctx.addIssue({ code: "custom", path: ["mime_type"], message: "is required with data" });
  });
export type AttachmentUpload = z.output<typeof AttachmentUploadSchema>;

export const SendRequestSchema = z.object({
  to: NameRefSchema,
  body: z.string().min(1, "must not be empty").max(MAX_BODY_CHARS, `must be at most ${MAX_BODY_CHARS} characters`),
  subject: z.string().max(MAX_SUBJECT_CHARS, `must be at most ${MAX_SUBJECT_CHARS} characters`).optional(),
  replyTo: z.string().min(1).optional(),
  from_name: NameRefSchema.optional(),
  threadId: z.string().min(1).max(200).optional(),
  attachments: z.array(AttachmentUploadSchema).max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} files per message`).optional(),
});
export type SendRequest = z.input<typeof SendRequestSchema>;
export type ParsedSendRequest = z.output<typeof SendRequestSchema>;

export const SendResponseSchema = z.object({
  success: z.literal(true),
  messageId: z.string(),
  sentAt: z.string(),
  to: z.string(),
});
export type SendResponse = z.infer<typeof SendResponseSchema>;

export const POLL_TIMEOUT_MIN_S = 1;
export const POLL_TIMEOUT_MAX_S = 30;
export const POLL_TIMEOUT_DEFAULT_S = 30;
export const POLL_LIMIT_MIN = 1;
export const POLL_LIMIT_MAX = 100;
export const POLL_LIMIT_DEFAULT = 50;

/** Query strings arrive as text; out-of-range values are clamped the way the clients clamp them. */
function clampedInt(min: number, max: number, fallback: number) {
  return z
    .union([z.string(), z.number()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return fallback;
      const n = typeof value === "number" ? value : Number(value);
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: "custom", message: "must be a number" });
        return z.NEVER;
      }
      return Math.min(max, Math.max(min, Math.trunc(n)));
    });
}

export const PollQuerySchema = z.object({
  timeout: clampedInt(0, POLL_TIMEOUT_MAX_S, POLL_TIMEOUT_DEFAULT_S),
  limit: clampedInt(POLL_LIMIT_MIN, POLL_LIMIT_MAX, POLL_LIMIT_DEFAULT),
});
export type PollQuery = z.output<typeof PollQuerySchema>;

export const PollResponseSchema = z.object({
  messages: z.array(MessageSchema),
  count: z.number().optional(),
  waitedMs: z.number().optional(),
  timeout: z.number().optional(),
});
export type PollResponse = z.infer<typeof PollResponseSchema>;

export const AckRequestSchema = z.object({
  messageIds: z.array(z.string().min(1).max(200)).max(1000),
});
export type AckRequest = z.infer<typeof AckRequestSchema>;

export const AckResponseSchema = z.object({
  success: z.boolean().optional(),
  acked: z.union([z.number(), z.array(z.string())]),
});
export type AckResponse = z.infer<typeof AckResponseSchema>;

export const InboxQuerySchema = z.object({
  limit: clampedInt(1, 100, 50),
  offset: clampedInt(0, Number.MAX_SAFE_INTEGER, 0),
  unread: z
    .union([z.string(), z.boolean()])
    .optional()
    .transform((v) => v === true || v === "true" || v === "1"),
});

export const InboxResponseSchema = z.object({
  messages: z.array(MessageSchema),
  unreadCount: z.number(),
  limit: z.number(),
  offset: z.number(),
});
export type InboxResponse = z.infer<typeof InboxResponseSchema>;

export const MeResponseSchema = z.object({
  name: z.string(),
  fullName: z.string(),
  email: z.string().nullable().optional(),
  accountId: z.string().optional(),
  names: z.array(z.string()).optional(),
  communicationMode: z.enum(COMMUNICATION_MODES),
  deliveryPolicy: z.enum(DELIVERY_POLICIES).optional(),
  webhookUrl: z.string().nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  stats: z.object({
    totalMessages: z.number(),
    unreadMessages: z.number(),
    allowlistCount: z.number(),
  }),
});
export type MeResponse = z.infer<typeof MeResponseSchema>;

export const LookupResponseSchema = z.object({
  name: z.string(),
  fullName: z.string(),
  registered: z.boolean(),
  communicationMode: z.enum(COMMUNICATION_MODES),
});
export type LookupResponse = z.infer<typeof LookupResponseSchema>;

export const UpdateNameRequestSchema = z
  .object({
    communication_mode: z.enum(COMMUNICATION_MODES).optional(),
    delivery_policy: z.enum(DELIVERY_POLICIES).optional(),
    // `null` or `""` clears a webhook field (the Python SDK clears with `""`); the answer says `null` then.
    webhook_url: z
      .string()
      .transform((url) => (url === "" ? null : url))
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL (or "" to clear it)' }).nullable())
      .nullable()
      .optional(),
    webhook_secret: z
      .string()
      .refine((secret) => secret === "" || secret.length >= 16, 'must be at least 16 characters (or "" to clear it)')
      .transform((secret) => (secret === "" ? null : secret))
      .nullable()
      .optional(),
    /** Which events the webhook gets (default `["message.received"]`); `message.acked` reports acks of this name's sends. */
    webhook_events: z.array(z.enum(WEBHOOK_EVENTS)).max(WEBHOOK_EVENTS.length).optional(),
  })
  .strict();
export type UpdateNameRequest = z.infer<typeof UpdateNameRequestSchema>;

export const UpdateNameResponseSchema = z.object({
  success: z.literal(true),
  name: z.string(),
  webhook_url: z.string().nullable(),
  communication_mode: z.enum(COMMUNICATION_MODES),
  delivery_policy: z.enum(DELIVERY_POLICIES),
  webhook_events: z.array(z.enum(WEBHOOK_EVENTS)).optional(),
});

export const NameBodySchema = z.object({ name: NameRefSchema });

export const AllowlistEntrySchema = z.object({
  id: z.string(),
  allowed_name: z.string(),
  created_at: z.string(),
});
export type AllowlistEntry = z.infer<typeof AllowlistEntrySchema>;

/** Delivery blocklist / allowlist entries (who may message a name at all). */
export const DeliveryListEntrySchema = z.object({
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
});
export type DeliveryListEntry = z.infer<typeof DeliveryListEntrySchema>;

/** Every error the server sends: `error` is what all clients read; `code` is ours; `field` names bad input. */
export const ErrorBodySchema = z.object({
  error: z.string(),
  code: z.string().optional(),
  field: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * `202 Accepted` from `POST /api/messages/send`: the message waits for its owner's approval. Clients read no field of
 * it (the real server sends no `messageId`); whatever it carries is kept when present.
 */
export const SendPendingResponseSchema = z.object({
  success: z.boolean().optional(),
  messageId: z.string().optional(),
  sentAt: z.string().optional(),
  to: z.string().optional(),
  status: z.string().optional(),
  /** This project's server: the held message's id in the owner's approval queue, and when it expires unapproved. */
  approvalId: z.string().optional(),
  expiresAt: z.string().optional(),
});
export type SendPendingResponse = z.infer<typeof SendPendingResponseSchema>;

/** `GET /api/files/{fileId}`: where to download the file, without a key, until `expiresAt`. */
export const FileUrlResponseSchema = z.object({
  signedUrl: z.string(),
  url: z.string(),
  expiresAt: z.string(),
});
export type FileUrlResponse = z.infer<typeof FileUrlResponseSchema>;

/** What a client needs of that answer: the link, from `signedUrl` or else `url` (as the official plugin reads it). */
export const FileLinkAnswerSchema = z
  .object({ signedUrl: z.string().min(1).optional(), url: z.string().min(1).optional() })
  .refine((answer) => answer.signedUrl !== undefined || answer.url !== undefined, "signedUrl: missing")
  .transform((answer) => answer.signedUrl ?? answer.url ?? "");
