/**
 * What is still sealed under one master key: the rows (messages, held approvals) and attachment files that name it.
 * Nothing is opened: a sealed value and a sealed file name their key in the clear (seal.ts, sealed-files.ts).
 */

import { SEALED_TABLES, type SealedRowStore } from "../store/index.js";
import { RESEAL_BATCH } from "./reseal.js";
import type { SealedFileStore } from "./sealed-files.js";
import { SEAL_PREFIX, sealedKeyId } from "./seal.js";

export interface KeyUsage {
  readonly rows: number;
  readonly files: number;
}

/** Counts the rows and files sealed under `keyId`; rows wholly under `currentKeyId` are skipped by the scan. */
export async function countSealedUnder(deps: {
  sealedRows: SealedRowStore;
  files: Pick<SealedFileStore, "listWrittenBefore" | "keyIdOf">;
  keyId: string;
  currentKeyId: string;
}): Promise<KeyUsage> {
  const keep = `${SEAL_PREFIX}${deps.currentKeyId}:`;
  let rows = 0;
  for (const table of SEALED_TABLES) {
    let after: string | undefined;
    do {
      const page = await deps.sealedRows.scan(table, after, RESEAL_BATCH, keep);
      rows += page.rows.filter((row) => sealedKeyId(row.subject) === deps.keyId || sealedKeyId(row.body) === deps.keyId).length;
      after = page.next;
    } while (after !== undefined);
  }
  let files = 0;
  for (const fileId of await deps.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)) {
    if ((await deps.files.keyIdOf(fileId)) === deps.keyId) files++;
  }
  return { rows, files };
}
