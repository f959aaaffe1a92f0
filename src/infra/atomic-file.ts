/**
 * Durable file writes: write a unique temp file, fsync it, rename it over the target, fsync the directory.
 * After `writeFileDurable` resolves the new content survives a power cut; a crash before that leaves the old content.
 */

import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync } from "node:fs";
import { access, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, basename } from "node:path";

/** Mode of every state file: only the owner may read it (it may hold message bodies). */
export const STATE_FILE_MODE = 0o600;
/** Mode of every state directory. */
export const STATE_DIR_MODE = 0o700;

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `fsyncDir` for code that must not yield (a file opened while nothing else may run). */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function writeFileDurable(
  path: string,
  data: string | Uint8Array | AsyncIterable<Uint8Array>,
  opts: { /** Only over a file that is there: ENOENT, and nothing written, when it is gone by the time of the swap. */ existing?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "w", STATE_FILE_MODE);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (opts.existing === true) await access(path);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Reads a UTF-8 file; `undefined` when it does not exist. Every other failure is raised, never treated as empty. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if (isErrnoException(err) && err.code === "ENOENT") return undefined;
    throw err;
  }
}

export function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && "code" in err;
}
