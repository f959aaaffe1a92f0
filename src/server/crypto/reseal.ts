/**
 * Re-sealing: content sealed under an older master key (or written plain, before encryption) is sealed again under the
 * current one, a page of rows or one file at a time, while the server keeps serving. A row whose content shares a
 * chunk with others (content-sealing.ts) gets its own pair, and the chunk goes with its last row. A row is written
 * back only if it still holds what was read (sealed-rows-store.ts), and a file is swapped whole (FileStore.replace),
 * so a re-seal that races with sends, acks, purges or another process's re-seal loses nothing. Old keys stay in the
 * keyring: content a pass has not reached yet, or that was sealed under the old key a moment before the server
 * learned the new one, still opens, and the next pass seals it again.
 *
 * A server runs a pass when it starts and whenever its current key changes (`startResealer`); `clawtell admin
 * rotate-master-key` runs passes itself when no server holds the data folder.
 */

import type { Clock, Logger } from "../../infra/index.js";
import { SEALED_TABLES, type ContentSealing, type SealedRowStore, type SealedTable } from "../store/index.js";
import type { SealedFileStore } from "./sealed-files.js";
import { approvalContext, messageContext } from "./sealed-storage.js";
import { SEAL_PREFIX, chunkReference, sealedKeyId, type Sealer } from "./seal.js";

/** Rows read and written back per page. */
export const RESEAL_BATCH = 200;
/** How often a server looks whether its current key has changed. */
export const RESEAL_CHECK_MS = 1_000;
/** Passes run one after the other at most, while a pass still finds content to re-seal. */
const MAX_PASSES = 4;
/**
 * Passes run at least: a send sealed under the old key a moment before the key changed may be stored only after the
 * first pass went past its place (its group was still being written), so the second pass looks again.
 */
const MIN_PASSES = 2;

export interface ResealReport {
  /** The key everything reached was sealed under. */
  readonly keyId: string;
  readonly rows: number;
  readonly files: number;
  /** Rows and files that did not open (altered, or sealed under a key the ring does not hold): left as they are. */
  readonly failed: number;
}

export interface ResealDeps {
  readonly sealedRows: SealedRowStore;
  readonly files?: SealedFileStore;
  readonly sealer: Sealer;
  readonly logger: Logger;
  /** @defaultValue {@link RESEAL_BATCH} */
  readonly batch?: number;
  /** Stops a pass between pages. */
  readonly signal?: AbortSignal;
  /** Resolves once this process's writes of sealed content begun so far are stored (a pass then sees them). */
  readonly writesSettled?: () => Promise<void>;
}

const contextOf = (table: SealedTable): typeof messageContext => (table === "messages" ? messageContext : approvalContext);

/** Yields to the event loop between pages, so that requests are served while a pass runs. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One pass over every sealed row and file. */
export async function resealOnce(deps: ResealDeps): Promise<ResealReport> {
  const keyId = deps.sealer.currentKeyId();
  const keep = `${SEAL_PREFIX}${keyId}:`;
  // Sends sealed under the old key just before the key changed may still be on their way into storage.
  await deps.writesSettled?.();
  const batch = deps.batch ?? RESEAL_BATCH;
  let rows = 0;
  let files = 0;
  let failed = 0;
  for (const table of SEALED_TABLES) {
    const context = contextOf(table);
    let after: string | undefined;
    do {
      deps.signal?.throwIfAborted();
      const page = await deps.sealedRows.scan(table, after, batch, keep);
      for (const row of page.rows) {
        let to: { subject: string; body: string };
        try {
          const plain = deps.sealer.openPair(row.subject, row.body, context(row.id), (chunkId) => page.chunks?.get(chunkId));
          to = deps.sealer.sealPair(plain.subject, plain.body, context(row.id));
        } catch (err) {
          failed++;
          deps.logger.error({ err, table, id: row.id }, "a sealed row does not open; it is left as it is");
          continue;
        }
        if (await deps.sealedRows.replace(table, row, to)) rows++;
      }
      after = page.next;
      await breathe();
    } while (after !== undefined);
  }
  if (deps.files !== undefined) {
    for (const fileId of await deps.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)) {
      deps.signal?.throwIfAborted();
      try {
        if ((await deps.files.keyIdOf(fileId)) === keyId) continue;
        if (await deps.files.reseal(fileId)) files++;
      } catch (err) {
        failed++;
        deps.logger.error({ err, fileId }, "a sealed attachment does not open; it is left as it is");
      }
    }
  }
  return { keyId, rows, files, failed };
}

