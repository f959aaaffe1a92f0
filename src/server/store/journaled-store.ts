/**
 * The server's store: messages in flight live in memory behind the fsync'd message journal; the SQLite archive holds
 * everything else and takes the journal's messages and acks over in large batches.
 *
 * - A send or an ack is answered once its group's journal line is on disk (group commit: one fdatasync for all the
 *   sends and acks of a tick). Polls and streams read the pending index in memory and never query.
 * - Every `FLUSH_INTERVAL_MS`, or once `FLUSH_BATCH` records wait, the archive writes them in one transaction and the
 *   journal is emptied. Reads of history (inbox, counts, files, purge) hand the waiting records over first, so they
 *   always see everything.
 * - On open, whatever the journal still holds (a crash came between an answer and the hand-over) goes into the
 *   archive before anything else happens. The hand-over is idempotent, so a crash during it is harmless.
 *
 * One server per data folder: the journal belongs to the process that opened it.
 */

import { join } from "node:path";
import { createSilentLogger, type Logger } from "../../infra/index.js";
import { createGroupCommitter } from "./group-commit.js";
import { JOURNAL_FILE, openMessageJournal, readMessageJournal, type JournalLine } from "./message-journal.js";
import { createPendingIndex, type PendingIndex } from "./pending-index.js";
import { openSqliteStore, type SqliteStore } from "./sqlite-store.js";
import type { AckedMessage, MessageRecord, Store } from "./store.js";

/** How long journaled records may wait before the archive takes them over. */
export const FLUSH_INTERVAL_MS = 200;
/** How many waiting records (messages and acks) make the archive take them over at once. */
export const FLUSH_BATCH = 2_000;

type Draft = { -readonly [K in keyof MessageRecord]: MessageRecord[K] };

export interface OpenStoreOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  readonly flushIntervalMs?: number;
}

