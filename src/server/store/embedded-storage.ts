/**
 * The embedded backend, the default: one data folder, one process. The SQLite archive (`clawtell.db`) holds the
 * directory and the message history; the message journal (`messages.journal`) makes sends and acks durable in front
 * of it. Opening recovers whatever the journal still holds (a crash came between an answer and the hand-over).
 */

import { join } from "node:path";
import { ClawTellError, type Logger } from "../../infra/index.js";
import { createEmbeddedDirectory } from "./embedded-directory.js";
import { openEmbeddedMessages, type EmbeddedMessageStore } from "./embedded-messages.js";
import { JOURNAL_FILE } from "./message-journal.js";
import { openSqliteArchive } from "./sqlite-archive.js";
import { createSqliteProfiles } from "./sqlite-profiles.js";
import type { Storage } from "./storage.js";

export interface EmbeddedStorageOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  /** How long journaled records may wait before the archive takes them over. @defaultValue 200 */
  readonly flushIntervalMs?: number;
}

/** Opens the data folder (created owner-only if missing). One process per folder: the caller holds its lock. */
export async function openEmbeddedStorage(opts: EmbeddedStorageOptions): Promise<Storage> {
  const archive = openSqliteArchive({ dataDir: opts.dataDir });
  let messages: EmbeddedMessageStore;
  try {
    messages = openEmbeddedMessages({
      archive,
      journalPath: join(opts.dataDir, JOURNAL_FILE),
      ...(opts.logger === undefined ? {} : { logger: opts.logger }),
      ...(opts.flushIntervalMs === undefined ? {} : { flushIntervalMs: opts.flushIntervalMs }),
    });
  } catch (err) {
    archive.close();
    throw err;
  }
  let closed = false;
  return {
    directory: createEmbeddedDirectory(archive),
    messages,
    profiles: createSqliteProfiles(archive.database),
    async ping() {
      if (closed) throw new ClawTellError("CT_UNAVAILABLE", "the embedded storage is closed");
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await messages.close();
      } finally {
        archive.close();
      }
    },
  };
}
