/**
 * The queue's append-only journal: each group commit appends only what changed (one JSON line per change) and
 * fsyncs, so a write costs the size of the change, not of the queue. The lowdb snapshot is rewritten now and then
 * (compaction), after which the journal starts empty. Replay is idempotent: every line carries a whole state.
 */

import { open, type FileHandle } from "node:fs/promises";
import { z } from "zod";
import { STATE_FILE_MODE, fsyncDir, readFileIfExists } from "../../infra/index.js";
import { JobSchema, type Job, type QueueState } from "./queue-state.js";
import { dirname } from "node:path";

export const JournalLineSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("job"), job: JobSchema }),
  z.object({ t: z.literal("gone"), id: z.string() }),
  z.object({ t: z.literal("dead"), dead: z.array(JobSchema) }),
  z.object({ t: z.literal("seen"), ids: z.array(z.tuple([z.string(), z.number()])) }),
]);
export type JournalLine = z.infer<typeof JournalLineSchema>;

/** Appends and syncs; `appendDurable` can be replaced in tests to simulate a full disk. */
export interface JournalFile {
  append(lines: readonly JournalLine[]): Promise<void>;
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
    async append(lines) {
      if (lines.length === 0) return;
      await write(path, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
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
    if (line.t === "job") jobs.set(line.job.id, line.job);
    else if (line.t === "gone") jobs.delete(line.id);
    else if (line.t === "dead") dead = line.dead;
    else for (const [id, at] of line.ids) seen.set(id, at);
  }
  return { state: { version: 1, jobs: [...jobs.values()], dead, seen: [...seen] }, skipped, lines, torn };
}
