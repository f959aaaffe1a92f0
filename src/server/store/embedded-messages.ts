/**
 * The message port of the embedded backend: messages in flight live in memory behind the fsync'd message journal; the
 * SQLite archive holds the history and takes the journal's messages and acks over in large batches.
 *
 * - A send or an ack is answered once its group's journal line is on disk (group commit: one fdatasync for all the
 *   sends and acks of a tick, run off the event loop while the next group forms). What a group adds or acks becomes
 *   visible to claims only then, in group order. Claims read the pending index in memory and never query; their
 *   leases live in memory too (leases.ts), so a claim is one synchronous step: two claims cannot interleave and take
 *   the same message.
 * - Every `FLUSH_INTERVAL_MS`, or once `FLUSH_BATCH` records wait, the archive writes them in one transaction and the
 *   journal is emptied (once no group is syncing: new groups wait for that moment). Reads of history (inbox, counts, files, purge) hand the waiting records over first, so they
 *   always see everything.
 * - On open, whatever the journal still holds (a crash came between an answer and the hand-over) goes into the
 *   archive before anything else happens. The hand-over is idempotent, so a crash during it is harmless.
 * - With encryption at rest (content-sealing.ts) messages in memory are plain; each journal line is sealed whole, and
 *   the messages of a hand-over are sealed for the archive in chunks, many to a seal. Rows read back from the archive
 *   are opened here, with the chunks they refer to.
 *
 * One server per data folder: the journal belongs to the process that opened it. Each method does its work when it is
 * called and answers an already settled promise, except those that wait for the journal's sync.
 */

import { createSilentLogger, type Logger } from "../../infra/index.js";
import { PLAIN_CONTENT, type ContentPair, type ContentSealing } from "./content-sealing.js";
import type { EnqueueSignal } from "./enqueue-signal.js";
import { createGroupCommitter } from "./group-commit.js";
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord } from "./idempotency-store.js";
import { createLeases } from "./leases.js";
import { openMessageJournal, readMessageJournal } from "./message-journal.js";
import type { MessageStore } from "./message-store.js";
import { createPendingIndex, type PendingEntry, type PendingIndex } from "./pending-index.js";
import type { AckedMessage, MessageRecord } from "./records.js";
import type { SqliteArchive } from "./sqlite-archive.js";

/** How long journaled records may wait before the archive takes them over. */
export const FLUSH_INTERVAL_MS = 200;
/** How many waiting records (messages and acks) make the archive take them over at once. */
export const FLUSH_BATCH = 2_000;
/**
 * Characters of messages the archive has taken over that stay in memory while unacked, oldest first, so that a claim
 * does not read them back: a receiver that fell behind by more than a flush interval then costs a query per message,
 * which slows it further.
 */
export const RESIDENT_CHARS = 16 * 1024 * 1024;
/** What a kept message counts beyond its subject and body. */
const RECORD_OVERHEAD_CHARS = 256;
/**
 * Groups whose journal sync may be on the disk at once: while one group's fdatasync runs, the next group's line is
 * written and its own sync started, instead of waiting for the first to end. Each group is still answered only after
 * its own sync, and groups settle in write order.
 */
export const SYNCS_IN_FLIGHT = 2;

type Draft = { -readonly [K in keyof MessageRecord]: MessageRecord[K] };

const NO_SEQS: ReadonlySet<number> = new Set();

export interface EmbeddedMessagesOptions {
  /** Where the history goes; the caller closes it, after this store. */
  readonly archive: SqliteArchive;
  readonly journalPath: string;
  readonly logger?: Logger;
  /** @defaultValue {@link FLUSH_INTERVAL_MS} */
  readonly flushIntervalMs?: number;
  /** @defaultValue {@link SYNCS_IN_FLIGHT} */
  readonly syncsInFlight?: number;
  /** @defaultValue {@link RESIDENT_CHARS} */
  readonly residentChars?: number;
  /** Fired when a hand-over to the archive queued webhook deliveries. */
  readonly enqueued?: EnqueueSignal;
  /** How message content is sealed in the journal and the archive. @defaultValue {@link PLAIN_CONTENT} (as it is) */
  readonly sealing?: ContentSealing;
}

