/**
 * The directory port of the embedded backend: the SQLite archive's synchronous calls, answered as promises. Each call
 * runs whole inside one turn of the event loop, so a read-then-write (an account per email) needs no lock here.
 *
 * Every authenticated request looks its key's name up by prefix. Those records are kept in memory while nothing could
 * have changed them: every write through this directory forgets them, and lookups ask SQLite, once per turn of the
 * event loop, whether another connection (`clawtell admin` beside the server) has committed since (`data_version`,
 * far cheaper than reading the row). A key replaced or a name deleted, here or by the admin CLI, is therefore refused
 * from the next turn on, without a row read per request (which cost a third of the server's time per message).
 */

import type { DirectoryStore } from "./directory-store.js";
import { createEmbeddedRegistrations } from "./embedded-registrations.js";
import { createEmbeddedSessions } from "./embedded-sessions.js";
import type { NameRecord } from "./records.js";
import { createSqliteApprovals } from "./sqlite-approvals.js";
import { openSqliteArchive, type SqliteArchive } from "./sqlite-archive.js";
import { createSqliteQuotas } from "./sqlite-quotas.js";
import type { AdminStores } from "./storage.js";

/** Above this many remembered prefixes the memory is emptied (a scan of made-up prefixes must not grow it). */
const MAX_REMEMBERED_KEYS = 50_000;

/** Name records by key prefix, valid until the database changes. */
function createKeyRecords(archive: SqliteArchive) {
  const records = new Map<string, NameRecord | undefined>();
  let version = archive.dataVersion();
  /** Whether the version was asked in this turn of the event loop: requests handled in one turn share the answer. */
  let askedThisTurn = false;
  const ask = (): void => {
    if (askedThisTurn) return;
    askedThisTurn = true;
    setImmediate(() => {
      askedThisTurn = false;
    });
    const now = archive.dataVersion();
    if (now !== version) {
      version = now;
      records.clear();
    }
  };
  return {
    find(prefix: string): NameRecord | undefined {
      ask();
      if (records.has(prefix)) return records.get(prefix);
      const record = archive.findNameByKeyPrefix(prefix);
      if (records.size >= MAX_REMEMBERED_KEYS) records.clear();
      // Unknown prefixes are not remembered: a name made by another process would be remembered as absent only
      // until its commit changed the version, but guesses would fill the memory for nothing.
      if (record !== undefined) records.set(prefix, record);
      return record;
    },
    forget(): void {
      records.clear();
    },
  };
}

export function createEmbeddedDirectory(archive: SqliteArchive): DirectoryStore {
  const keys = createKeyRecords(archive);
  /** A write through this directory: whatever it changed is read again. */
  const writing =
    <A extends unknown[], R>(write: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      try {
        return write(...args);
      } finally {
        keys.forget();
      }
    };
  return {
    findAccountByEmail: async (email) => archive.findAccountByEmail(email),
    findAccountById: async (id) => archive.findAccountById(id),
    insertAccount: writing((account) => archive.insertAccount(account)),
    insertName: writing((name, limits) => archive.insertName(name, limits)),
    findNameByName: async (name) => archive.findNameByName(name),
    findNameByKeyPrefix: async (prefix) => keys.find(prefix),
    listNamesOfAccount: async (accountId) => archive.listNamesOfAccount(accountId),
    updateNameSettings: writing((nameId, settings) => archive.updateNameSettings(nameId, settings)),
    listEntries: async (nameId, kind) => archive.listEntries(nameId, kind),
    hasEntry: async (nameId, kind, entry) => archive.hasEntry(nameId, kind, entry),
    addEntry: writing((nameId, kind, entry) => archive.addEntry(nameId, kind, entry)),
    removeEntry: writing((nameId, kind, entry) => archive.removeEntry(nameId, kind, entry)),
    replaceNameKey: writing((nameId, keyPrefix, keyHash) => archive.replaceNameKey(nameId, keyPrefix, keyHash)),
    listNames: async (filter) => archive.listNames(filter),
    deleteName: writing((nameId) => archive.deleteName(nameId)),
    appendAudit: async (entry) => archive.appendAudit(entry),
    listAudit: async (query) => archive.listAudit(query),
  };
}

/**
 * The directory of a data folder alone, without its messages: what `clawtell admin` opens, also beside a running
 * server (SQLite serialises the two processes' writes).
 */
export function openEmbeddedDirectory(opts: { dataDir: string }): { directory: DirectoryStore; close(): Promise<void> } {
  const { directory, close } = openEmbeddedAdminStores(opts);
  return { directory, close };
}

/**
 * The stores of a data folder that `clawtell admin` works on (all but the messages), also beside a running server. An
 * approval decision recorded here is applied by the server.
 */
export function openEmbeddedAdminStores(opts: { dataDir: string }): AdminStores & { close(): Promise<void> } {
  const archive = openSqliteArchive(opts);
  let closed = false;
  return {
    directory: createEmbeddedDirectory(archive),
    approvals: createSqliteApprovals(archive.database),
    quotas: createSqliteQuotas(archive.database),
    registrations: createEmbeddedRegistrations(archive.database),
    sessions: createEmbeddedSessions(archive.database),
    async close() {
      if (closed) return;
      closed = true;
      archive.close();
    },
  };
}
