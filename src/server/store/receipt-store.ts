/**
 * The receipt port: what became of a message, for its sender (`GET /api/messages/{id}/status`, receipts.ts). A
 * message's own row answers while it is stored (accepted, first handed out, acked); when retention deletes it, its
 * receipt is kept (the purge writes it in the same transaction) for {@link RECEIPT_RETENTION_MS}. States that no stored
 * message carries (a send refused by the recipient's policy, one held for approval or rejected there) are recorded here
 * directly with `record`.
 */

import { MESSAGE_STATUSES, type MessageStatus } from "../../protocol/index.js";

/** Every state a receipt may show, in the order a message passes them: the latest one reached is its status. */
export const RECEIPT_STATES = MESSAGE_STATUSES;
export type ReceiptState = MessageStatus;

/** The states set with `record` (the others come from the message itself). */
export type RecordedReceiptState = "pending_approval" | "rejected" | "blocked";

export interface ReceiptRecord {
  readonly messageId: string;
  /** The sending name (bare). */
  readonly sender: string;
  /** The recipient name (bare). */
  readonly recipient: string;
  /** When each state was reached (epoch ms); absent when it was not. `expired` is never set here: see `purged`. */
  readonly at: Readonly<Partial<Record<ReceiptState, number>>>;
  /** Retention deleted the message (unacked, that means it expired; the service knows when). */
  readonly purged: boolean;
}

/** Column of each state; only these names ever reach SQL. */
export const RECEIPT_COLUMNS: Readonly<Record<Exclude<ReceiptState, "expired">, string>> = {
  pending_approval: "pending_approval_at",
  rejected: "rejected_at",
  blocked: "blocked_at",
  accepted: "accepted_at",
  delivered: "delivered_at",
  acked: "acked_at",
};

/** A receipt row's states, from its columns (named as in RECEIPT_COLUMNS, in either backend). */
export function receiptTimes(get: (column: string) => unknown): Partial<Record<ReceiptState, number>> {
  const at: Partial<Record<ReceiptState, number>> = {};
  for (const [state, column] of Object.entries(RECEIPT_COLUMNS) as Array<[ReceiptState, string]>) {
    const value = get(column);
    if (value !== null && value !== undefined) at[state] = Number(value);
  }
  return at;
}

/** A stored message's part of its receipt. */
export interface ReceiptMessage {
  readonly id: string;
  readonly sender: string;
  readonly recipient: string;
  readonly createdAt: number;
  readonly deliveredAt?: number | null | undefined;
  readonly ackedAt: number | null;
}

/** The receipt of a message from its stored row (if it is still stored) and its receipt row (if one was written). */
export function mergeReceipt(message: ReceiptMessage | undefined, row: ReceiptRecord | undefined): ReceiptRecord | undefined {
  if (message === undefined) return row;
  const at: Partial<Record<ReceiptState, number>> = { ...row?.at, accepted: message.createdAt };
  if (message.deliveredAt !== null && message.deliveredAt !== undefined) at.delivered = message.deliveredAt;
  if (message.ackedAt !== null) at.acked = message.ackedAt;
  return { messageId: message.id, sender: message.sender, recipient: message.recipient, at, purged: false };
}

/** An unacked message expires (retention deletes it) this long after it was accepted: its `expired` time. */
export const UNACKED_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

/** How long a receipt is kept after its first state. */
export const RECEIPT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export interface ReceiptStore {
  /** The message's receipt: its stored row merged with what was recorded of it; undefined when neither exists. */
  find(messageId: string): Promise<ReceiptRecord | undefined>;
  /**
   * Records that the message reached a state no stored message shows. The approval queue sets `pending_approval` when
   * it holds a send and `rejected` when its owner refuses it; an approved message is then inserted under the same id,
   * and its receipt goes on from `accepted`. Recording a state again keeps its first time.
   */
  record(entry: { messageId: string; sender: string; recipient: string; state: RecordedReceiptState; at: number }): Promise<void>;
  /** The message reached its recipient (a webhook answered 2xx): sets the delivered time unless it has one. */
  markDelivered(messageId: string, at: number): Promise<void>;
  /** Deletes the receipts whose first state is older than `before`; answers how many. */
  purge(before: number): Promise<number>;
}