export interface EmbeddedMessageStore extends MessageStore {
  /** Unacked messages of every name, counted in memory (the server's queue-depth metric reads it). */
  countUnacked(): Promise<number>;
  /** Writes what waits into the journal and hands everything to the archive; the archive stays open. */
  close(): Promise<void>;
  /** Runs `work` on the archive once it has everything journaled (the other embedded ports read through this). */
  archived<T>(work: () => T): T;
  /**
   * The message reached its recipient by another way (a webhook answered 2xx): its first delivery, unless it has one
   * or is acked already.
   */
  markDelivered(id: string, at: number): void;
  /** The key's record, from the journal's bindings or the archive, lapsed or not. */
  keyBinding(accountId: string, key: string): IdempotencyRecord | undefined;
}

/** What one send or ack adds to its group. */
interface Part {
  readonly messages: Draft[];
  readonly acks: Array<[string, number]>;
}

/** Recovers what the journal holds into the archive, then opens the journal empty. */
export function openEmbeddedMessages(opts: EmbeddedMessagesOptions): EmbeddedMessageStore {
  const { archive, journalPath } = opts;
  const logger = opts.logger ?? createSilentLogger();
  const flushIntervalMs = opts.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  const residentBudget = opts.residentChars ?? RESIDENT_CHARS;
  const sealing = opts.sealing ?? PLAIN_CONTENT;
  recover(archive, journalPath, logger, sealing);
  const journal = openMessageJournal(journalPath, { sealing });

  const pending: PendingIndex = createPendingIndex();
  const leases = createLeases();
  for (const row of archive.listPending()) pending.add({ ...row, record: undefined });
  let lastSeq = archive.lastSeq();
  /** Messages in the journal that the archive does not have yet. */
  const unflushed = new Map<string, Draft>();
  /** Acks, in the journal, of messages the archive has. */
  const unflushedAcks = new Map<string, number>();
  /** First deliveries of messages the archive has, not yet written to it (they are not journaled). */
  const unflushedDeliveries = new Map<string, number>();
  /** Idempotency keys bound by journaled messages the archive does not have yet; and those of groups still syncing. */
  const unflushedKeys = new Map<string, IdempotencyRecord>();
  const syncingKeys = new Set<string>();
  const keyOf = (accountId: string, key: string): string => `${accountId}\n${key}`;
  /** A message of the archive with its content opened. */
  const opened = (row: MessageRecord): MessageRecord => withContent(row, sealing.openRow(row, archive.findChunk));
  const archivedMessage = (id: string): MessageRecord | undefined => {
    const row = archive.findMessage(id);
    return row === undefined ? undefined : opened(row);
  };
  /** Characters of the messages kept whole in the pending index that the archive has too. */
  let resident = 0;
  const sizeOf = (record: MessageRecord): number => record.subject.length + record.body.length + RECORD_OVERHEAD_CHARS;
  /** A pending entry leaves the index, or gives up its message: the budget gets it back. */
  const released = (entry: PendingEntry | undefined): void => {
    if (entry?.record !== undefined && !unflushed.has(entry.id)) resident -= sizeOf(entry.record);
  };

  /** Lines are in the journal since its last reset. */
  let journaled = false;
  /** Lines written since the last sync started. */
  let unsynced = false;
  /** The flush timer fired while groups were syncing: flush once they have settled. */
  let flushWanted = false;

  const committer = createGroupCommitter<Part>({
    newPart: () => ({ messages: [], acks: [] }),
    maxInFlight: opts.syncsInFlight ?? SYNCS_IN_FLIGHT,
    log: {
      write(parts) {
        const messages = parts.flatMap((part) => part.messages);
        const acks = parts.flatMap((part) => part.acks);
        if (messages.length === 0 && acks.length === 0) return;
        // Drafts carry readAt/ackedAt (null) besides the journaled fields; replay ignores them.
        journal.write({ ...(messages.length > 0 ? { plain: true, messages } : {}), ...(acks.length > 0 ? { acks } : {}) });
        journaled = true;
        unsynced = true;
      },
      sync() {
        // A group that wrote nothing (acks of messages acked before) needs no sync of its own: it settles in order.
        if (!unsynced) return Promise.resolve();
        unsynced = false;
        return journal.sync();
      },
      apply(parts) {
        for (const part of parts) apply(part);
        scheduleFlush();
      },
    },
    onSettled() {
      if (flushWanted && committer.inFlight() === 0) flushNow();
    },
  });

  const apply = (part: Part): void => {
    for (const message of part.messages) {
      unflushed.set(message.id, message);
      if (message.idempotency !== undefined) unflushedKeys.set(keyOf(message.idempotency.accountId, message.idempotency.key), message.idempotency);
      pending.add({ id: message.id, recipientId: message.recipientId, seq: message.seq, createdAt: message.createdAt, record: message });
    }
    for (const [id, at] of part.acks) {
      const entry = pending.remove(id);
      if (entry === undefined) continue;
      released(entry);
      const draft = unflushed.get(id);
      if (draft !== undefined) draft.ackedAt = at;
      else unflushedAcks.set(id, at);
    }
  };

  /** Hands what is applied to the archive; empties the journal when no group is syncing (else a later flush will). */
  const flush = (): void => {
    if (unflushed.size > 0 || unflushedAcks.size > 0 || unflushedDeliveries.size > 0) {
      const drafts = Array.from(unflushed.values());
      const { forms, chunks } = sealing.sealRows(drafts);
      const rows = drafts.map((draft, i) => withContent(draft, forms[i] ?? draft));
      const hooks = archive.writeMessages(rows, unflushedAcks, unflushedDeliveries, chunks);
      if (hooks > 0) setImmediate(() => opts.enqueued?.fire());
      // Oldest first, the unacked ones stay whole while the budget lasts: they are the next to be claimed.
      for (const [id, record] of unflushed) {
        const entry = pending.get(id);
        if (entry === undefined) continue;
        const size = sizeOf(record);
        if (resident + size <= residentBudget) resident += size;
        else entry.record = undefined;
      }
      unflushed.clear();
      unflushedAcks.clear();
      unflushedDeliveries.clear();
      unflushedKeys.clear();
    }
    // A syncing group's line is in the journal only: the journal restarts once none is.
    if (journaled && committer.inFlight() === 0) {
      journal.reset();
      journaled = false;
    }
  };

  const flushNow = (): void => {
    flushWanted = false;
    try {
      flush();
    } catch (err) {
      // The journal still holds everything; try again later.
      logger.error({ err }, "the archive could not take the journaled messages over; retrying");
      scheduleFlush();
    } finally {
      committer.release();
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const scheduleFlush = (): void => {
    const soon = unflushed.size + unflushedAcks.size >= FLUSH_BATCH;
    if (timer !== undefined && !soon) return;
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        flushWanted = true;
        // New groups wait while the syncing ones settle, so that the journal can restart.
        if (committer.inFlight() === 0) flushNow();
        else committer.hold();
      },
      soon ? 0 : flushIntervalMs,
    );
    timer.unref();
  };

  /** The whole message for a pending entry: from memory while unflushed, else from the archive. */
  const materialize = (entries: ReadonlyArray<{ id: string; record: MessageRecord | undefined }>): MessageRecord[] => {
    const records: MessageRecord[] = [];
    for (const entry of entries) {
      const record = entry.record ?? archivedMessage(entry.id);
      if (record !== undefined) records.push(record);
    }
    return records;
  };

  /** A message with its latest state; an archived one's content as stored unless `open`. */
  const findMessage = (id: string, open: boolean): MessageRecord | undefined => {
    const draft = unflushed.get(id);
    if (draft !== undefined) return draft;
    const row = open ? archivedMessage(id) : archive.findMessage(id);
    if (row === undefined) return undefined;
    const ackedAt = unflushedAcks.get(id) ?? row.ackedAt;
    const deliveredAt = row.deliveredAt ?? unflushedDeliveries.get(id) ?? null;
    return ackedAt === row.ackedAt && deliveredAt === row.deliveredAt ? row : { ...row, ackedAt, deliveredAt };
  };

  /** A message handed out: the first time counts (unflushed ones carry it, the others wait for the hand-over). */
  const delivered = (id: string, at: number): void => {
    const draft = unflushed.get(id);
    if (draft !== undefined) draft.deliveredAt ??= at;
    else if (!unflushedDeliveries.has(id)) {
      unflushedDeliveries.set(id, at);
      scheduleFlush();
    }
  };

  const keyBinding = (accountId: string, key: string): IdempotencyRecord | undefined =>
    unflushedKeys.get(keyOf(accountId, key)) ?? archive.idempotency.find(accountId, key);

  /** Runs a read or write of history after the waiting records have been handed to the archive. */
  const archived = <T>(work: () => T): T => {
    flush();
    return work();
  };

  return {
    insert(messages) {
      const keys: string[] = [];
      const committed = committer.run((part) => {
        for (const m of messages) {
          const binding = m.idempotency;
          if (binding !== undefined) {
            // Another send holds the key (the server lets one at a time through; this is the store's own guard).
            const key = keyOf(binding.accountId, binding.key);
            const held = keyBinding(binding.accountId, binding.key);
            if (syncingKeys.has(key) || (held !== undefined && held.createdAt > binding.createdAt - IDEMPOTENCY_TTL_MS)) continue;
            syncingKeys.add(key);
            keys.push(key);
          }
          part.messages.push({ ...m, seq: ++lastSeq, readAt: null, ackedAt: null, deliveredAt: null });
        }
      });
      return keys.length === 0 ? committed : committed.finally(() => keys.forEach((key) => syncingKeys.delete(key)));
    },
    async claim(recipientIds, { limit, now, leaseUntil, connection }) {
      // No await in here: the rows are leased before any other claim can run.
      const rows = materialize(pending.list(recipientIds, limit, leases.activeFor(recipientIds, now)));
      const holder = connection === undefined ? undefined : leases.holderOf(connection);
      for (const row of rows) {
        leases.lease(row.recipientId, row.seq, leaseUntil, holder);
        delivered(row.id, now);
      }
      return rows;
    },
    async releaseLeases(recipientIds, afterSeq) {
      leases.releaseEnded(recipientIds);
      if (afterSeq !== undefined) leases.releaseAfter(recipientIds, afterSeq);
    },
    pendingState: async (recipientIds, now) => ({
      unacked: pending.list(recipientIds, 1, NO_SEQS).length > 0,
      nextLeaseEnd: leases.nextExpiry(recipientIds, now),
    }),
    countUnacked: async () => pending.size(),
    listUnacked: async (recipientIds, limit, excludeSeqs = NO_SEQS) => materialize(pending.list(recipientIds, limit, excludeSeqs)),
    find: async (id) => findMessage(id, true),
    ack(recipientIds, ids, now) {
      if (recipientIds.length === 0 || ids.length === 0) return Promise.resolve([]);
      const theirs = new Set(recipientIds);
      const committed = committer.run((part) => {
        const acked: AckedMessage[] = [];
        for (const id of new Set(ids)) {
          const entry = pending.get(id);
          if (entry !== undefined) {
            if (!theirs.has(entry.recipientId)) continue;
            part.acks.push([id, now]);
            acked.push({ id, recipientId: entry.recipientId, seq: entry.seq });
            continue;
          }
          // Acked before (an ack is idempotent), or not theirs, or unknown.
          const known = findMessage(id, false);
          if (known !== undefined && theirs.has(known.recipientId)) acked.push({ id, recipientId: known.recipientId, seq: known.seq });
        }
        return acked;
      });
      return committed.then((acked) => {
        for (const row of acked) leases.release(row.recipientId, row.seq);
        return acked;
      });
    },

    listInbox: async (recipientId, query) => archived(() => archive.listInbox(recipientId, query).map(opened)),
    markRead: async (recipientId, id, now) =>
      archived(() => {
        // The kept copy would not show the read mark: the archive's row is read from now on.
        const entry = pending.get(id);
        released(entry);
        if (entry !== undefined) entry.record = undefined;
        return archive.markRead(recipientId, id, now);
      }),
    count: async (recipientId) => archived(() => archive.countMessages(recipientId)),
    findFile: async (fileId) => archived(() => archive.findFile(fileId)),
    async purge(ackedBefore, createdBefore) {
      const { hooks, ...result } = archived(() => archive.purge(ackedBefore, createdBefore));
      for (const entry of pending.dropCreatedBefore(createdBefore)) released(entry);
      if (hooks > 0) opts.enqueued?.fire();
      return result;
    },
    archived,
    // A receipt only moves forward: a message acked (or gone) takes no later delivery.
    markDelivered(id, at) {
      if (pending.get(id) !== undefined) delivered(id, at);
    },
    keyBinding,
    async close() {
      await committer.drain();
      clearTimeout(timer);
      flush();
      journal.close();
    },
  };
}

/** A record with its subject and body replaced (the record itself when they are the same). */
function withContent<T extends MessageRecord>(record: T, content: ContentPair): T {
  return content.subject === record.subject && content.body === record.body ? record : { ...record, subject: content.subject, body: content.body };
}

/**
 * Hands whatever the journal holds to the archive (idempotent), so the journal can start empty. Messages of a line
 * that holds them as sent are sealed under the key the line was sealed under.
 */
function recover(archive: SqliteArchive, journalPath: string, logger: Logger, sealing: ContentSealing): void {
  const { lines, damaged } = readMessageJournal(journalPath, sealing);
  const messages = new Map<string, Draft>();
  const acks = new Map<string, number>();
  for (const line of lines) {
    for (const m of line.messages ?? []) {
      const content = line.plain === true ? sealing.sealRow(m, line.sealedUnder) : m;
      messages.set(m.id, { ...m, subject: content.subject, body: content.body, readAt: null, ackedAt: null });
    }
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
