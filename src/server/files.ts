/**
 * The file room of the server: attachment bytes on disk as `<dataDir>/files/<fileId>`, owner-only. A file is written
 * durably before the message that carries it is committed, so a delivered message never points at a missing file.
 */

import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { ensureDir, entriesChangedBefore, writeFileDurable } from "../infra/index.js";

export const FILES_DIR = "files";
const FILE_ID = /^[A-Za-z0-9_-]{1,100}$/;

export interface FileStore {
  /** Writes the bytes durably under a new id and answers the id; a stream is written as it arrives. */
  save(content: Uint8Array | AsyncIterable<Uint8Array>): Promise<string>;
  /**
   * Writes new bytes durably under an id already stored (the whole file is swapped at once: a reader sees the old
   * bytes or the new ones); used to seal a file again under a new key. A file that is gone (removed meanwhile) is not
   * written again: ENOENT on disk, CT_NOT_FOUND in PostgreSQL.
   */
  replace(fileId: string, content: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  /** The bytes of a stored file. */
  read(fileId: string): Readable;
  /** Deletes files; ids that are not there are ignored. */
  remove(fileIds: readonly string[]): Promise<void>;
  /** Ids of the files last written before `cutoff` (epoch ms), for the sweep of files no message kept. */
  listWrittenBefore(cutoff: number): Promise<string[]>;
}

export function openFileStore(dataDir: string): FileStore {
  const dir = join(dataDir, FILES_DIR);
  const pathOf = (fileId: string): string => {
    if (!FILE_ID.test(fileId)) throw new Error(`not a file id: ${JSON.stringify(fileId)}`);
    return join(dir, fileId);
  };
  return {
    async save(content) {
      await ensureDir(dir);
      const fileId = randomBytes(18).toString("base64url");
      await writeFileDurable(pathOf(fileId), content);
      return fileId;
    },
    // A file removed meanwhile (purged) stays removed: the swap fails with ENOENT instead of bringing it back.
    replace: (fileId, content) => writeFileDurable(pathOf(fileId), content, { existing: true }),
    read: (fileId) => createReadStream(pathOf(fileId)),
    async remove(fileIds) {
      await Promise.all(fileIds.map((id) => rm(pathOf(id), { force: true })));
    },
    async listWrittenBefore(cutoff) {
      return (await entriesChangedBefore(dir, cutoff)).filter((name) => FILE_ID.test(name));
    },
  };
}