/**
 * Gives every message row that refers to a chunk its own pair, sealed under the key the row names, and so drops every
 * chunk (a migration copies rows one by one, and the target has no chunks). Answers how many rows it rewrote.
 */
export async function spreadChunks(deps: { sealedRows: SealedRowStore; sealing: ContentSealing }): Promise<number> {
  let rows = 0;
  let after: string | undefined;
  do {
    // A kept prefix no stored value begins with: every row is looked at.
    const page = await deps.sealedRows.scan("messages", after, RESEAL_BATCH, "\u0000");
    const chunks = (chunkId: string): string | undefined => page.chunks?.get(chunkId);
    for (const row of page.rows) {
      if (chunkReference(row.body) === undefined) continue;
      const plain = deps.sealing.openRow(row, chunks);
      const to = deps.sealing.sealRow({ id: row.id, ...plain }, sealedKeyId(row.body));
      if (await deps.sealedRows.replace("messages", row, to)) rows++;
    }
    after = page.next;
  } while (after !== undefined);
  return rows;
}

/** Passes until one (the second at the earliest) finds nothing left to re-seal (at most a few: content sealed during a pass is caught by the next). */
export async function resealAll(deps: ResealDeps): Promise<ResealReport> {
  let total = { rows: 0, files: 0, failed: 0 };
  let report: ResealReport | undefined;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    report = await resealOnce(deps);
    total = { rows: total.rows + report.rows, files: total.files + report.files, failed: total.failed + report.failed };
    if (pass + 1 >= MIN_PASSES && report.rows + report.files === 0 && report.keyId === deps.sealer.currentKeyId()) break;
  }
  return { keyId: report?.keyId ?? deps.sealer.currentKeyId(), ...total };
}

export interface Resealer {
  /** Resolves once the key `keyId` is current and a pass under it has ended (for tests and the admin command). */
  whenSealedUnder(keyId: string): Promise<void>;
  stop(): Promise<void>;
}

/** The server's background re-sealing: a pass at start, and again whenever the current key changes. */
export function startResealer(deps: Omit<ResealDeps, "signal"> & { clock: Clock; checkMs?: number }): Resealer {
  const abort = new AbortController();
  const checkMs = deps.checkMs ?? RESEAL_CHECK_MS;
  let sealedUnder: string | undefined;
  const waiters = new Set<{ keyId: string; resolve: () => void }>();
  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const current = deps.sealer.currentKeyId();
      if (current !== sealedUnder) {
        try {
          const report = await resealAll({ ...deps, signal: abort.signal });
          sealedUnder = report.keyId;
          if (report.rows + report.files + report.failed > 0) deps.logger.info(report, "content re-sealed under the current master key");
          for (const waiter of waiters) {
            if (waiter.keyId === sealedUnder) {
              waiters.delete(waiter);
              waiter.resolve();
            }
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          deps.logger.error({ err }, "re-sealing failed; trying again");
        }
      }
      await deps.clock.sleep(checkMs, abort.signal).catch(() => undefined);
    }
  };
  const running = loop();
  return {
    whenSealedUnder(keyId) {
      if (sealedUnder === keyId) return Promise.resolve();
      return new Promise((resolve) => waiters.add({ keyId, resolve }));
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}
