/**
 * A lowdb adapter that makes every write durable (temp file, fsync, rename, fsync dir; mode 0600) and refuses to
 * treat an unreadable file as empty: a corrupt file is moved aside, an alarm is raised, and the queue starts empty —
 * never a silent wipe.
 */

import { rename } from "node:fs/promises";
import type { Adapter } from "lowdb";
import type { ZodType } from "zod";
import { ClawTellError, readFileIfExists, writeFileDurable } from "../../infra/index.js";

/** What was found unreadable, where it was moved, and why. */
export interface CorruptFileReport {
  readonly path: string;
  readonly movedTo: string;
  readonly reason: string;
}

export interface DurableFileAdapterOptions<T> {
  readonly path: string;
  readonly schema: ZodType<T>;
  readonly now: () => number;
  readonly onCorrupt: (report: CorruptFileReport) => void;
  /** Replaces the durable write (tests inject disk-full failures here). */
  readonly write?: (path: string, data: string) => Promise<void>;
  /** A reader beside the daemon: a corrupt file is reported (`CT_STATE_CORRUPT`), never moved; writes are refused. */
  readonly readOnly?: boolean;
}

/** A lowdb adapter over `options.path`; `read` resolves null when the file is missing or was moved aside as corrupt. */
export function createDurableFileAdapter<T>(options: DurableFileAdapterOptions<T>): Adapter<T> {
  const write = options.write ?? writeFileDurable;
  return {
    async read() {
      const text = await readFileIfExists(options.path);
      if (text === undefined) return null;
      let reason: string;
      try {
        const parsed = options.schema.safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
        reason = `unexpected content: ${parsed.error.issues[0]?.message ?? "invalid"}`;
      } catch (err) {
        reason = `not JSON: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (options.readOnly === true) throw new ClawTellError("CT_STATE_CORRUPT", `${options.path}: ${reason}`, { field: options.path });
      const movedTo = `${options.path}.corrupt-${options.now()}`;
      await rename(options.path, movedTo);
      options.onCorrupt({ path: options.path, movedTo, reason });
      return null;
    },
    async write(data) {
      if (options.readOnly === true) throw new ClawTellError("CT_STATE_WRITE_FAILED", `${options.path} was opened read-only`);
      await write(options.path, JSON.stringify(data));
    },
  };
}
