/**
 * The approval port: messages held for the recipient owner's approval (delivery policy `approval_required`), and the
 * decisions on them. A decision is recorded here by whoever makes it (a server process, or `clawtell admin` beside
 * one); a server process then applies it (approval-applier.ts): an approved message goes into the message store, a
 * rejected or expired one becomes a notice to its sender. Every method answers a promise, so a backend may sit behind
 * a network.
 *
 * A held message goes through `pending` → `approved` | `rejected` | `expired` (once, whoever decides first) →
 * applied (`appliedAt` set); applied rows are purged a while later.
 */

import type { NewMessage } from "./records.js";

export type ApprovalState = "pending" | "approved" | "rejected" | "expired";
export type ApprovalDecision = Exclude<ApprovalState, "pending">;

/** A message to hold: the message it becomes when approved, and what its rejection notice needs. */
export interface NewHeldMessage {
  readonly approvalId: string;
  /** What is delivered on approval; its `id` is fixed now, so delivering twice stores it once. */
  readonly message: NewMessage;
  /** The sending name's internal id (its notice goes there, unless the name has changed hands since). */
  readonly senderId: number;
  /** Id of the notice a rejection or expiry sends to the sender; fixed now for the same reason. */
  readonly noticeId: string;
  /** Epoch ms after which it can no longer be approved. */
  readonly expiresAt: number;
}

export interface ApprovalRecord extends NewHeldMessage {
  readonly state: ApprovalState;
  readonly decidedAt: number | null;
  /** Who decided: the name whose key was used, `admin`, or `server` for an expiry. */
  readonly decidedBy: string | null;
  /** The approver's words for the sender, with a rejection. */
  readonly reason: string | null;
  /** When a server process applied the decision; null before. */
  readonly appliedAt: number | null;
}

export interface DecisionInput {
  readonly state: ApprovalDecision;
  readonly at: number;
  readonly by: string;
  readonly reason?: string | null;
}

export interface ApprovalStore {
  /** Stores a held message durably. */
  hold(held: NewHeldMessage): Promise<void>;
  find(approvalId: string): Promise<ApprovalRecord | undefined>;
  /**
   * Pending messages not expired at `now`, oldest first: to these recipients, or to anyone when `recipientIds` is
   * undefined (the operator's view).
   */
  listPending(recipientIds: readonly number[] | undefined, now: number, limit: number): Promise<ApprovalRecord[]>;
  /** How many messages `listPending` would list with no limit: the true number waiting, however long the list. */
  countPending(recipientIds: readonly number[] | undefined, now: number): Promise<number>;
  /**
   * Records the decision if the message is still pending and not expired at `decision.at`, in one step (of two
   * deciders, one wins); answers the decided record, or undefined when it was not pending (the caller reads why).
   */
  decide(approvalId: string, decision: DecisionInput): Promise<ApprovalRecord | undefined>;
  /** Marks pending messages whose time ran out at `now` as expired (decided by `server`); answers them. */
  expire(now: number, limit: number): Promise<ApprovalRecord[]>;
  /**
   * Decided, unapplied records free to apply at `now`, oldest decision first; each is kept from the next claims (in
   * any process) until `retryAt`, so one that fails to apply is tried again then.
   */
  claimDecided(now: number, retryAt: number, limit: number): Promise<ApprovalRecord[]>;
  markApplied(approvalId: string, at: number): Promise<void>;
  /** Deletes applied records decided before `decidedBefore`; answers how many. */
  purge(decidedBefore: number): Promise<number>;
  /** Whether a held message not yet applied carries this attachment (its bytes must stay). */
  holdsFile(fileId: string): Promise<boolean>;
}
