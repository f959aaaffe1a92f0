/** Sweeps of state folders: which entries were last changed before a moment. */

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { isErrnoException } from "./atomic-file.js";

/** Names in `dir` whose last change is before `cutoff` (epoch ms); none when the folder does not exist yet. */
export async function entriesChangedBefore(dir: string, cutoff: number): Promise<string[]> {
  const names = await readdir(dir).catch((err: unknown) => {
    if (isErrnoException(err) && err.code === "ENOENT") return [];
    throw err;
  });
  const old: string[] = [];
  for (const name of names) {
    // Gone since the listing (another sweep, a delete): nothing to report.
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info !== undefined && info.mtimeMs < cutoff) old.push(name);
  }
  return old;
}
