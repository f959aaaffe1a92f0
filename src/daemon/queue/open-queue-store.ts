/**
 * Ways to get a `QueueStore`: the durable file store of the daemon, and its in-memory twin for tests of the pipeline.
 * Both pass the same conformance suite (test/unit/daemon/queue-store-contract.ts).
 *
 * Files: one store per account, `<stateDir>/queue-<accountId>.json` (the snapshot, written by atomic rename),
 * `….json.journal` (append-only, one line per group commit) and `….json.dead-letters.overflow.jsonl` (dead letters
 * pushed off a full shelf). All are mode 0600. One file per account keeps accounts independent: a corrupt or full
 * file stops one account, not all.
 */

import { createSilentLogger, systemClock } from "../../infra/index.js";
import { createMemoryPersistence, openFilePersistence, type FilePersistenceOptions, type WriteKind } from "./persistence.js";
import type { QueueStore, QueueStoreOptions } from "./queue-port.js";
import { createQueueStore } from "./queue-store.js";
import type { AppendFn } from "./journal.js";
import { acquireQueueLock } from "./queue-lock.js";

export interface FileQueueStoreOptions extends Partial<Pick<QueueStoreOptions, "clock">>, Omit<QueueStoreOptions, "clock" | "overflowPath"> {
  /** The snapshot file, e.g. `<stateDir>/queue-<accountId>.json`. */
  readonly path: string;
  /** Replaces the durable snapshot write (tests inject disk-full failures). */
  readonly write?: (path: string, data: string) => Promise<void>;
  /** Replaces the durable journal append (tests inject disk-full failures). */
  readonly append?: AppendFn;
  /** Journal lines (group commits) after which the snapshot is rewritten. @defaultValue 5000 */
  readonly compactAfterLines?: number;
  /** Called after every completed durable write. */
  readonly onWrite?: (kind: WriteKind) => void;
  /**
   * Look without taking the file (a CLI beside a running daemon): no lock, nothing written, moved or created;
   * changes are refused with `CT_STATE_WRITE_FAILED`. Otherwise the store holds `<path>.lock` until closed.
   */
  readonly readOnly?: boolean;
}

/**
 * Opens (or creates) the durable queue at `path`; a corrupt snapshot is moved aside with a `state_corrupt` alarm.
 * Throws `CT_CONFLICT` when another live process has it open.
 */
export async function openFileQueueStore(options: FileQueueStoreOptions): Promise<QueueStore> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const readOnly = options.readOnly === true;
  const lock = readOnly ? undefined : await acquireQueueLock(options.path, logger);
  const persistenceOptions: FilePersistenceOptions = {
    path: options.path,
    logger,
    now: () => clock.now(),
    onCorrupt: (report) => {
      logger.error({ report }, "queue alarm");
      options.onAlarm?.({ kind: "state_corrupt", report });
    },
    ...(options.write === undefined ? {} : { write: options.write }),
    ...(options.append === undefined ? {} : { append: options.append }),
    ...(options.compactAfterLines === undefined ? {} : { compactAfterLines: options.compactAfterLines }),
    ...(options.onWrite === undefined ? {} : { onWrite: options.onWrite }),
    ...(readOnly ? { readOnly } : {}),
  };
  try {
    const persistence = await openFilePersistence(persistenceOptions);
    const store = createQueueStore(persistence, { ...options, clock, logger, overflowPath: `${options.path}.dead-letters.overflow.jsonl` });
    if (lock === undefined) return store;
    return {
      ...store,
      async close() {
        try {
          await store.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

export type MemoryQueueStoreOptions = Partial<Omit<QueueStoreOptions, "overflowPath">> & { readonly onWrite?: (kind: WriteKind) => void };

/** The in-memory twin: same behaviour, nothing on disk (dead letters beyond the limit are only reported). */
export function createMemoryQueueStore(options: MemoryQueueStoreOptions = {}): QueueStore {
  const { onWrite, ...rest } = options;
  return createQueueStore(createMemoryPersistence(onWrite), { ...rest, clock: options.clock ?? systemClock, logger: options.logger ?? createSilentLogger() });
}

/** Opens the file store when `path` is given, else the in-memory twin (kept for existing callers). */
export async function openQueueStore(options: FileQueueStoreOptions | (MemoryQueueStoreOptions & { readonly path?: undefined })): Promise<QueueStore> {
  return options.path === undefined ? createMemoryQueueStore(options) : openFileQueueStore(options);
}
