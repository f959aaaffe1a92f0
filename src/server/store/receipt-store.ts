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

/** A message a name sent, as its outbox lists it: its receipt, and its subject while the message is stored. */
export interface SentRecord extends ReceiptRecord {
  /** Null once the message is no longer stored (retention deleted it) or never was (blocked, held, rejected). */
  readonly subject: string | null;
  /** Its first state's time (epoch ms): what the outbox is ordered by. */
  readonly firstAt: number;
}

/** One name's messages of one UTC day (`day`: whole days since the epoch), as the activity counts them. */
export interface DayCount {
  readonly name: string;
  readonly day: number;
  /** Messages to the name accepted that day (stored, or deleted since by retention). */
  readonly received: number;
  /** Messages from the name accepted that day. */
  readonly sent: number;
  /** Sends to or from the name refused by a delivery policy that day. */
  readonly blocked: number;
  /** Messages to or from the name that expired unacked that day (retention deleted them). */
  readonly expired: number;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The outbox from both sources, newest first: `messages` (stored rows of the sender, newest first, at most `limit`)
 * and `rows` (receipt rows of the sender, newest first by first time, at most `limit`). Each id appears once, merged.
 */
export function mergeSent(
  messages: ReadonlyArray<ReceiptMessage & { readonly subject: string }>,
  rows: ReadonlyArray<ReceiptRecord & { readonly firstAt: number }>,
  limit: number,
): SentRecord[] {
  const byId = new Map<string, SentRecord>();
  const recorded = new Map(rows.map((r) => [r.messageId, r]));
  for (const m of messages) {
    const row = recorded.get(m.id);
    const merged = mergeReceipt(m, row);
    if (merged !== undefined) byId.set(m.id, { ...merged, subject: m.subject, firstAt: Math.min(m.createdAt, row?.firstAt ?? m.createdAt) });
  }
  for (const r of rows) if (!byId.has(r.messageId)) byId.set(r.messageId, { ...r, subject: null });
  return [...byId.values()].sort((a, b) => b.firstAt - a.firstAt || (a.messageId < b.messageId ? 1 : -1)).slice(0, limit);
}

export interface ReceiptStore {
  /**
   * The receipts of the messages `sender` (a bare name) sent, newest first by their first state: stored messages,
   * those retention deleted, and sends blocked, held or rejected. At most `limit`.
   */
  listSent(sender: string, limit: number): Promise<SentRecord[]>;
  /**
   * Per name and UTC day, from `since` (epoch ms) on: messages received and sent, and the dead ends (blocked, expired).
   * Days with nothing are left out.
   */
  countPerDay(names: readonly string[], since: number): Promise<DayCount[]>;
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
