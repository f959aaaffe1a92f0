/**
 * Names by key prefix, kept in memory while the database says nothing changed. Every authenticated request looks its
 * key's name up; without this each one costs a query. A trigger on `names` (migration 8) sends a notification on
 * `NAME_CHANGES_CHANNEL` with every statement that changes a name row, in its transaction, so every server process
 * (and nothing else) hears of a replaced key, a deleted name or a changed setting once it is committed:
 *
 * - the records are forgotten at each notification, and at once when this process itself writes a name;
 * - while the listening connection is down (or not yet up) nothing is kept: every lookup reads the row;
 * - a row read while a notification arrived is not kept (it may be older than the notification).
 *
 * So a key rotated through another process, or by `clawtell admin`, is refused here as soon as the notification
 * arrives (a few milliseconds after its commit), and a key rotated through this process from its next request on.
 * The listening connection is opened at the first lookup: `clawtell admin`, which looks up no keys, never opens it.
 */

import type { Pool } from "pg";
import { systemClock } from "../../../infra/index.js";
import type { DirectoryStore } from "../directory-store.js";
import type { NameRecord } from "../records.js";
import { createPostgresTransport, type ListenTransport } from "./pg-listen.js";

/** The channel the `names` trigger notifies. */
export const NAME_CHANGES_CHANNEL = "clawtell_names";

/** Above this many remembered prefixes the memory is emptied (made-up prefixes are never remembered anyway). */
const MAX_REMEMBERED_KEYS = 50_000;

export interface CachedKeyDirectory {
  readonly directory: DirectoryStore;
  /** Stops listening. */
  close(): Promise<void>;
}

export function cacheKeyRecords(directory: DirectoryStore, pool: Pool): CachedKeyDirectory {
  const records = new Map<string, NameRecord>();
  let listening = false;
  /** Bumped by every notification, by the listener going up or down, and by this process's own writes. */
  let changes = 0;
  let transport: ListenTransport | undefined;
  let closed = false;

  const changed = (): void => {
    changes++;
    records.clear();
  };
  const listen = (): void => {
    if (transport !== undefined || closed) return;
    transport = createPostgresTransport({ pool, ownsPool: false, channel: NAME_CHANGES_CHANNEL, clock: systemClock });
    transport.start({
      up: () => {
        changed();
        listening = true;
      },
      down: () => {
        listening = false;
        changed();
      },
      message: changed,
    });
  };

  /** A write through this process: what it changed is read again from the next lookup on. */
  const writing =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        changed();
      }
    };

  return {
    directory: {
      ...directory,
      async findNameByKeyPrefix(prefix) {
        listen();
        if (!listening) return directory.findNameByKeyPrefix(prefix);
        const known = records.get(prefix);
        if (known !== undefined) return known;
        const before = changes;
        const record = await directory.findNameByKeyPrefix(prefix);
        if (record !== undefined && listening && changes === before) {
          if (records.size >= MAX_REMEMBERED_KEYS) records.clear();
          records.set(prefix, record);
        }
        return record;
      },
      updateNameSettings: writing(directory.updateNameSettings),
      replaceNameKey: writing(directory.replaceNameKey),
      deleteName: writing(directory.deleteName),
    },
    async close() {
      closed = true;
      listening = false;
      records.clear();
      await transport?.close();
    },
  };
}
