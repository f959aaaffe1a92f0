/**
 * `/api/messages/*`: send, long poll (one name or the whole account), ack, and the legacy inbox.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ClawTellError } from "../../infra/index.js";
import {
  AckRequestSchema,
  InboxQuerySchema,
  isExecutableContent,
  MAX_ATTACHMENT_BYTES,
  PollQuerySchema,
  SendRequestSchema,
  toFullName,
  type AttachmentUpload,
} from "../../protocol/index.js";
import type { Caller } from "../auth.js";
import { BODY_LIMIT_BYTES, type ServerContext } from "../context.js";
import { parseInput } from "../http-errors.js";
import { toWireMessage } from "../mailbox.js";
import { newMessageId } from "../message-ids.js";
import { assertDeliveryAllowed, isAutoReplyEligible } from "../policy.js";
import type { MessageRecord, StoredAttachment } from "../store/index.js";

/** A send may carry attachments in base64 (4 characters for every 3 bytes) beside its text. */
export const SEND_BODY_LIMIT_BYTES = BODY_LIMIT_BYTES + Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4;

/** An AbortSignal that fires when the client goes away before the answer is sent. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // "close" also follows every answered request; aborting then would only build an unused AbortError.
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function messageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { directory, messages, mailbox, auth, clock, names } = ctx;

  /** Senders, known before their body is read: only a valid key may make the server take in a large upload. */
  const senders = new WeakMap<FastifyRequest, Caller>();
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    senders.set(request, await auth.authenticate(request));
  };

  app.post("/api/messages/send", { bodyLimit: SEND_BODY_LIMIT_BYTES, onRequest }, async (request) => {
    // 1. who sends, 2. as which name, 3. to whom, 4. may they, 5. commit, 6. answer.
    const caller = senders.get(request) ?? (await auth.authenticate(request));
    const input = parseInput(SendRequestSchema, request.body, "body");
    const sender = await resolveSender(ctx, caller, input.from_name);
    const recipient = await names.find(input.to);
    if (recipient === undefined) throw new ClawTellError("CT_NOT_FOUND", "Recipient not found", { field: "to" });
    await assertDeliveryAllowed(directory, recipient, sender);
    const autoReplyEligible = await isAutoReplyEligible(directory, recipient, sender);

    const id = newMessageId();
    const original = input.replyTo === undefined ? undefined : await visibleOriginal(ctx, caller, input.replyTo);
    const now = clock.now();
    const attachments = input.attachments === undefined ? [] : await saveAttachments(ctx, input.attachments);
    await mailbox.deliver({
      id,
      recipientId: recipient.id,
      recipient: recipient.name,
      sender,
      subject: input.subject === undefined || input.subject === "" ? "Message" : input.subject,
      body: input.body,
      threadId: input.threadId ?? original?.threadId ?? id,
      replyTo: input.replyTo ?? null,
      autoReplyEligible,
      createdAt: now,
      attachments,
    }).catch(async (err: unknown) => {
      await ctx.files.remove(attachments.map((a) => a.fileId));
      throw err;
    });
    return { success: true, messageId: id, sentAt: new Date(now).toISOString(), to: toFullName(recipient.name) };
  });

  const poll = async (recipientIds: number[], query: unknown, reply: FastifyReply) => {
    const { timeout, limit } = parseInput(PollQuerySchema, query, "query");
    const started = clock.now();
    await mailbox.opened(recipientIds);
    const rows = await mailbox.pullWaiting(recipientIds, limit, timeout * 1000, clientGone(reply), reply.request.raw.socket);
    const messages = rows.map((row) => toWireMessage(row));
    return { messages, count: messages.length, waitedMs: clock.now() - started, timeout };
  };

  app.get("/api/messages/poll", async (request, reply) => {
    const caller = await auth.authenticate(request);
    return poll([caller.name.id], request.query, reply);
  });

  app.get("/api/messages/poll-account", async (request, reply) => {
    const caller = await auth.authenticate(request);
    return poll(
      (await auth.accountNames(caller)).map((n) => n.id),
      request.query,
      reply,
    );
  });

  const ack = async (caller: Caller, body: unknown): Promise<string[]> => {
    const { messageIds } = parseInput(AckRequestSchema, body, "body");
    return mailbox.ack(
      (await auth.accountNames(caller)).map((n) => n.id),
      messageIds,
    );
  };

  app.post("/api/messages/ack", async (request) => {
    const caller = await auth.authenticate(request);
    const acked = await ack(caller, request.body);
    return { success: true, acked: acked.length };
  });

  app.post("/v1/ack", async (request) => {
    const caller = await auth.authenticate(request);
    return { success: true, acked: await ack(caller, request.body) };
  });

  app.get("/api/messages/inbox", async (request) => {
    const caller = await auth.authenticate(request);
    const { limit, offset, unread } = parseInput(InboxQuerySchema, request.query, "query");
    const rows = await messages.listInbox(caller.name.id, { limit, offset, unreadOnly: unread });
    const counts = await messages.count(caller.name.id);
    return {
      messages: rows.map((row) => toWireMessage(row, { includeRead: true })),
      unreadCount: counts.unread,
      limit,
      offset,
    };
  });

  app.post("/api/messages/:id/read", async (request) => {
    const caller = await auth.authenticate(request);
    const { id } = parseInput(z.object({ id: z.string().min(1).max(200) }), request.params, "params");
    if (!(await messages.markRead(caller.name.id, id, clock.now()))) {
      throw new ClawTellError("CT_NOT_FOUND", "Message not found", { field: "id" });
    }
    return { success: true };
  });
}

