/**
 * How the embedded message store keeps message content unreadable in its files: a port the server's encryption at
 * rest (crypto/content-sealing.ts) fills. The store holds the messages in flight as plain text in memory (claims hand
 * them out as they are) and seals only what it writes:
 *
 * - each group's journal line whole, in one seal (`sealLine`), on the way to the disk;
 * - each message's subject and body for the archive, in the row's own sealed form (`sealRow`), when the archive takes
 *   the message over. Rows may be sealed ahead of that, off the event loop (`sealRowsAhead`): the hand-over then
 *   takes the sealed form from there and seals only the rest itself.
 *
 * Rows read back from the archive are opened (`openRow`). With new content stored plain (`--no-encryption`) journal
 * lines stay plain, rows are stored in their escaped plain form, and content sealed before still opens.
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

export interface ContentSealing {
  /** Whether new journal lines are sealed (false: `--no-encryption`). */
  readonly sealsNew: boolean;
  /** A journal line's text sealed under the current key, bound to `context` (the line's generation). */
  sealLine(text: string, context: string): string;
  /** The text of a sealed journal line; CT_STATE_CORRUPT when it does not open. */
  openLine(stored: string, context: string): string;
  /**
   * A message's content in its stored form for the archive: sealed under `keyId` when given (the key its journal line
   * was sealed under), else under the current key (escaped plain when new content is stored plain).
   */
  sealRow(row: RowContent, keyId?: string): ContentPair;
  /** The plain content of a stored row; CT_STATE_CORRUPT when it does not open. */
  openRow(row: RowContent): ContentPair;
  /** The key id a sealed journal line names. */
  lineKeyId(stored: string): string | undefined;
  /**
   * Seals rows off the event loop, answering their stored forms in order; rejects when it cannot (the hand-over then
   * seals them itself). Undefined: there is no such way, or it is not worth it.
   */
  readonly sealRowsAhead?: (rows: readonly RowContent[]) => Promise<ContentPair[]>;
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
  openRow: (row) => row,
  lineKeyId: () => undefined,
};
