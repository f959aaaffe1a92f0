/**
 * The directory port: accounts, names with their key prefixes and hashes, per-name settings and the three per-name
 * lists. Routes, auth and the admin CLI use only this; a backend (embedded-directory.ts) implements it. Every method
 * answers a promise, so a backend may sit behind a network.
 */

import type { AccountRecord, ListEntry, ListKind, NameRecord, NameSettings } from "./records.js";

/** A name with its account's email, as the operator's listing shows it. */
export interface NameListing extends NameRecord {
  readonly email: string;
}

/** What deleting a name removed. */
export interface DeletedName {
  readonly messages: number;
  readonly files: number;
}

/** The name a deleted name's row keeps: never a valid name, never a key prefix. */
export const DELETED_NAME_PREFIX = "#deleted:";

/** Which names `listNames` answers: all, one account's, or one email's. */
export interface NameFilter {
  readonly accountId?: string;
  readonly email?: string;
}

/** A security action, as it is recorded (see audit.ts). */
export interface NewAuditEntry {
  /** Epoch ms. */
  readonly at: number;
  /** What happened, e.g. `key.rotated`, `settings.changed`, `list.added`. */
  readonly action: string;
  /** The name acted on, without `tell/`; null for an action on no name. */
  readonly name: string | null;
  /** Who did it: the name whose key was used, or `admin` for the operator's CLI. */
  readonly actor: string;
  /** The caller's address when the action came over HTTP. */
  readonly ip: string | null;
  /** A few words of what changed (never a key or a secret). */
  readonly detail: string | null;
}

export interface AuditEntry extends NewAuditEntry {
  readonly id: number;
}

export interface AuditQuery {
  /** Only actions on this name. */
  readonly name?: string;
  /** At most this many, newest first. */
  readonly limit: number;
}

export interface NameLimits {
  /** Names (deleted ones aside) the account may own, the new one included. */
  readonly maxNamesPerAccount?: number | undefined;
}

/** Why an account cannot take another name: the sentence both backends and the early checks give. */
export function nameLimitText(email: string, owned: number, max: number): string {
  return `the account of ${email} has ${owned} names, the most this server allows per account (${max})`;
}

export interface DirectoryStore {
  findAccountByEmail(email: string): Promise<AccountRecord | undefined>;
  findAccountById(id: string): Promise<AccountRecord | undefined>;
  /**
   * Stores the account, unless its email has one already; answers the email's stored account either way (two
   * creators racing for one email, in one process or two, end up with the same account).
   */
  insertAccount(account: AccountRecord): Promise<AccountRecord>;
  /**
   * Rejects with CT_CONFLICT when the name is taken. With `maxNamesPerAccount`, rejects with CT_FORBIDDEN (field
   * `email`) when the account owns that many names already; the count and the insert are one atomic step, so
   * concurrent inserts (in one process or several) never take an account past the limit.
   */
  insertName(name: Omit<NameRecord, "id">, limits?: NameLimits): Promise<NameRecord>;
  findNameByName(name: string): Promise<NameRecord | undefined>;
  /** The name whose API key has this lookup prefix. */
  findNameByKeyPrefix(prefix: string): Promise<NameRecord | undefined>;
  /** The account's names, oldest first. */
  listNamesOfAccount(accountId: string): Promise<NameRecord[]>;
  /** Rejects with CT_NOT_FOUND for an unknown name. */
  updateNameSettings(nameId: number, settings: NameSettings): Promise<NameRecord>;

  listEntries(nameId: number, kind: ListKind): Promise<ListEntry[]>;
  /** Asked on every send: a backend may answer from a copy a few seconds old when the list changed elsewhere. */
  hasEntry(nameId: number, kind: ListKind, entry: string): Promise<boolean>;
  /** Adds the entry unless the list has it; answers the stored entry either way. */
  addEntry(nameId: number, kind: ListKind, entry: ListEntry): Promise<ListEntry>;
  /** Whether the entry was there. */
  removeEntry(nameId: number, kind: ListKind, entry: string): Promise<boolean>;

  /**
   * Gives the name a new key (its lookup prefix and bcrypt hash) in one statement: from then on, the old prefix finds
   * nothing. Rejects with CT_NOT_FOUND for an unknown name.
   */
  replaceNameKey(nameId: number, keyPrefix: string, keyHash: string): Promise<NameRecord>;
  /** Names with their account's email, by name. */
  listNames(filter: NameFilter): Promise<NameListing[]>;
  /**
   * Deletes a name: its undelivered and delivered messages with their file records, its three lists, and every entry
   * naming it in other names' lists, in one transaction. Its row stays as a tombstone (`#deleted:<id>`, no key, no
   * account listing) so the name is free again and messages a running server still holds for it stay unclaimable.
   * Answers how many messages and file records went; CT_NOT_FOUND for an unknown name.
   */
  deleteName(nameId: number): Promise<DeletedName>;
  /** Records a security action. */
  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** Recorded actions, newest first. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
}