/** Writes a send's files durably, before its message is committed; a file that is not kept is never referenced. */
async function saveAttachments(ctx: ServerContext, uploads: readonly AttachmentUpload[]): Promise<StoredAttachment[]> {
  const files = uploads.map((upload) => ({ upload, content: Buffer.from(upload.data, "base64") }));
  const program = files.findIndex(({ content }) => isExecutableContent(content));
  if (program >= 0) {
    throw new ClawTellError("CT_BAD_REQUEST", `attachments.${program}.data: executables are not accepted`, { field: `attachments.${program}.data` });
  }
  const total = files.reduce((sum, { content }) => sum + content.length, 0);
  if (total > MAX_ATTACHMENT_BYTES) {
    throw new ClawTellError("CT_PAYLOAD_TOO_LARGE", `attachments: at most ${MAX_ATTACHMENT_BYTES} bytes per message`, {
      field: "attachments",
    });
  }
  const saved: StoredAttachment[] = [];
  try {
    for (const { upload, content } of files) {
      const fileId = await ctx.files.save(content);
      saved.push({ fileId, filename: upload.filename, mimeType: upload.mime_type, size: content.length });
    }
  } catch (err) {
    await ctx.files.remove(saved.map((a) => a.fileId));
    throw err;
  }
  return saved;
}

/** The message a reply answers, when the caller's account sent or received it (a thread is joined only from inside). */
async function visibleOriginal(ctx: ServerContext, caller: Caller, id: string): Promise<MessageRecord | undefined> {
  const original = await ctx.messages.find(id);
  if (original === undefined) return undefined;
  const own = (await ctx.auth.accountNames(caller)).map((n) => n.name);
  return own.includes(original.sender) || own.includes(original.recipient) ? original : undefined;
}

/** The name a send goes out as: the key's own name, or `from_name` when the account owns it. */
async function resolveSender(ctx: ServerContext, caller: Caller, fromName: string | undefined): Promise<string> {
  if (fromName === undefined || fromName === caller.name.name) return caller.name.name;
  const named = await ctx.names.find(fromName);
  if (named === undefined || named.accountId !== caller.accountId) {
    throw new ClawTellError("CT_FORBIDDEN", "from_name is not a name of this account", { field: "from_name" });
  }
  return named.name;
}
