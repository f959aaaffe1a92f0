/**
 * The directory port: accounts, names with their key prefixes and hashes, per-name settings and the three per-name
 * lists. Routes, auth and the admin CLI use only this; a backend (embedded-directory.ts) implements it. Every method
 * answers a promise, so a backend may sit behind a network.
 */

import type { AccountRecord, ListEntry, ListKind, NameRecord, NameSettings } from "./records.js";

export interface DirectoryStore {
  findAccountByEmail(email: string): Promise<AccountRecord | undefined>;
  findAccountById(id: string): Promise<AccountRecord | undefined>;
  /**
   * Stores the account, unless its email has one already; answers the email's stored account either way (two
   * creators racing for one email, in one process or two, end up with the same account).
   */
  insertAccount(account: AccountRecord): Promise<AccountRecord>;
  /** Rejects with CT_CONFLICT when the name is taken. */
  insertName(name: Omit<NameRecord, "id">): Promise<NameRecord>;
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
}