export function openStore(opts: OpenStoreOptions): Store {
  const logger = opts.logger ?? createSilentLogger();
  const flushIntervalMs = opts.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  const archive = openSqliteStore({ dataDir: opts.dataDir });
  const journalPath = join(opts.dataDir, JOURNAL_FILE);
  recover(archive, journalPath, logger);
  const journal = openMessageJournal(journalPath);

  const pending: PendingIndex = createPendingIndex();
  for (const row of archive.listPending()) pending.add({ ...row, record: undefined });
  let lastSeq = archive.lastSeq();
  /** Messages in the journal that the archive does not have yet. */
  const unflushed = new Map<string, Draft>();
  /** Acks, in the journal, of messages the archive has. */
  const unflushedAcks = new Map<string, number>();

  /** What the group being built will append, and apply once it is on disk. */
  let staged: { messages: Draft[]; acks: Array<[string, number]> } = { messages: [], acks: [] };

  const apply = (group: typeof staged): void => {
    for (const message of group.messages) {
      unflushed.set(message.id, message);
      pending.add({ id: message.id, recipientId: message.recipientId, seq: message.seq, createdAt: message.createdAt, record: message });
    }
    for (const [id, at] of group.acks) {
      if (pending.remove(id) === undefined) continue;
      const draft = unflushed.get(id);
      if (draft !== undefined) draft.ackedAt = at;
      else unflushedAcks.set(id, at);
    }
  };

  const committer = createGroupCommitter(<T>(work: () => T): T => {
    // Fresh for every transaction: a work that threw in an earlier one may have left part of its group here.
    staged = { messages: [], acks: [] };
    const result = work();
    const group = staged;
    if (group.messages.length > 0 || group.acks.length > 0) {
      // Drafts carry readAt/ackedAt (null) besides the journaled fields; replay ignores them.
      const line: JournalLine = {
        ...(group.messages.length > 0 ? { messages: group.messages } : {}),
        ...(group.acks.length > 0 ? { acks: group.acks } : {}),
      };
      journal.append(line);
      apply(group);
      scheduleFlush();
    }
    return result;
  });

  const flush = (): void => {
    if (unflushed.size === 0 && unflushedAcks.size === 0) return;
    archive.writeMessages([...unflushed.values()], unflushedAcks);
    for (const id of unflushed.keys()) {
      const entry = pending.get(id);
      if (entry !== undefined) entry.record = undefined;
    }
    unflushed.clear();
    unflushedAcks.clear();
    journal.reset();
  };

  let timer: NodeJS.Timeout | undefined;
  const scheduleFlush = (): void => {
    const soon = unflushed.size + unflushedAcks.size >= FLUSH_BATCH;
    if (timer !== undefined && !soon) return;
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        try {
          flush();
        } catch (err) {
          // The journal still holds everything; try again later.
          logger.error({ err }, "the archive could not take the journaled messages over; retrying");
          scheduleFlush();
        }
      },
      soon ? 0 : flushIntervalMs,
    );
    timer.unref();
  };

  /** The whole message for a pending entry: from memory while unflushed, else from the archive. */
  const materialize = (entries: ReadonlyArray<{ id: string; record: MessageRecord | undefined }>): MessageRecord[] => {
    const records: MessageRecord[] = [];
    for (const entry of entries) {
      const record = entry.record ?? archive.findMessage(entry.id);
      if (record !== undefined) records.push(record);
    }
    return records;
  };

  const findMessage = (id: string): MessageRecord | undefined => {
    const draft = unflushed.get(id);
    if (draft !== undefined) return draft;
    const row = archive.findMessage(id);
    const ackedAt = unflushedAcks.get(id);
    return row === undefined || ackedAt === undefined ? row : { ...row, ackedAt };
  };

  /** Runs a read or write of history after the waiting records have been handed to the archive. */
  const archived = <T>(work: () => T): T => {
    flush();
    return work();
  };

  return {
    findAccountByEmail: (email) => archive.findAccountByEmail(email),
    findAccountById: (id) => archive.findAccountById(id),
    insertAccount: (account) => archive.insertAccount(account),
    insertName: (name) => archive.insertName(name),
    findNameByName: (name) => archive.findNameByName(name),
    findNameByKeyPrefix: (prefix) => archive.findNameByKeyPrefix(prefix),
    listNamesOfAccount: (accountId) => archive.listNamesOfAccount(accountId),
    updateNameSettings: (nameId, settings) => archive.updateNameSettings(nameId, settings),
    listEntries: (nameId, kind) => archive.listEntries(nameId, kind),
    hasEntry: (nameId, kind, entry) => archive.hasEntry(nameId, kind, entry),
    addEntry: (nameId, kind, entry) => archive.addEntry(nameId, kind, entry),
    removeEntry: (nameId, kind, entry) => archive.removeEntry(nameId, kind, entry),

    insertMessages(messages) {
      return committer.run(() => {
        for (const m of messages) staged.messages.push({ ...m, seq: ++lastSeq, readAt: null, ackedAt: null });
      });
    },
    ackMessages(recipientIds, ids, now) {
      if (recipientIds.length === 0 || ids.length === 0) return Promise.resolve([]);
      const theirs = new Set(recipientIds);
      return committer.run(() => {
        const acked: AckedMessage[] = [];
        for (const id of new Set(ids)) {
          const entry = pending.get(id);
          if (entry !== undefined) {
            if (!theirs.has(entry.recipientId)) continue;
            staged.acks.push([id, now]);
            acked.push({ id, recipientId: entry.recipientId, seq: entry.seq });
            continue;
          }
          // Acked before (an ack is idempotent), or not theirs, or unknown.
          const known = findMessage(id);
          if (known !== undefined && theirs.has(known.recipientId)) acked.push({ id, recipientId: known.recipientId, seq: known.seq });
        }
        return acked;
      });
    },
    listUnacked: (recipientIds, limit, excludeSeqs) => materialize(pending.list(recipientIds, limit, excludeSeqs)),
    listUnackedAfter: (recipientIds, afterSeq) => materialize(pending.after(recipientIds, afterSeq)),
    findMessage,

    listInbox: (recipientId, options) => archived(() => archive.listInbox(recipientId, options)),
    markRead: (recipientId, id, now) => archived(() => archive.markRead(recipientId, id, now)),
    countMessages: (recipientId) => archived(() => archive.countMessages(recipientId)),
    findFile: (fileId) => archived(() => archive.findFile(fileId)),
    purge(ackedBefore, createdBefore) {
      const result = archived(() => archive.purge(ackedBefore, createdBefore));
      pending.dropCreatedBefore(createdBefore);
      return result;
    },
    close() {
      committer.flushSync();
      flush();
      clearTimeout(timer);
      journal.close();
      archive.close();
    },
  };
}

/** Hands whatever the journal holds to the archive (idempotent), so the journal can start empty. */
function recover(archive: SqliteStore, journalPath: string, logger: Logger): void {
  const { lines, damaged } = readMessageJournal(journalPath);
  const messages = new Map<string, Draft>();
  const acks = new Map<string, number>();
  for (const line of lines) {
    for (const m of line.messages ?? []) messages.set(m.id, { ...m, readAt: null, ackedAt: null });
    for (const [id, at] of line.acks ?? []) {
      const draft = messages.get(id);
      if (draft !== undefined) draft.ackedAt ??= at;
      else if (!acks.has(id)) acks.set(id, at);
    }
  }
  if (messages.size > 0 || acks.size > 0) {
    archive.writeMessages([...messages.values()], acks);
    logger.info({ messages: messages.size, acks: acks.size }, "recovered journaled messages into the archive");
  }
  // One line cut short by a crash is expected (its senders were never answered); more means the file was damaged.
  if (damaged > 1) logger.error({ damaged }, "the message journal had damaged lines; every intact line was kept");
}
