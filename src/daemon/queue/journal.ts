/**
 * The queue's append-only journal: each group commit appends what changed as ONE JSON line and fsyncs, so a write
 * costs the size of the change, not of the queue, and a write cut short by a crash is lost whole (never half a
 * batch: a surviving "seen" without its job would make the redelivery look like a duplicate). The lowdb snapshot is
 * rewritten now and then (compaction), after which the journal starts empty. Replay is idempotent.
 */

import { open, type FileHandle } from "node:fs/promises";
import { z } from "zod";
import { STATE_FILE_MODE, fsyncDir, readFileIfExists } from "../../infra/index.js";
import { JobSchema, type Job, type QueueState } from "./queue-state.js";
import { dirname } from "node:path";

/** One group commit: ids taken in, jobs whose state changed, jobs that left the queue, and the dead letters if changed. */
export const JournalLineSchema = z.object({
  seen: z.array(z.tuple([z.string(), z.number()])).optional(),
  put: z.array(JobSchema).optional(),
  gone: z.array(z.string()).optional(),
  dead: z.array(JobSchema).optional(),
});
export type JournalLine = z.infer<typeof JournalLineSchema>;

/** Appends and syncs; `appendDurable` can be replaced in tests to simulate a full disk. */
export interface JournalFile {
  append(line: JournalLine): Promise<void>;
  /** Empties the journal (after a snapshot holds everything). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export type AppendFn = (path: string, data: string) => Promise<void>;

export async function openJournal(path: string, append?: AppendFn): Promise<JournalFile> {
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
    async reset() {
      const h = await ensure();
      await h.truncate(0);
      await h.datasync();
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}

/**
 * Applies the journal to a snapshot. Unreadable lines are skipped and counted; `torn` says the file does not end with
 * a complete line (a write cut short by a crash) — the caller must not append after it (it rewrites the snapshot).
 */
export async function replayJournal(path: string, state: QueueState): Promise<{ state: QueueState; skipped: number; lines: number; torn: boolean }> {
  const text = await readFileIfExists(path);
  if (text === undefined || text === "") return { state, skipped: 0, lines: 0, torn: false };
  const torn = !text.endsWith("\n");
  const jobs = new Map<string, Job>(state.jobs.map((j) => [j.id, j]));
  let dead = state.dead;
  const seen = new Map(state.seen);
  let skipped = 0;
  let lines = 0;
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    lines++;
    let line: JournalLine;
    try {
      line = JournalLineSchema.parse(JSON.parse(raw));
    } catch {
      skipped++;
      continue;
    }
    for (const [id, at] of line.seen ?? []) seen.set(id, at);
    for (const job of line.put ?? []) jobs.set(job.id, job);
    for (const id of line.gone ?? []) jobs.delete(id);
    if (line.dead !== undefined) dead = line.dead;
  }
  return { state: { version: 1, jobs: [...jobs.values()], dead, seen: [...seen] }, skipped, lines, torn };
}
