/**
 * The embedded backend, the default: one data folder, one process. The SQLite archive (`clawtell.db`) holds the
 * directory and the message history; the message journal (`messages.journal`) makes sends and acks durable in front
 * of it. Opening recovers whatever the journal still holds (a crash came between an answer and the hand-over).
 */

import { join } from "node:path";
import { ClawTellError, type Logger } from "../../infra/index.js";
import { createEmbeddedDirectory } from "./embedded-directory.js";
import type { ContentSealing } from "./content-sealing.js";
import { createBufferedQuotas } from "./embedded-quotas.js";
import { openEmbeddedMessages, type EmbeddedMessageStore } from "./embedded-messages.js";
import { createEmbeddedRegistrations } from "./embedded-registrations.js";
import { createEmbeddedSessions } from "./embedded-sessions.js";
import { createEmbeddedIdempotency } from "./embedded-idempotency.js";
import { createEmbeddedReceipts } from "./embedded-receipts.js";
import { createEmbeddedWebhooks } from "./embedded-webhooks.js";
import { createEnqueueSignal } from "./enqueue-signal.js";
import { JOURNAL_FILE } from "./message-journal.js";
import { createSqliteApprovals } from "./sqlite-approvals.js";
import { openSqliteArchive } from "./sqlite-archive.js";
import { createSqliteProfiles } from "./sqlite-profiles.js";
import { createSqliteSealedRows } from "./sqlite-sealed-rows.js";
import type { Storage } from "./storage.js";

export interface EmbeddedStorageOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  /** How long journaled records may wait before the archive takes them over. @defaultValue 200 */
  readonly flushIntervalMs?: number;
  /**
   * How the message port seals its content (the server's encryption at rest); it is then the port's own work, not a
   * wrapper's. @defaultValue stored as it is
   */
  readonly sealing?: ContentSealing;
}

/** Opens the data folder (created owner-only if missing). One process per folder: the caller holds its lock. */
export async function openEmbeddedStorage(opts: EmbeddedStorageOptions): Promise<Storage> {
  const archive = openSqliteArchive({ dataDir: opts.dataDir });
  const enqueued = createEnqueueSignal();
  let messages: EmbeddedMessageStore;
  try {
    messages = openEmbeddedMessages({
      archive,
      enqueued,
      journalPath: join(opts.dataDir, JOURNAL_FILE),
      ...(opts.logger === undefined ? {} : { logger: opts.logger }),
      ...(opts.flushIntervalMs === undefined ? {} : { flushIntervalMs: opts.flushIntervalMs }),
      ...(opts.sealing === undefined ? {} : { sealing: opts.sealing }),
    });
  } catch (err) {
    archive.close();
    throw err;
  }
  const quotas = createBufferedQuotas(archive.database, {
    ...(opts.logger === undefined ? {} : { logger: opts.logger }),
    ...(opts.flushIntervalMs === undefined ? {} : { flushIntervalMs: opts.flushIntervalMs }),
  });
  const sealed = createSqliteSealedRows(archive.database, archive.findChunk);
  let closed = false;
  return {
    directory: createEmbeddedDirectory(archive),
    messages,
    approvals: createSqliteApprovals(archive.database),
    quotas,
    registrations: createEmbeddedRegistrations(archive.database),
    sessions: createEmbeddedSessions(archive.database),
    webhooks: createEmbeddedWebhooks(archive, enqueued),
    receipts: createEmbeddedReceipts(archive, messages, enqueued),
    idempotency: createEmbeddedIdempotency(archive, messages),
    profiles: createSqliteProfiles(archive.database),
    // Journaled messages are handed to the archive before a scan, so that it sees every message. A write-back needs no
    // hand-over: the row it replaces came from the archive, and a later hand-over never rewrites a stored message's
    // subject or body (it inserts new messages and records acks).
    sealedRows: {
      scan: async (table, after, limit, keep) => messages.archived(() => sealed.scan(table, after, limit, keep)),
      replace: async (table, from, to) => sealed.replace(table, from, to),
    },
    async ping() {
      if (closed) throw new ClawTellError("CT_UNAVAILABLE", "the embedded storage is closed");
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await messages.close();
        quotas.close();
      } finally {
        archive.close();
      }
    },
  };
}
