/** The records the storage ports (directory-store.ts, message-store.ts) take and answer, whatever the backend. */

import type { CommunicationMode, DeliveryPolicy } from "../../protocol/index.js";
import type { IdempotencyRecord } from "./idempotency-store.js";

export interface AccountRecord {
  readonly id: string;
  readonly email: string;
  readonly createdAt: number;
}

export interface NameRecord {
  /** Internal numeric id; never leaves the server. */
  readonly id: number;
  readonly name: string;
  readonly accountId: string;
  /** Public lookup part of the API key (`claw_<prefix>_…`). */
  readonly keyPrefix: string;
  /** bcrypt hash of the whole key. */
  readonly keyHash: string;
  readonly communicationMode: CommunicationMode;
  readonly deliveryPolicy: DeliveryPolicy;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly createdAt: number;
}

export type NameSettings = Partial<
  Pick<NameRecord, "communicationMode" | "deliveryPolicy" | "webhookUrl" | "webhookSecret">
>;

/** A file a message carries; its bytes live in the file room (files.ts) under `fileId`. */
export interface StoredAttachment {
  readonly fileId: string;
  readonly filename: string;
  readonly mimeType: string;
  readonly size: number;
}

/** An attachment with the message it came with: who may fetch it. */
export interface FileRecord extends StoredAttachment {
  readonly messageId: string;
  readonly recipientId: number;
  readonly sender: string;
}

export interface NewMessage {
  readonly id: string;
  readonly recipientId: number;
  readonly recipient: string;
  readonly sender: string;
  readonly subject: string;
  readonly body: string;
  readonly threadId: string;
  readonly replyTo: string | null;
  readonly autoReplyEligible: boolean;
  readonly createdAt: number;
  readonly attachments: readonly StoredAttachment[];
  /**
   * The `Idempotency-Key` of the send and its answer, bound in the same durable write as the message. A message whose
   * key already holds a live record (another send took it first) is not stored.
   */
  readonly idempotency?: IdempotencyRecord | undefined;
}

export interface MessageRecord extends NewMessage {
  /** Store-wide sequence; defines per-recipient order. */
  readonly seq: number;
  readonly readAt: number | null;
  readonly ackedAt: number | null;
  /** When it was first handed out (a poll, a stream, a webhook answered 2xx); absent or null before. */
  readonly deliveredAt?: number | null;
}

/** The three per-name lists: auto-reply allowlist, delivery blocklist, delivery allowlist. */
export type ListKind = "auto_reply" | "delivery_block" | "delivery_allow";

export interface ListEntry {
  readonly id: string;
  readonly entry: string;
  readonly createdAt: number;
}

export interface AckedMessage {
  readonly id: string;
  readonly recipientId: number;
  readonly seq: number;
}

export interface MessageCounts {
  readonly total: number;
  readonly unacked: number;
  /** Neither read nor acked. */
  readonly unread: number;
}

/** What one retention purge removed: counts, and the files whose bytes the caller deletes. */
export interface PurgeResult {
  readonly acked: number;
  readonly expired: number;
  readonly fileIds: string[];
}
