/**
 * Operator actions on encryption at rest, used by `clawtell admin`: opening the approval queue's sealed text beside a
 * server, and `rotate-master-key`. A rotation adds a new key to the key file and makes it current; the old keys stay
 * in the file, so that what they sealed still opens. A running server finds the new key within a second and re-seals
 * everything under it in the background, without stopping (crypto/reseal.ts). When no server holds the data folder,
 * the command re-seals itself; on PostgreSQL it always runs a pass too (passes of several processes do not collide:
 * each row is written back only if it still holds what was read).
 */

import { join } from "node:path";
import { acquireFileLock, ClawTellError, createSilentLogger, fileLockHolder, systemClock, type Clock, type Logger } from "../infra/index.js";
import {
  MASTER_KEY_FILE,
  NO_KEYS,
  createSealer,
  keysByValue,
  openKeyring,
  openServerKeyring,
  resealAll,
  rotateKeyFile,
  sealApprovals,
  sealFileStore,
  type Keyring,
  type ResealReport,
} from "./crypto/index.js";
import { openFileStore, type FileStore } from "./files.js";
import { JOURNAL_FILE, openEmbeddedStorage, openPostgresStorage, type AdminStores, type SealedRowStore } from "./store/index.js";

/** Where the operator's master keys are: as the server is told (`--master-key-file`, `CLAWTELL_MASTER_KEY`). */
export interface AdminKeyOptions {
  readonly dataDir?: string | undefined;
  readonly database?: string | undefined;
  readonly masterKey?: string | undefined;
  readonly masterKeyFile?: string | undefined;
}

/**
 * The admin stores with the approval queue's sealed subjects and bodies opened (never sealing: the admin commands do
 * not hold messages). Without a key, plain content reads as it is and sealed content fails, naming the option.
 */
export function openSealedAdminStores<T extends AdminStores>(stores: T, keys: AdminKeyOptions): T {
  const keyring =
    openServerKeyring({ encryption: { enabled: false, masterKey: keys.masterKey, masterKeyFile: keys.masterKeyFile }, dataDir: keys.dataDir, database: keys.database }) ??
    NO_KEYS;
  return { ...stores, approvals: sealApprovals(stores.approvals, createSealer(keyring, { sealNew: false })) };
}

export interface RotationReport {
  readonly keyId: string;
  readonly previous: string | undefined;
  readonly keyFile: string;
  /** What this command re-sealed itself; `server` when a running server holds the data folder and does it. */
  readonly resealed: ResealReport | "server";
}

/** Adds a new current key to the key file, then re-seals (or leaves that to the running server). */
export async function rotateMasterKey(opts: AdminKeyOptions & { logger?: Logger; clock?: Clock }): Promise<RotationReport> {
  const logger = opts.logger ?? createSilentLogger();
  const clock = opts.clock ?? systemClock;
  if (keysByValue(opts.masterKey) !== undefined) {
    throw new ClawTellError(
      "CT_CONFIG_INVALID",
      "the master key comes from CLAWTELL_MASTER_KEY, which this command cannot change: put a new key first in it and keep the old one " +
        "after a comma (CLAWTELL_MASTER_KEY=<new>,<old>), restart the servers (they re-seal at start), then drop the old key; " +
        "or unset it and rotate a key file (--master-key-file)",
      { field: "masterKey" },
    );
  }
  if (opts.database !== undefined && opts.masterKeyFile === undefined) {
    throw new ClawTellError("CT_CONFIG_INVALID", "with --database, give --master-key-file <path>: the key file the servers are run with", {
      field: "masterKeyFile",
    });
  }
  if (opts.database === undefined && opts.dataDir === undefined) {
    throw new ClawTellError("CT_CONFIG_INVALID", "give a data folder or a database", { field: "data" });
  }
  const keyFile = opts.masterKeyFile ?? join(opts.dataDir ?? "", MASTER_KEY_FILE);
  const { id, previous } = rotateKeyFile(keyFile, clock.now());
  const keyring = openKeyring({ file: keyFile, clock, create: false });
  const report = (resealed: ResealReport | "server"): RotationReport => ({ keyId: id, previous, keyFile, resealed });

  if (opts.database !== undefined) {
    const storage = await openPostgresStorage({ url: opts.database, logger });
    try {
      return report(await reseal(storage.sealedRows, storage.files, keyring, logger));
    } finally {
      await storage.close();
    }
  }
  const dataDir = opts.dataDir ?? "";
  const journal = join(dataDir, JOURNAL_FILE);
  if ((await fileLockHolder(journal)) !== undefined) return report("server");
  let lock: Awaited<ReturnType<typeof acquireFileLock>>;
  try {
    lock = await acquireFileLock(journal, {
      logger,
      field: "data",
      waitInProcessMs: 0,
      heldHere: `${dataDir} is in use in this process`,
      heldBy: (pid) => `${dataDir} is in use by process ${pid}`,
    });
  } catch (err) {
    // A server took the folder meanwhile: it re-seals at start.
    if (err instanceof ClawTellError && err.code === "CT_CONFLICT") return report("server");
    throw err;
  }
  try {
    const storage = await openEmbeddedStorage({ dataDir, logger });
    try {
      return report(await reseal(storage.sealedRows, openFileStore(dataDir), keyring, logger));
    } finally {
      await storage.close();
    }
  } finally {
    await lock.release();
  }
}

function reseal(sealedRows: SealedRowStore, files: FileStore, keyring: Keyring, logger: Logger): Promise<ResealReport> {
  return resealAll({ sealedRows, files: sealFileStore(files, keyring), sealer: createSealer(keyring), logger });
}
