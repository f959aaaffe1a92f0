/**
 * Operator actions on encryption at rest, used by `clawtell admin`: opening the approval queue's sealed text beside a
 * server, and `rotate-master-key`. A rotation adds a new key to the key file and makes it current; the old keys stay
 * in the file, so that what they sealed still opens. A running server finds the new key within a second and re-seals
 * everything under it in the background, without stopping (crypto/reseal.ts). When no server holds the data folder,
 * the command re-seals itself; on PostgreSQL it always runs a pass too (passes of several processes do not collide:
 * each row is written back only if it still holds what was read).
 *
 * `retire-master-key` removes an old key from the key file once no row or file is sealed under it any more. On a data
 * folder it needs the folder free (the server stopped: the journal is its alone, and no send can seal under the old
 * key meanwhile); on PostgreSQL it runs beside the servers, once the current key is old enough that none of them can
 * still be sealing under the old one.
 */

import { join } from "node:path";
import { acquireFileLock, ClawTellError, createSilentLogger, fileLockHolder, systemClock, type Clock, type Logger } from "../infra/index.js";
import {
  MASTER_KEY_FILE,
  NO_KEYS,
  countSealedUnder,
  createSealer,
  describeKeyFile,
  folderContentSealing,
  keysByValue,
  openKeyring,
  openServerKeyring,
  removeKeyFromFile,
  resealAll,
  rotateKeyFile,
  sealApprovals,
  sealFileStore,
  type KeyUsage,
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
  const keyFile = adminKeyFile(opts);
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
  const resealed = await withFreeDataFolder(dataDir, logger, async () => {
    const storage = await openEmbeddedStorage({ dataDir, logger, sealing: folderContentSealing({ dataDir, masterKeyFile: keyFile }) });
    try {
      return await reseal(storage.sealedRows, openFileStore(dataDir), keyring, logger);
    } finally {
      await storage.close();
    }
  });
  // A server holds the folder: it re-seals itself at start, or within a second when running.
  return report(resealed === HELD ? "server" : resealed);
}

const HELD = Symbol("held by a server");

/** Runs `work` holding the data folder's lock; answers HELD, without running it, when a server holds the folder. */
async function withFreeDataFolder<T>(dataDir: string, logger: Logger, work: () => Promise<T>): Promise<T | typeof HELD> {
  const journal = join(dataDir, JOURNAL_FILE);
  if ((await fileLockHolder(journal)) !== undefined) return HELD;
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
    if (err instanceof ClawTellError && err.code === "CT_CONFLICT") return HELD;
    throw err;
  }
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

/**
 * How long the key file's current key must have been current before an older key is retired beside running servers
 * (PostgreSQL): a server learns of a rotation within a second, and a send sealed under the old key just before is
 * stored well within this (no send takes that long to commit).
 */
export const RETIRE_AFTER_MS = 60 * 60 * 1000;

export interface RetirementReport {
  readonly keyId: string;
  readonly keyFile: string;
  /** The keys the file holds afterwards. */
  readonly keysLeft: number;
}

/** The key file an admin command works on: `--master-key-file`, required with a database, else the data folder's. */
function adminKeyFile(opts: AdminKeyOptions): string {
  if (opts.database !== undefined && opts.masterKeyFile === undefined) {
    throw new ClawTellError("CT_CONFIG_INVALID", "with --database, give --master-key-file <path>: the key file the servers are run with", {
      field: "masterKeyFile",
    });
  }
  if (opts.database === undefined && opts.dataDir === undefined) {
    throw new ClawTellError("CT_CONFIG_INVALID", "give a data folder or a database", { field: "data" });
  }
  return opts.masterKeyFile ?? join(opts.dataDir ?? "", MASTER_KEY_FILE);
}

/**
 * Removes an old key from the key file when no stored row or file is sealed under it; CT_CONFLICT, naming how many
 * remain, otherwise (and for the current key, or a data folder a server holds); CT_NOT_FOUND when the file lacks it.
 */
