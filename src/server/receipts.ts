/**
 * Sender receipts: what became of a message, for the account that sent it (`GET /api/messages/{id}/status`). The
 * states come from the receipt store (receipt-store.ts): `accepted` when stored, `delivered` when first handed out
 * (a poll, a stream, or a webhook answered 2xx), `acked`, `expired` (retention deleted it unacked, 14 days after it was
 * accepted), `blocked` (the recipient's delivery policy refused the send: the 403 names the receipt), and
 * `pending_approval` / `rejected`, which the approval queue records.
 */

import type { FastifyReply, FastifyRequest } from "fastify";
import { ClawTellError, type Clock } from "../infra/index.js";
import { toFullName, type MessageStatusResponse } from "../protocol/index.js";
import type { Caller } from "./auth.js";
import { newMessageId } from "./message-ids.js";
import type { NameDirectory } from "./name-directory.js";
import { UNACKED_RETENTION_MS } from "./retention.js";
import { RECEIPT_STATES, type ReceiptRecord, type ReceiptState, type ReceiptStore } from "./store/index.js";

const notFound = (): ClawTellError => new ClawTellError("CT_NOT_FOUND", "Message not found", { field: "id" });

/**
 * A receipt as its sender reads it: every state reached (with `expired` when retention deleted the message unacked),
 * the latest one its status. Undefined for a receipt with no state.
 */
export function receiptToStatus(receipt: ReceiptRecord): { response: MessageStatusResponse; firstAt: number } | undefined {
  const at: Partial<Record<ReceiptState, number>> = { ...receipt.at };
  if (receipt.purged && at.acked === undefined && at.accepted !== undefined) at.expired = at.accepted + UNACKED_RETENTION_MS;
  const reached = RECEIPT_STATES.filter((state) => at[state] !== undefined);
  const status = reached[reached.length - 1];
  if (status === undefined) return undefined;
  const firstAt = Math.min(...reached.map((state) => at[state] ?? Number.POSITIVE_INFINITY));
  const iso = (ms: number): string => new Date(ms).toISOString();
  const history = reached
    .map((state) => ({ status: state, at: at[state] ?? 0 }))
    .sort((a, b) => a.at - b.at || RECEIPT_STATES.indexOf(a.status) - RECEIPT_STATES.indexOf(b.status));
  return {
    firstAt,
    response: {
      messageId: receipt.messageId,
      from: toFullName(receipt.sender),
      to: toFullName(receipt.recipient),
      status,
      updatedAt: iso(at[status] ?? firstAt),
      history: history.map((h) => ({ status: h.status, at: iso(h.at) })),
    },
  };
}

/** The receipt of a message the caller's account sent; 404 for any other (another account's, or unknown). */
export async function messageStatus(
  deps: { receipts: ReceiptStore; names: NameDirectory },
  caller: Caller,
  messageId: string,
): Promise<MessageStatusResponse> {
  const receipt = await deps.receipts.find(messageId);
  if (receipt === undefined) throw notFound();
  const read = receiptToStatus(receipt);
  if (read === undefined) throw notFound();
  // The sender's name now must be the one that sent: a name deleted and registered again since is someone else.
  const sender = await deps.names.find(receipt.sender);
  if (sender === undefined || sender.accountId !== caller.accountId || sender.createdAt > read.firstAt) throw notFound();
  return { ...read.response, messageId };
}

export interface BlockedSends {
  /**
   * The send was refused by the recipient's delivery policy (`err`, CT_FORBIDDEN): records a `blocked` receipt under a
   * new message id and throws `err` again; the 403 then names the id (`onSend`). Any other error passes through.
   */
  refuse(request: FastifyRequest, err: unknown, sender: string, recipient: string): Promise<never>;
  /** Adds `messageId` to the 403 answer of a refused send (a callback hook: an async one costs every send a promise). */
  onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void;
}

export function createBlockedSends(receipts: ReceiptStore, clock: Clock): BlockedSends {
  const refused = new WeakMap<FastifyRequest, string>();
  return {
    async refuse(request, err, sender, recipient) {
      if (err instanceof ClawTellError && err.code === "CT_FORBIDDEN") {
        const messageId = newMessageId();
        await receipts.record({ messageId, sender, recipient, state: "blocked", at: clock.now() });
        refused.set(request, messageId);
      }
      throw err;
    },
    onSend(request, reply, payload, done) {
      const messageId = refused.get(request);
      if (messageId === undefined || reply.statusCode !== 403 || typeof payload !== "string") {
        done(null, payload);
        return;
      }
      let named: unknown = payload;
      try {
        named = JSON.stringify({ ...(JSON.parse(payload) as object), messageId });
      } catch {
        // Not JSON (never for a 403 of this route): passed on as it is.
      }
      done(null, named);
    },
  };
}
