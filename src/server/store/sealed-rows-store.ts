/**
 * The sealed-rows port: the rows whose text columns hold content sealed at rest (server/crypto/), read page by page
 * and written back sealed under another key, for the re-sealing that follows a master-key rotation. Only the sealed
 * columns are read and written; a row is written back only if its columns still hold what was read (compare and set),
 * so a re-seal racing with another process's re-seal or with a purge never loses or resurrects anything.
 */

/** The tables with sealed columns: messages and the messages held for approval, both by `subject` and `body`. */
export type SealedTable = "messages" | "approvals";

export const SEALED_TABLES: readonly SealedTable[] = ["messages", "approvals"];

export interface SealedRow {
  /** The message id, or the approval id. */
  readonly id: string;
  readonly subject: string;
  readonly body: string;
}

export interface SealedRowPage {
  readonly rows: SealedRow[];
  /** The sealed chunks the page's rows refer to, by id (content-sealing.ts); none where no row shares a chunk. */
  readonly chunks?: ReadonlyMap<string, string>;
  /** Where the next page starts; undefined when this page was the last. */
  readonly next: string | undefined;
}

export interface SealedRowStore {
  /**
   * Rows after `after` (undefined: from the start) in a stable order whose subject or body does not start with
   * `keep` (the sealed prefix of the current key), at most `limit` of them.
   */
  scan(table: SealedTable, after: string | undefined, limit: number, keep: string): Promise<SealedRowPage>;
  /**
   * Writes `to` (a row's own sealed or plain fields) over the row's sealed columns if they still hold `from`; answers
   * whether it did. A chunk the row referred to goes once no row refers to it.
   */
  replace(table: SealedTable, from: SealedRow, to: Pick<SealedRow, "subject" | "body">): Promise<boolean>;
}
