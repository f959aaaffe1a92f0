/**
 * `/api/messages/*`: send, long poll (one name or the whole account), ack, and the legacy inbox.
 */

import type { FastifyReply } from "fastify";
import { z } from "zod";
import { ClawTellError, isoTime } from "../../infra/index.js";
import {
  AckRequestSchema,
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKeySchema,
  InboxQuerySchema,
  InboxResponseSchema,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
  MAX_BODY_CHARS,
  MessageSchema,
  PollQuerySchema,
  SendRequestSchema,
  SendResponseSchema,
  toFullName,
  type InboxState,
  type PollQuery,
} from "../../protocol/index.js";
import type { Caller } from "../auth.js";
import { BODY_LIMIT_BYTES, type ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import { ErrorAnswerSchema, type ZodApp } from "../contexts/schemas.js";
import { holdForApproval } from "../approvals.js";
import { spreadLongWait, toWireMessage } from "../mailbox.js";
import { newMessageId } from "../message-ids.js";
import { decideDelivery } from "../policy.js";
import { UNACKED_RETENTION_MS, type MessageRecord, type NameRecord, type NewMessage, type StoredAttachment } from "../store/index.js";
import { saveAttachments } from "../attachment-intake.js";
import { streamLargeSends, takeStreamedFiles } from "../streamed-sends.js";
import { SendHeldResponseSchema } from "./approvals.js";
import { connectionGone } from "./connection-gone.js";

/**
 * A send without its files' data: its text (up to 50 000 characters, each at most 6 bytes as a JSON escape) and the
 * attachments' other fields. A large body's files stream to the file store as it arrives; this much is kept.
 */
export const SEND_TEXT_LIMIT_BYTES = BODY_LIMIT_BYTES + MAX_BODY_CHARS * 6;
/** A send with all its files in base64 (4 characters for every 3 bytes): 10 files of 25 MiB, streamed to disk. */
export const SEND_BODY_LIMIT_BYTES = SEND_TEXT_LIMIT_BYTES + MAX_ATTACHMENTS * Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4;

/**
 * Runs `work` with a signal that fires when the client goes away before the answer is sent. The `close` listener is
 * removed when `work` ends, however it ends.
 */
export async function whileConnected<T>(reply: FastifyReply, work: (gone: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // "close" also follows every answered request; aborting then would only build an unused AbortError.
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.once("close", onClose);
  try {
    return await work(controller.signal);
  } finally {
    reply.raw.off("close", onClose);
  }
}

const ReadParamsSchema = z.object({ id: z.string().min(1).max(200) });
const SuccessSchema = z.object({ success: z.literal(true) });
const AckCountResponseSchema = z.object({ success: z.literal(true), acked: z.number().int() });
const AckIdsResponseSchema = z.object({ success: z.literal(true), acked: z.array(z.string()) });
const PollAnswerSchema = z.object({ messages: z.array(MessageSchema), count: z.number().int(), waitedMs: z.number(), timeout: z.number() });
const SendHeadersSchema = z.looseObject({ [IDEMPOTENCY_KEY_HEADER]: IdempotencyKeySchema.optional() });
/** A send refused by the recipient's delivery policy: the receipt it left reads `blocked`. */
const RefusedSendSchema = ErrorAnswerSchema.extend({ messageId: z.string().optional() });

export function messageRoutes(app: ZodApp, ctx: ServerContext): void {
  const { directory, messages, mailbox, accounts, clock, names, idempotentSends, blockedSends } = ctx;
  const intake = { files: ctx.files, outbound: ctx.outbound, clock, fetchTimeoutMs: ctx.attachmentFetchTimeoutMs };

  // The authenticated context knows the sender before the body is read: only a valid key makes the server take in a
  // large upload.
  app.post(
    "/api/messages/send",
    {
      bodyLimit: SEND_BODY_LIMIT_BYTES,
      schema: {
        summary: "Send a message (with up to 10 attachments of 25 MiB each, in base64 or by url); idempotent under an Idempotency-Key",
        description: "202 when the recipient's delivery policy `approval_required` holds it for its owner's approval.",
        headers: SendHeadersSchema,
        body: SendRequestSchema,
        response: { 200: SendResponseSchema, 202: SendHeldResponseSchema, 403: RefusedSendSchema },
      },
      // A large body's files go to the file store as they arrive; the rest is parsed and validated as usual.
      preParsing: streamLargeSends(ctx.files, { inlineBytes: BODY_LIMIT_BYTES, maxBytes: SEND_BODY_LIMIT_BYTES, maxTextBytes: SEND_TEXT_LIMIT_BYTES }),
      // A replay under an Idempotency-Key is answered before the handler; a refused send's 403 names its receipt.
      preHandler: idempotentSends.preHandler,
      onSend: [blockedSends.onSend, idempotentSends.onSend],
    },
    async (request, reply) => {
      // 1. who sends, 2. as which name, 3. to whom, 4. may they, 5. count it, 6. commit or hold, 7. answer.
      const caller = callerOf(request);
      const input = request.body;
      // The caller's own name needs no lookup (most sends name no other).
      const fromName = input.from_name;
      const sender = fromName === undefined || fromName === caller.name.name ? caller.name : await otherSender(ctx, caller, fromName);
      const recipient = await names.find(input.to);
      if (recipient === undefined) throw new ClawTellError("CT_NOT_FOUND", "Recipient not found", { field: "to" });
      const { autoReplyEligible, held } = await decideDelivery(directory, recipient, sender.name, caller.accountId).catch((err: unknown) =>
        blockedSends.refuse(request, err, sender.name, recipient.name),
      );
      const giveBack = await ctx.quota.take(caller.accountId);
      try {
        const id = newMessageId();
        const original = input.replyTo === undefined ? undefined : await visibleOriginal(ctx, caller, input.replyTo);
        const now = clock.now();
        const wanted = input.attachments;
        const attachments = wanted === undefined ? [] : await whileConnected(reply, (gone) => saveAttachments(intake, wanted, gone, takeStreamedFiles(request)));
        const message: NewMessage = {
          id,
          recipientId: recipient.id,
          recipient: recipient.name,
          sender: sender.name,
          subject: input.subject === undefined || input.subject === "" ? "Message" : input.subject,
          body: input.body,
          threadId: input.threadId ?? original?.threadId ?? id,
          replyTo: input.replyTo ?? null,
          autoReplyEligible,
          createdAt: now,
          attachments,
        };
        const to = toFullName(recipient.name);
        const sentAt = isoTime(now);
        if (!held) {
          const answer = { success: true as const, messageId: id, sentAt, to };
          const delivering = mailbox.deliver({ ...message, idempotency: idempotentSends.bind(request, id, answer) });
          await (attachments.length === 0 ? delivering : forgetFilesOnFailure(ctx, attachments, delivering));
          return idempotentSends.settle(request, reply, id, answer);
        }
        // Held: no message is stored yet (an approval inserts it under the same id); its receipt says why, and
        // idempotentSends.onSend remembers the 202 under the key.
        const hold = await forgetFilesOnFailure(ctx, attachments, holdForApproval(ctx.approvals, message, sender.id, ctx.approvalTtlMs));
        await ctx.receipts.record({ messageId: id, sender: sender.name, recipient: recipient.name, state: "pending_approval", at: now });
        void reply.code(202);
        const expiresAt = new Date(hold.expiresAt).toISOString();
        return { success: true as const, status: "pending_approval" as const, approvalId: hold.approvalId, receiptId: id, to, sentAt, expiresAt };
      } catch (err) {
        await giveBack();
        throw err;
      }
    },
  );

  // A parked long poll holds this frame, the mailbox's and the wait: no AbortController and no frame of
  // whileConnected (together about 900 B of heap for each of thousands of idle polls).
  const poll = async (recipientIds: number[], query: PollQuery, reply: FastifyReply) => {
    const { timeout, limit } = query;
    const started = clock.now();
    await mailbox.opened(recipientIds);
    const gone = connectionGone(reply.raw);
    let rows: MessageRecord[];
    try {
      rows = await mailbox.pullWaiting(recipientIds, limit, spreadLongWait(timeout * 1000), gone, reply.request.raw.socket);
    } finally {
      gone.release();
    }
    const messages = rows.map((row) => toWireMessage(row));
    return { messages, count: messages.length, waitedMs: clock.now() - started, timeout };
  };

  app.get(
    "/api/messages/poll",
    { schema: { summary: "Long poll the key's name for messages", querystring: PollQuerySchema, response: { 200: PollAnswerSchema } } },
    (request, reply) => poll([callerOf(request).name.id], request.query, reply),
  );

  app.get(
    "/api/messages/poll-account",
    { schema: { summary: "Long poll every name of the key's account", querystring: PollQuerySchema, response: { 200: PollAnswerSchema } } },
    async (request, reply) =>
      poll(
        (await accounts.of(callerOf(request))).map((n) => n.id),
        request.query,
        reply,
      ),
  );

  const ack = async (caller: Caller, messageIds: string[]): Promise<string[]> =>
    mailbox.ack(
      (await accounts.of(caller)).map((n) => n.id),
      messageIds,
    );

  app.post(
    "/api/messages/ack",
    { schema: { summary: "Acknowledge messages (they are not handed out again)", body: AckRequestSchema, response: { 200: AckCountResponseSchema } } },
    async (request) => {
      const acked = await ack(callerOf(request), request.body.messageIds);
      return { success: true as const, acked: acked.length };
    },
  );

  app.post(
    "/v1/ack",
    { schema: { summary: "Acknowledge messages received on the stream", body: AckRequestSchema, response: { 200: AckIdsResponseSchema } } },
    async (request) => ({ success: true as const, acked: await ack(callerOf(request), request.body.messageIds) }),
  );

  app.get(
    "/api/messages/inbox",
    { schema: { summary: "The key's name's messages, newest first (legacy)", querystring: InboxQuerySchema, response: { 200: InboxResponseSchema } } },
    async (request) => {
      const caller = callerOf(request);
      const { limit, offset, unread } = request.query;
      const rows = await messages.listInbox(caller.name.id, { limit, offset, unreadOnly: unread });
      const now = clock.now();
      const counts = await messages.count(caller.name.id);
      return {
        messages: rows.map((row) => ({ ...toWireMessage(row, { includeRead: true }), state: inboxState(row, now) })),
        unreadCount: counts.unread,
        limit,
        offset,
      };
    },
  );

  app.post(
    "/api/messages/:id/read",
    { schema: { summary: "Mark a message read", params: ReadParamsSchema, response: { 200: SuccessSchema } } },
    async (request) => {
      if (!(await messages.markRead(callerOf(request).name.id, request.params.id, clock.now()))) {
        throw new ClawTellError("CT_NOT_FOUND", "Message not found", { field: "id" });
      }
      return { success: true as const };
    },
  );
}

/** A send's files are removed when its message could not be stored (nothing refers to them then). */
/** Where a message stands in its recipient's inbox (see `MessageSchema.state`). */
function inboxState(row: MessageRecord, now: number): InboxState {
  if (row.ackedAt !== null) return "acked";
  if (row.createdAt + UNACKED_RETENTION_MS <= now) return "expired";
  return row.deliveredAt === null || row.deliveredAt === undefined ? "unread" : "delivered";
}

async function forgetFilesOnFailure<T>(ctx: ServerContext, attachments: readonly StoredAttachment[], storing: Promise<T>): Promise<T> {
  try {
    return await storing;
  } catch (err) {
    await ctx.files.remove(attachments.map((a) => a.fileId));
    throw err;
  }
}

/** The message a reply answers, when the caller's account sent or received it (a thread is joined only from inside). */
async function visibleOriginal(ctx: ServerContext, caller: Caller, id: string): Promise<MessageRecord | undefined> {
  const original = await ctx.messages.find(id);
  if (original === undefined) return undefined;
  const own = (await ctx.accounts.of(caller)).map((n) => n.name);
  return own.includes(original.sender) || own.includes(original.recipient) ? original : undefined;
}

/** The name a send goes out as: the key's own name, or `from_name` when the account owns it. */
/** The sender a send names with `from_name` other than the caller's own: a name of the caller's account. */
async function otherSender(ctx: ServerContext, caller: Caller, fromName: string): Promise<NameRecord> {
  const named = await ctx.names.find(fromName);
  if (named === undefined || named.accountId !== caller.accountId) {
    throw new ClawTellError("CT_FORBIDDEN", "from_name is not a name of this account", { field: "from_name" });
  }
  return named;
}