export async function retireMasterKey(opts: AdminKeyOptions & { keyId: string; logger?: Logger; clock?: Clock }): Promise<RetirementReport> {
  const logger = opts.logger ?? createSilentLogger();
  const clock = opts.clock ?? systemClock;
  const keyFile = adminKeyFile(opts);
  const file = describeKeyFile(keyFile);
  const current = file?.keys.find((k) => k.id === file.current);
  if (file === undefined || current === undefined || !file.keys.some((k) => k.id === opts.keyId)) {
    throw new ClawTellError("CT_NOT_FOUND", `${keyFile} holds no master key ${opts.keyId}`, { field: "keyId" });
  }
  if (opts.keyId === file.current) {
    throw new ClawTellError("CT_CONFLICT", `master key ${opts.keyId} is the current key of ${keyFile}: rotate first (clawtell admin rotate-master-key)`, {
      field: "keyId",
    });
  }
  // The key new content is sealed under: the first key given by value, else the file's current one.
  const currentKeyId = openKeyring({ file: keyFile, value: keysByValue(opts.masterKey), clock, create: false }).current().id;
  const count = (sealedRows: SealedRowStore, files: FileStore): Promise<KeyUsage> =>
    countSealedUnder({ sealedRows, files: sealFileStore(files, NO_KEYS), keyId: opts.keyId, currentKeyId });

  let usage: KeyUsage;
  if (opts.database !== undefined) {
    // Servers given keys by value never seal under the file's keys; servers on the file may, until they see a rotation.
    const readyAt = current.createdAt + RETIRE_AFTER_MS;
    if (keysByValue(opts.masterKey) === undefined && clock.now() < readyAt) {
      throw new ClawTellError(
        "CT_CONFLICT",
        `the current master key ${file.current} was made less than an hour ago, and a running server may still be storing content sealed under ` +
          `${opts.keyId}: try again after ${new Date(readyAt).toISOString()}`,
        { field: "keyId" },
      );
    }
    const storage = await openPostgresStorage({ url: opts.database, logger });
    try {
      usage = await count(storage.sealedRows, storage.files);
    } finally {
      await storage.close();
    }
    refuseWhileSealed(opts.keyId, usage);
    removeKeyFromFile(keyFile, opts.keyId);
  } else {
    const dataDir = opts.dataDir ?? "";
    const done = await withFreeDataFolder(dataDir, logger, async () => {
      // A journal the server left behind is recovered first: its messages count under the key their line names.
      const sealing = folderContentSealing({ dataDir, masterKey: opts.masterKey, masterKeyFile: keyFile });
      const storage = await openEmbeddedStorage({ dataDir, logger, sealing });
      try {
        usage = await count(storage.sealedRows, openFileStore(dataDir));
      } finally {
        await storage.close();
      }
      refuseWhileSealed(opts.keyId, usage);
      // Still holding the folder: no server can start and seal under the old key before it is gone.
      removeKeyFromFile(keyFile, opts.keyId);
    });
    if (done === HELD) {
      throw new ClawTellError("CT_CONFLICT", `${dataDir} is in use by a running server: stop it, then retire the key (its journal is the server's alone)`, {
        field: "data",
      });
    }
  }
  return { keyId: opts.keyId, keyFile, keysLeft: file.keys.length - 1 };
}

function refuseWhileSealed(keyId: string, usage: KeyUsage): void {
  if (usage.rows + usage.files === 0) return;
  const what = [usage.rows > 0 ? plural(usage.rows, "row") : undefined, usage.files > 0 ? plural(usage.files, "file") : undefined].filter(Boolean).join(" and ");
  throw new ClawTellError(
    "CT_CONFLICT",
    `${what} still sealed under master key ${keyId}; the key stays. A server re-seals them under the current key (at start, and after a rotation): ` +
      "run one until it has, then try again",
    { field: "keyId" },
  );
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

function reseal(sealedRows: SealedRowStore, files: FileStore, keyring: Keyring, logger: Logger): Promise<ResealReport> {
  return resealAll({ sealedRows, files: sealFileStore(files, keyring), sealer: createSealer(keyring), logger });
}
