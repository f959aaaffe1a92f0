/**
 * Attachment bytes in PostgreSQL, so that every server process on the database can serve every file. A file is
 * written (committed) before the message that carries it is sent, as with files on disk.
 *
 * Bytes given whole are one `file_contents` row. A stream is written as it arrives, in `file_chunks` rows of
 * {@link FILE_CHUNK_BYTES} under a `file_contents` row that stays `complete = false` (never served) until the last
 * chunk is in; a write that fails removes what it wrote. Reading yields the row's own content and then the chunks one
 * query at a time, as the reader asks for them: neither side holds a streamed file whole.
 */

import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { ClawTellError } from "../../../infra/index.js";
import type { FileStore } from "../../files.js";
import type { Database } from "./pg-database.js";

/** Bytes per `file_chunks` row. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/** The stream in pieces of exactly `size` bytes (the last one shorter), whatever sizes it arrives in. */
async function* rechunked(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let held = 0;
  for await (const chunk of source) {
    pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    held += chunk.byteLength;
    while (held >= size) {
      const joined = Buffer.concat(pending, held);
      yield joined.subarray(0, size);
      pending = held > size ? [joined.subarray(size)] : [];
      held -= size;
    }
  }
  if (held > 0) yield Buffer.concat(pending, held);
}

export function createPostgresFileStore(db: Database, now: () => number = Date.now): FileStore {
  const saveStream = async (fileId: string, content: AsyncIterable<Uint8Array>): Promise<void> => {
    await db.query("INSERT INTO file_contents (file_id, content, written_at, complete) VALUES ($1, ''::bytea, $2, false)", [fileId, now()]);
    try {
      let seq = 0;
      for await (const piece of rechunked(content, FILE_CHUNK_BYTES)) {
        await db.query("INSERT INTO file_chunks (file_id, seq, content) VALUES ($1, $2, $3)", [fileId, seq, piece]);
        seq += 1;
      }
      await db.query("UPDATE file_contents SET complete = true WHERE file_id = $1", [fileId]);
    } catch (err) {
      await db.query("DELETE FROM file_contents WHERE file_id = $1", [fileId]).catch(() => undefined);
      throw err;
    }
  };

  return {
    async save(content) {
      const fileId = randomBytes(18).toString("base64url");
      if (content instanceof Uint8Array) {
        await db.query("INSERT INTO file_contents (file_id, content, written_at) VALUES ($1, $2, $3)", [fileId, Buffer.from(content), now()]);
      } else {
        await saveStream(fileId, content);
      }
      return fileId;
    },
    async replace(fileId, content) {
      // One transaction: a reader sees the old file or the new one, never a mix of their chunks.
      await db.transaction(async (client) => {
        // The row is locked first: a removal waits for the swap, and a file removed before it is not written again.
        const kept = await client.query("SELECT 1 FROM file_contents WHERE file_id = $1 AND complete FOR UPDATE", [fileId]);
        if (kept.rows.length === 0) throw new ClawTellError("CT_NOT_FOUND", "File not found", { field: "fileId" });
        await client.query("DELETE FROM file_chunks WHERE file_id = $1", [fileId]);
        if (content instanceof Uint8Array) {
          await client.query("UPDATE file_contents SET content = $2 WHERE file_id = $1", [fileId, Buffer.from(content)]);
          return;
        }
        await client.query("UPDATE file_contents SET content = ''::bytea WHERE file_id = $1", [fileId]);
        let seq = 0;
        for await (const piece of rechunked(content, FILE_CHUNK_BYTES)) {
          await client.query("INSERT INTO file_chunks (file_id, seq, content) VALUES ($1, $2, $3)", [fileId, seq, piece]);
          seq += 1;
        }
      });
    },
    read(fileId) {
      // The queries run as the stream is read; a missing file fails the stream, like a missing file on disk.
      return Readable.from(
        (async function* () {
          const [row] = await db.query<{ content: Buffer }>("SELECT content FROM file_contents WHERE file_id = $1 AND complete", [fileId]);
          if (row === undefined) throw new ClawTellError("CT_NOT_FOUND", "File not found", { field: "fileId" });
          if (row.content.length > 0) yield row.content;
          for (let seq = 0; ; seq++) {
            const [chunk] = await db.query<{ content: Buffer }>("SELECT content FROM file_chunks WHERE file_id = $1 AND seq = $2", [fileId, seq]);
            if (chunk === undefined) return;
            yield chunk.content;
          }
        })(),
        { objectMode: false },
      );
    },
    async remove(fileIds) {
      if (fileIds.length === 0) return;
      await db.query("DELETE FROM file_contents WHERE file_id = ANY($1::text[])", [fileIds]);
    },
    async listWrittenBefore(cutoff) {
      return (await db.query<{ file_id: string }>("SELECT file_id FROM file_contents WHERE written_at < $1", [cutoff])).map((r) => r.file_id);
    },
  };
}
