/**
 * The embedded message store's sealing (store/content-sealing.ts), made of the server's sealer: journal lines sealed
 * whole as single fields (`messages.journal <generation>`), and the rows of a hand-over in chunks (seal.ts): up to
 * {@link CHUNK_ROWS} messages or {@link CHUNK_CHARS} characters share one seal. A message longer than
 * {@link ALONE_CHARS}, or one left alone at the end, is sealed as its own pair.
 *
 * A chunk is opened whole to read one of its rows, so its size bounds what such a read costs (the sealer keeps the
 * last few chunks it opened: rows read together mostly share them), and its content stays on disk until its last row
 * is purged.
 */

import { randomBytes } from "node:crypto";
import type { ContentPair, ContentSealing, RowContent, SealedChunk } from "../store/index.js";
import { sealedKeyId, type Sealer } from "./seal.js";
import { messageContext } from "./sealed-storage.js";

/** Rows sharing one chunk at most. */
export const CHUNK_ROWS = 128;
/** Characters of subjects and bodies in one chunk at most (a row that would go past it starts the next chunk). */
export const CHUNK_CHARS = 64 * 1024;
/** A message with more characters than this is sealed alone. */
export const ALONE_CHARS = 16 * 1024;

/** A new chunk's id: 16 random bytes (ids of chunks written again after a crash never meet those written before). */
const newChunkId = (): string => randomBytes(16).toString("base64url");

export function createContentSealing(sealer: Sealer, opts: { readonly sealNew: boolean }): ContentSealing {
  /** A row sealed as its own pair (under `keyId`, else the current key). */
  const alone = (row: RowContent, keyId?: string): ContentPair => sealer.sealPair(row.subject, row.body, messageContext(row.id), keyId);
  return {
    sealsNew: opts.sealNew,
    sealLine: (text, context) => sealer.seal(text, context),
    openLine: (stored, context) => sealer.open(stored, context),
    lineKeyId: sealedKeyId,
    sealRow: alone,
    openRow: (row, chunks) => sealer.openPair(row.subject, row.body, messageContext(row.id), chunks),
    sealRows(rows) {
      if (!opts.sealNew) return { forms: rows.map((row) => alone(row)), chunks: [] };
      const forms: ContentPair[] = new Array<ContentPair>(rows.length);
      const chunks: SealedChunk[] = [];
      /** Indexes of the rows waiting for the current chunk, and their characters. */
      let members: number[] = [];
      let chars = 0;
      const close = (): void => {
        const [first] = members;
        if (members.length === 1 && first !== undefined) forms[first] = alone(rows[first] as RowContent);
        else if (members.length > 1) {
          const id = newChunkId();
          const entries = members.map((i) => {
            const row = rows[i] as RowContent;
            return { context: messageContext(row.id), subject: row.subject, body: row.body };
          });
          const chunk = sealer.sealChunk(entries, id);
          members.forEach((i, k) => (forms[i] = chunk.rows[k] as ContentPair));
          chunks.push({ id, sealed: chunk.sealed, messageIds: members.map((i) => (rows[i] as RowContent).id) });
        }
        members = [];
        chars = 0;
      };
      rows.forEach((row, i) => {
        const size = row.subject.length + row.body.length;
        if (size > ALONE_CHARS) {
          forms[i] = alone(row);
          return;
        }
        if (members.length >= CHUNK_ROWS || chars + size > CHUNK_CHARS) close();
        members.push(i);
        chars += size;
      });
      close();
      return { forms, chunks };
    },
  };
}
