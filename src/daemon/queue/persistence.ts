/**
 * Where the queue's state goes: the file persistence (a lowdb snapshot written durably, plus the append-only journal
 * of group commits, compacted into the snapshot now and then) and the memory persistence of the in-memory twin.
 */

import { Low } from "lowdb";
import { ClawTellError, type Logger } from "../../infra/index.js";
import { createDurableFileAdapter, type CorruptFileReport } from "./durable-file-adapter.js";
import { openJournal, replayJournal, type AppendFn, type JournalLine } from "./journal.js";
import { QueueStateSchema, emptyQueueState, type QueueState } from "./queue-state.js";

/** What one durable write was: an appended journal line, or a full snapshot (compaction). */
export type WriteKind = "journal" | "snapshot";

export interface QueuePersistence {
  /** The state found at open. */
  readonly loaded: QueueState;
  /** Makes `changes` durable; when a compaction is due, writes `full()` instead. Throws when the disk refuses. */
  write(changes: JournalLine, full: () => QueueState): Promise<void>;
  /** Completed writes so far. */
  writes(): number;
  close(): Promise<void>;
}

export function createMemoryPersistence(onWrite?: (kind: WriteKind) => void): QueuePersistence {
  let writes = 0;
  return {
    loaded: emptyQueueState(),
    async write() {
      writes++;
      onWrite?.("journal");
    },
    writes: () => writes,
    async close() {},
  };
}

export interface FilePersistenceOptions {
  /** The snapshot; the journal is `<path>.journal`. */
  readonly path: string;
  readonly logger: Logger;
  readonly now: () => number;
  readonly onCorrupt: (report: CorruptFileReport) => void;
  /** Replaces the durable snapshot write (tests inject disk-full failures). */
  readonly write?: (path: string, data: string) => Promise<void>;
  /** Replaces the durable journal append (tests inject disk-full failures). */
  readonly append?: AppendFn;
  /** Journal lines after which the snapshot is rewritten. @defaultValue 5000 */
  readonly compactAfterLines?: number;
  /** Called after every completed write (tests count group commits). */
  readonly onWrite?: (kind: WriteKind) => void;
  /** Load only (a CLI beside a running daemon): nothing is written, moved or created. */
  readonly readOnly?: boolean;
}

export async function openFilePersistence(options: FilePersistenceOptions): Promise<QueuePersistence> {
  const log = options.logger;
  const adapter = createDurableFileAdapter({
    path: options.path,
    schema: QueueStateSchema,
    now: options.now,
    onCorrupt: options.onCorrupt,
    ...(options.write === undefined ? {} : { write: options.write }),
    ...(options.readOnly === true ? { readOnly: true } : {}),
  });
  const db = new Low<QueueState>(adapter, emptyQueueState());
  const journalPath = `${options.path}.journal`;

  // A reader in another process (`clawtell queue ls`) may catch the daemon between writing a new snapshot and
  // restarting the journal; reading again then sees both sides of the compaction.
  // Without a readable snapshot (none yet, or a corrupt one moved aside) the journal is applied whatever its generation.
  let snapshotMissing = false;
  const load = async () => {
    const data = await adapter.read();
    snapshotMissing = data === null;
    db.data = data ?? emptyQueueState();
    return replayJournal(journalPath, db.data, snapshotMissing);
  };
  let replayed = await load();
  for (let i = 0; i < 3 && replayed.stale && replayed.gen > (db.data.generation ?? 0); i++) replayed = await load();
  if (replayed.skipped > 0) log.warn({ skipped: replayed.skipped }, "unreadable journal lines skipped (an interrupted write)");
  if (replayed.stale) log.info({ gen: replayed.gen }, "journal of an older snapshot ignored (its lines are in the snapshot)");
  if (options.readOnly === true) {
    return {
      loaded: replayed.state,
      write: () => Promise.reject(new ClawTellError("CT_STATE_WRITE_FAILED", `${options.path} was opened read-only`)),
      writes: () => 0,
      close: async () => undefined,
    };
  }

  const journal = openJournal(journalPath, options.append);
  const compactAfter = options.compactAfterLines ?? 5_000;
  let generation = replayed.state.generation ?? 0;
  let journalLines = replayed.lines;
  let writes = 0;
  // Never append after a torn, unreadable or foreign line: the next write is a snapshot that restarts the journal.
  let mustCompact = replayed.torn || replayed.skipped > 0 || replayed.stale || (snapshotMissing && replayed.gen > 0) || journalLines >= compactAfter;

  const done = (kind: WriteKind): void => {
    writes++;
    options.onWrite?.(kind);
  };
  return {
    loaded: replayed.state,
    async write(changes, full) {
      if (mustCompact) {
        db.data = { ...full(), generation: generation + 1 };
        await db.write();
        generation += 1;
        await journal.reset(generation);
        journalLines = 1;
        mustCompact = false;
        done("snapshot");
        return;
      }
      try {
        await journal.append(changes);
      } catch (err) {
        // Part of the line may be on disk: fold everything into a snapshot next time instead of appending after it.
        mustCompact = true;
        throw err;
      }
      journalLines += 1;
      if (journalLines >= compactAfter) mustCompact = true;
      done("journal");
    },
    writes: () => writes,
    close: () => journal.close(),
  };
}
