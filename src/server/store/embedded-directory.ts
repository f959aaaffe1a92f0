/**
 * The directory port of the embedded backend: the SQLite archive's synchronous calls, answered as promises. Each call
 * runs whole inside one turn of the event loop, so a read-then-write (an account per email) needs no lock here.
 */

import type { DirectoryStore } from "./directory-store.js";
import { createEmbeddedRegistrations } from "./embedded-registrations.js";
import { createEmbeddedSessions } from "./embedded-sessions.js";
import { openSqliteArchive, type SqliteArchive } from "./sqlite-archive.js";
import type { AdminStores } from "./storage.js";

export function createEmbeddedDirectory(archive: SqliteArchive): DirectoryStore {
  return {
    findAccountByEmail: async (email) => archive.findAccountByEmail(email),
    findAccountById: async (id) => archive.findAccountById(id),
    insertAccount: async (account) => archive.insertAccount(account),
    insertName: async (name) => archive.insertName(name),
    findNameByName: async (name) => archive.findNameByName(name),
    findNameByKeyPrefix: async (prefix) => archive.findNameByKeyPrefix(prefix),
    listNamesOfAccount: async (accountId) => archive.listNamesOfAccount(accountId),
    updateNameSettings: async (nameId, settings) => archive.updateNameSettings(nameId, settings),
    listEntries: async (nameId, kind) => archive.listEntries(nameId, kind),
    hasEntry: async (nameId, kind, entry) => archive.hasEntry(nameId, kind, entry),
    addEntry: async (nameId, kind, entry) => archive.addEntry(nameId, kind, entry),
    removeEntry: async (nameId, kind, entry) => archive.removeEntry(nameId, kind, entry),
    replaceNameKey: async (nameId, keyPrefix, keyHash) => archive.replaceNameKey(nameId, keyPrefix, keyHash),
    listNames: async (filter) => archive.listNames(filter),
    deleteName: async (nameId) => archive.deleteName(nameId),
    appendAudit: async (entry) => archive.appendAudit(entry),
    listAudit: async (query) => archive.listAudit(query),
  };
}

/**
 * The directory of a data folder alone, without its messages: what `clawtell admin` opens, also beside a running
 * server (SQLite serialises the two processes' writes).
 */
export function openEmbeddedDirectory(opts: { dataDir: string }): { directory: DirectoryStore; close(): Promise<void> } {
  const archive = openSqliteArchive(opts);
  let closed = false;
  return {
    directory: createEmbeddedDirectory(archive),
    async close() {
      if (closed) return;
      closed = true;
      archive.close();
    },
  };
}

/** The stores of a data folder that `clawtell admin` works on (all but the messages), also beside a running server. */
export function openEmbeddedAdminStores(opts: { dataDir: string }): AdminStores & { close(): Promise<void> } {
  const archive = openSqliteArchive(opts);
  let closed = false;
  return {
    directory: createEmbeddedDirectory(archive),
    registrations: createEmbeddedRegistrations(archive.database),
    sessions: createEmbeddedSessions(archive.database),
    async close() {
      if (closed) return;
      closed = true;
      archive.close();
    },
  };
}
