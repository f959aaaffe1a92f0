/**
 * The message port: durable sends, claims under a visibility lease, acks, the inbox history with read marks, the
 * attachment records and retention. The mailbox and routes use only this; a backend (embedded-messages.ts) implements
 * it. Every method answers a promise, so a backend may sit behind a network.
 *
 * Delivery is at least once: a claimed message is hidden from other claims until it is acked or its lease ends, then
 * it is handed out again. Per recipient, messages are handed out oldest first (by `seq`).
 */

import type { ClientConnection } from "./leases.js";
import type { AckedMessage, FileRecord, MessageCounts, MessageRecord, NewMessage, PurgeResult } from "./records.js";

export interface ClaimRequest {
  /** At most this many messages. */
  readonly limit: number;
  /** Epoch ms: leases ending at or before it have ended. */
  readonly now: number;
  /** Epoch ms until which the claimed messages stay hidden from other claims. */
  readonly leaseUntil: number;
  /** The client connection the messages go out on: once it closes, `releaseLeases` hands them out again. */
  readonly connection?: ClientConnection;
  /**
   * Called before the claim answers with what `pendingState` would answer right after it (the messages it hands out
   * leased until `leaseUntil`), when the claim itself tells it; not called otherwise, and the caller asks
   * `pendingState`.
   */
  readonly leftBehind?: (state: PendingState) => void;
}

export interface InboxQuery {
  readonly limit: number;
  readonly offset: number;
  /** Only messages neither read nor acked. */
  readonly unreadOnly: boolean;
}

/** See `MessageStore.pendingState`. */
export interface PendingState {
  /** Some unacked message of the recipients exists (handed out under a live lease or not). */
  readonly unacked: boolean;
  /** Epoch ms at which the earliest live lease of the recipients ends; undefined without one. */
  readonly nextLeaseEnd: number | undefined;
}

export interface MessageStore {
  /**
   * Stores the messages durably, each with the next `seq`; resolves once they would survive a crash. Calls made close
   * together may share one write (group commit); one failing message does not fail the others.
   */
  insert(messages: readonly NewMessage[]): Promise<void>;
  /**
   * Hands out the recipients' oldest unacked messages that no live lease hides, leasing each on return. Two claims,
   * however they interleave, never get the same message while its lease lasts.
   */
  claim(recipientIds: readonly number[], request: ClaimRequest): Promise<MessageRecord[]>;
  /**
   * A stream or poll of these names opens: the leases held by connections that have closed end now, and with
   * `afterSeq` (a stream resuming with Last-Event-ID) so do those of every message after it.
   */
  releaseLeases(recipientIds: readonly number[], afterSeq?: number): Promise<void>;
  /**
   * What a claim that found nothing leaves behind for the recipients: whether any unacked message is there at all
   * (leased or not), and when the earliest live lease ends, if any.
   */
  pendingState(recipientIds: readonly number[], now: number): Promise<PendingState>;
  /** Unacked messages of the recipients, oldest first, leaving out `excludeSeqs`; leases are neither read nor taken. */
  listUnacked(recipientIds: readonly number[], limit: number, excludeSeqs?: ReadonlySet<number>): Promise<MessageRecord[]>;
  find(id: string): Promise<MessageRecord | undefined>;
  /**
   * Acks the ids that belong to the recipients, durably, and ends their leases; answers those now acked, including ones
   * acked before (an ack is idempotent). Ids of other recipients, and unknown ids, are left out.
   */
  ack(recipientIds: readonly number[], ids: readonly string[], now: number): Promise<AckedMessage[]>;

  /** One recipient's messages, acked or not, oldest first. */
  listInbox(recipientId: number, query: InboxQuery): Promise<MessageRecord[]>;
  /** Marks the recipient's message read (the first time counts); false when it has no such message. */
  markRead(recipientId: number, id: string, now: number): Promise<boolean>;
  count(recipientId: number): Promise<MessageCounts>;
  /** The attachment record of a stored message. */
  findFile(fileId: string): Promise<FileRecord | undefined>;
  /**
   * Deletes acked messages acked before `ackedBefore` and unacked ones created before `createdBefore`, with their file
   * records; answers the ids of those files, whose bytes the caller removes.
   */
  purge(ackedBefore: number, createdBefore: number): Promise<PurgeResult>;
}
