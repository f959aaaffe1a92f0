/**
 * How the embedded message store keeps message content unreadable in its files: a port the server's encryption at
 * rest (crypto/content-sealing.ts) fills. The store holds the messages in flight as plain text in memory (claims hand
 * them out as they are) and seals only what it writes:
 *
 * - each group's journal line whole, in one seal (`sealLine`), on the way to the disk;
 * - the messages the archive takes over, when it does (`sealRows`): many short messages share one seal, a chunk
 *   stored apart from the rows, each row holding a reference into it; a message too long to share is sealed alone.
 *   One seal per chunk instead of one per message is what keeps the hand-over cheap.
 *
 * Rows read back from the archive are opened (`openRow`), with the chunks they refer to at hand. With new content
 * stored plain (`--no-encryption`) journal lines stay plain, rows are stored in their escaped plain form, and content
 * sealed before still opens.
 */

import { ClawTellError } from "../../infra/index.js";

/** A message's subject and body: plain, or in their stored form. */
export interface ContentPair {
  readonly subject: string;
  readonly body: string;
}

/** A message's content with its id (the row a sealed form is bound to). */
export interface RowContent extends ContentPair {
  readonly id: string;
}

/** Several rows' content sealed as one value, stored apart from the rows (`messageIds` refer to it). */
export interface SealedChunk {
  readonly id: string;
  readonly sealed: string;
  readonly messageIds: readonly string[];
}

/** The stored forms of rows being written, in order, and the chunks they refer to. */
export interface SealedRows {
  readonly forms: ContentPair[];
  readonly chunks: SealedChunk[];
}

/** The sealed text of a chunk by its id (undefined when it is gone). */
export type ChunkLookup = (chunkId: string) => string | undefined;

export interface ContentSealing {
  /** Whether new journal lines are sealed (false: `--no-encryption`). */
  readonly sealsNew: boolean;
  /** A journal line's text sealed under the current key, bound to `context` (the line's generation). */
  sealLine(text: string, context: string): string;
  /** The text of a sealed journal line; CT_STATE_CORRUPT when it does not open. */
  openLine(stored: string, context: string): string;
  /**
   * A message's content in its stored form for the archive, alone: sealed under `keyId` when given (the key its
   * journal line was sealed under), else under the current key (escaped plain when new content is stored plain).
   */
  sealRow(row: RowContent, keyId?: string): ContentPair;
  /** Messages' content in their stored forms for the archive, sealed under the current key, in chunks where they fit. */
  sealRows(rows: readonly RowContent[]): SealedRows;
  /** The plain content of a stored row; `chunks` finds what it refers to. CT_STATE_CORRUPT when it does not open. */
  openRow(row: RowContent, chunks: ChunkLookup): ContentPair;
  /** The key id a sealed journal line names. */
  lineKeyId(stored: string): string | undefined;
}

/**
 * No sealing: journal lines and rows are stored as they are, and a sealed journal line cannot be read (tools that
 * open a data folder without its keys).
 */
export const PLAIN_CONTENT: ContentSealing = {
  sealsNew: false,
  sealLine: (text) => text,
  openLine(): string {
    throw new ClawTellError("CT_CONFIG_INVALID", "the message journal holds sealed sends: give the master key (CLAWTELL_MASTER_KEY or --master-key-file)", {
      field: "masterKeyFile",
    });
  },
  sealRow: (row) => row,
  sealRows: (rows) => ({ forms: [...rows], chunks: [] }),
  openRow: (row) => row,
  lineKeyId: () => undefined,
};
