/**
 * The queue's append-only journal (`<state file>.journal`): each group commit appends what changed as ONE JSON line
 * and fsyncs, so a write costs the size of the change, not of the queue, and a write cut short by a crash is lost
 * whole (never half a batch). The snapshot is rewritten now and then (compaction); the journal then restarts with a
 * header line naming the snapshot generation it continues, so a crash between the two steps never replays old lines
 * over a newer snapshot.
 */

import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { STATE_FILE_MODE, fsyncDir, readFileIfExists } from "../../infra/index.js";
import { JobSchema, type Job, type QueueState } from "./queue-state.js";

/** One group commit (or a header `{ gen }`): ids taken in, jobs changed or gone, dead letters added or removed. */
export const JournalLineSchema = z.object({
  gen: z.number().int().nonnegative().optional(),
  seen: z.array(z.tuple([z.string(), z.number()])).optional(),
  put: z.array(JobSchema).optional(),
  gone: z.array(z.string()).optional(),
  deadAdd: z.array(JobSchema).optional(),
  deadDrop: z.array(z.string()).optional(),
  /** Older journals: the whole dead-letter list. */
  dead: z.array(JobSchema).optional(),
});
export type JournalLine = z.infer<typeof JournalLineSchema>;

/** Writes `data` at the end of the journal and syncs it; replaceable in tests to simulate a full disk. */
export type AppendFn = (path: string, data: string) => Promise<void>;

export interface JournalFile {
  append(line: JournalLine): Promise<void>;
  /** Empties the journal and starts it with the header of snapshot generation `gen`. */
  reset(gen: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens lazily: nothing is created until the first append (a read-only `queue ls` never writes). */
export function openJournal(path: string, append?: AppendFn): JournalFile {
  let handle: FileHandle | undefined;
  const ensure = async (): Promise<FileHandle> => {
    if (handle === undefined) {
      handle = await open(path, "a", STATE_FILE_MODE);
      await fsyncDir(dirname(path));
    }
    return handle;
  };
  const defaultAppend: AppendFn = async (_path, data) => {
    const h = await ensure();
    await h.write(data);
    await h.datasync();
  };
  const write = append ?? defaultAppend;
  return {
    async append(line) {
      await write(path, `${JSON.stringify(line)}\n`);
    },
    async reset(gen) {
      const h = await ensure();
      await h.truncate(0);
      await h.write(`${JSON.stringify({ gen })}\n`);
      await h.datasync();
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}

export interface ReplayResult {
  readonly state: QueueState;
  /** Complete lines read (including ignored ones). */
  readonly lines: number;
  /** Unparsable lines skipped. */
  readonly skipped: number;
  /** The file does not end with a complete line (a write cut short): never append after it. */
  readonly torn: boolean;
  /** Generation the journal continues (0 when it has no header). */
  readonly gen: number;
  /** The journal continues another snapshot generation and was not applied. */
  readonly stale: boolean;
}

/**
 * Applies the journal at `path` to `state` (idempotent). It is applied only when it continues the snapshot's
 * generation, or when `force` is set (the snapshot was unreadable: what the journal holds is all there is).
 */
export async function replayJournal(path: string, state: QueueState, force = false): Promise<ReplayResult> {
  const text = (await readFileIfExists(path)) ?? "";
  const torn = text !== "" && !text.endsWith("\n");
  const parsed: JournalLine[] = [];
  let skipped = 0;
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    try {
      parsed.push(JournalLineSchema.parse(JSON.parse(raw)));
    } catch {
      skipped++;
    }
  }
  const gen = parsed[0]?.gen ?? 0;
  const lines = parsed.length + skipped;
  if (parsed.length === 0 || (gen !== (state.generation ?? 0) && !force)) {
    return { state, lines, skipped, torn, gen, stale: parsed.length > 0 };
  }
  const jobs = new Map<string, Job>(state.jobs.map((j) => [j.id, j]));
  let dead = new Map<string, Job>(state.dead.map((j) => [j.id, j]));
  const seen = new Map(state.seen);
  for (const line of parsed) {
    for (const [id, at] of line.seen ?? []) seen.set(id, at);
    for (const job of line.put ?? []) jobs.set(job.id, job);
    for (const id of line.gone ?? []) jobs.delete(id);
    if (line.dead !== undefined) dead = new Map(line.dead.map((j) => [j.id, j]));
    for (const id of line.deadDrop ?? []) dead.delete(id);
    for (const job of line.deadAdd ?? []) {
      dead.delete(job.id);
      dead.set(job.id, job);
    }
  }
  const next: QueueState = { version: 1, generation: state.generation ?? 0, jobs: [...jobs.values()], dead: [...dead.values()], seen: [...seen] };
  return { state: next, lines, skipped, torn, gen, stale: false };
}
