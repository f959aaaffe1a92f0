/**
 * Attachment bytes in PostgreSQL (`file_contents`), so that every server process on the database can serve every
 * file. A file is written (committed) before the message that carries it is sent, as with files on disk.
 */

import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { ClawTellError } from "../../../infra/index.js";
import type { FileStore } from "../../files.js";
import type { Database } from "./pg-database.js";

export function createPostgresFileStore(db: Database, now: () => number = Date.now): FileStore {
  return {
    async save(content) {
      const fileId = randomBytes(18).toString("base64url");
      await db.query("INSERT INTO file_contents (file_id, content, written_at) VALUES ($1, $2, $3)", [fileId, await bytesOf(content), now()]);
      return fileId;
    },
    async replace(fileId, content) {
      await db.query("UPDATE file_contents SET content = $2 WHERE file_id = $1", [fileId, await bytesOf(content)]);
    },
    read(fileId) {
      // The query runs when the stream is first read; a missing file fails the stream, like a missing file on disk.
      return Readable.from(
        (async function* () {
          const [row] = await db.query<{ content: Buffer }>("SELECT content FROM file_contents WHERE file_id = $1", [fileId]);
          if (row === undefined) throw new ClawTellError("CT_NOT_FOUND", "File not found", { field: "fileId" });
          yield row.content;
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

async function bytesOf(content: Uint8Array | AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (content instanceof Uint8Array) return Buffer.from(content);
  const chunks: Uint8Array[] = [];
  for await (const chunk of content) chunks.push(chunk);
  return Buffer.concat(chunks);
}
