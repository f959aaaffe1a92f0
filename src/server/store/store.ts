/**
 * The storage port of the embedded server. Routes talk only to this interface. `journaled-store.ts` implements it:
 * messages in flight live in memory behind an fsync'd journal, and everything else (names, keys, lists, files, the
 * message history) in SQLite (`sqlite-store.ts`). A PostgreSQL archive could replace SQLite without touching routes.
 */

import type { CommunicationMode, DeliveryPolicy } from "../../protocol/index.js";

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
}

export interface MessageRecord extends NewMessage {
  /** Store-wide sequence; defines per-recipient order. */
  readonly seq: number;
  readonly readAt: number | null;
  readonly ackedAt: number | null;
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
}

/** Accounts and names: what the admin CLI needs, also beside a running server. */
export type DirectoryStore = Pick<
  Store,
  | "findAccountByEmail"
  | "findAccountById"
  | "insertAccount"
  | "insertName"
  | "findNameByName"
  | "findNameByKeyPrefix"
  | "listNamesOfAccount"
  | "updateNameSettings"
>;

export interface Store {
  findAccountByEmail(email: string): AccountRecord | undefined;
  findAccountById(id: string): AccountRecord | undefined;
  /** Stores the account, unless its email has one already; answers the email's stored account either way. */
  insertAccount(account: AccountRecord): AccountRecord;
  insertName(name: Omit<NameRecord, "id">): NameRecord;
  findNameByName(name: string): NameRecord | undefined;
  findNameByKeyPrefix(prefix: string): NameRecord | undefined;
  listNamesOfAccount(accountId: string): NameRecord[];
  updateNameSettings(nameId: number, settings: NameSettings): NameRecord;

  /** Durably stores messages; resolves once they are on disk (calls of the same tick share one write). */
  insertMessages(messages: readonly NewMessage[]): Promise<void>;
  /** Unacked messages of the recipients, oldest first, skipping `excludeSeqs`. */
  listUnacked(recipientIds: readonly number[], limit: number, excludeSeqs: ReadonlySet<number>): MessageRecord[];
  /** Unacked messages of the recipients with `seq > afterSeq`. */
  listUnackedAfter(recipientIds: readonly number[], afterSeq: number): MessageRecord[];
  findMessage(id: string): MessageRecord | undefined;
  /** Marks the given ids acked when they belong to the recipients; resolves with those (now) acked. */
  ackMessages(recipientIds: readonly number[], ids: readonly string[], now: number): Promise<AckedMessage[]>;
  listInbox(recipientId: number, options: { limit: number; offset: number; unreadOnly: boolean }): MessageRecord[];
  markRead(recipientId: number, id: string, now: number): boolean;
  countMessages(recipientId: number): MessageCounts & { unread: number };

  listEntries(nameId: number, kind: ListKind): ListEntry[];
  hasEntry(nameId: number, kind: ListKind, entry: string): boolean;
  addEntry(nameId: number, kind: ListKind, entry: ListEntry): ListEntry;
  removeEntry(nameId: number, kind: ListKind, entry: string): boolean;

  findFile(fileId: string): FileRecord | undefined;

  /**
   * Deletes acked messages older than `ackedBefore` and unacked ones created before `createdBefore`, with their file
   * records; answers the ids of those files, whose bytes the caller removes.
   */
  purge(ackedBefore: number, createdBefore: number): { acked: number; expired: number; fileIds: string[] };
  close(): void;
}
