/**
 * Encryption at rest as a server runs it: which master keys it uses, and its storage and file room wrapped so that
 * message content is sealed on the way in and opened on the way out (sealed-storage.ts, sealed-files.ts), with the
 * background re-sealing (reseal.ts) that follows a key rotation.
 *
 * - On by default. On a data folder the key file is `<dataDir>/master.key` unless another is named; it is created
 *   (mode 0600) when missing.
 * - On PostgreSQL every process must seal under the same key: a key by value (`CLAWTELL_MASTER_KEY`) or a key file
 *   that exists is required (a missing one is not created: two processes starting together would each make their own).
 * - Off (`--no-encryption`): new content is stored plain; content sealed before still opens with whatever keys are at
 *   hand (the key file if it exists, the key given by value).
 * - The keys are opened before the storage (`openAtRestKeys`): the embedded message store seals its own content with
 *   them (content-sealing.ts), so its wrapper leaves the message port alone; on PostgreSQL the wrapper seals it.
 */

import { join } from "node:path";
import { ClawTellError, systemClock, type Clock, type Logger } from "../../infra/index.js";
import type { FileStore } from "../files.js";
import type { ContentSealing, Storage } from "../store/index.js";
import { MASTER_KEY_FILE, openKeyring, type Keyring } from "./keyring.js";
import { startResealer, type Resealer } from "./reseal.js";
import { createContentSealing } from "./content-sealing.js";
import { createSealer, type Sealer } from "./seal.js";
import { sealFileStore, type SealedFileStore } from "./sealed-files.js";
import { createSealedWrites, sealStorage } from "./sealed-storage.js";

export interface EncryptionOptions {
  /** Seal new content. @defaultValue true */
  readonly enabled?: boolean;
  /** Keys by value (`CLAWTELL_MASTER_KEY`): the current one first, older ones after it, comma-separated. */
  readonly masterKey?: string | undefined;
  /** The key file; `<dataDir>/master.key` on a data folder unless given. */
  readonly masterKeyFile?: string | undefined;
}

/** What a running server tells of its encryption (tests and the admin command wait on it). */
export interface ServerEncryption {
  /** The id of the key new content is sealed under. */
  currentKeyId(): string;
  /** Resolves once everything reached has been sealed under `keyId` (after a rotation, once the server re-sealed). */
  whenSealedUnder(keyId: string): Promise<void>;
}

export interface AtRest<S extends Storage> {
  readonly storage: S;
  readonly files: FileStore;
  /** Undefined when new content is stored plain. */
  readonly encryption: ServerEncryption | undefined;
  /** Stops the re-sealing (before the storage closes). */
  stop(): Promise<void>;
}

/** The keys given by value (`CLAWTELL_MASTER_KEY`); undefined when unset or blank. */
export function keysByValue(masterKey: string | undefined): string | undefined {
  return masterKey === undefined || masterKey.trim() === "" ? undefined : masterKey;
}

/** CT_CONFIG_INVALID, naming the options, when processes on a database would not share a key. */
export function checkSharedKey(opts: { encryption: EncryptionOptions; database?: string | undefined }): void {
  const enabled = opts.encryption.enabled ?? true;
  const value = keysByValue(opts.encryption.masterKey);
  if (opts.database !== undefined && enabled && value === undefined && opts.encryption.masterKeyFile === undefined) {
    throw new ClawTellError(
      "CT_CONFIG_INVALID",
      "with --database every server process must seal with the same master key: set CLAWTELL_MASTER_KEY, or give --master-key-file <path> " +
        "(make one with `clawtell admin rotate-master-key --master-key-file <path>`), or run with --no-encryption",
      { field: "masterKeyFile" },
    );
  }
}

/** The key ring a server (or an admin command beside it) uses; `create` makes a missing key file. */
export function openServerKeyring(opts: {
  encryption: EncryptionOptions;
  dataDir?: string | undefined;
  database?: string | undefined;
  clock?: Clock;
}): Keyring | undefined {
  const enabled = opts.encryption.enabled ?? true;
  const value = keysByValue(opts.encryption.masterKey);
  const file = opts.encryption.masterKeyFile ?? (opts.database === undefined && opts.dataDir !== undefined ? join(opts.dataDir, MASTER_KEY_FILE) : undefined);
  checkSharedKey(opts);
  if (value === undefined && file === undefined) return undefined;
  const keyring = openKeyring({ file, value, clock: opts.clock ?? systemClock, create: enabled && opts.database === undefined });
  if (enabled) keyring.current(); // fails now, naming the option, when there is no key (a missing shared key file)
  return keyring;
}

/** A keyring that holds no key: plain content reads as it is, sealed content fails to open, naming the option. */
export const NO_KEYS: Keyring = {
  current() {
    throw new ClawTellError("CT_CONFIG_INVALID", "no master key: set CLAWTELL_MASTER_KEY or --master-key-file", { field: "masterKeyFile" });
  },
  find: () => undefined,
};

/** A server's master keys and what seals with them, opened before its storage. */
export interface AtRestKeys {
  readonly enabled: boolean;
  readonly keyring: Keyring;
  readonly sealer: Sealer;
  /** The sealing an embedded message store is opened with. */
  readonly content: ContentSealing;
}

export function openAtRestKeys(opts: { encryption: EncryptionOptions; dataDir?: string | undefined; database?: string | undefined }): AtRestKeys {
  const enabled = opts.encryption.enabled ?? true;
  // Real time: the key file is looked at again whatever clock the server's requests run on.
  const keyring = openServerKeyring({ ...opts, clock: systemClock }) ?? NO_KEYS;
  const sealer = createSealer(keyring, { sealNew: enabled });
  return { enabled, keyring, sealer, content: createContentSealing(sealer, { sealNew: enabled }) };
}

/**
 * The sealing a command opens a data folder's embedded store with (`clawtell admin`): it seals nothing new, and a
 * journal a server left behind is recovered with the keys at hand, each message sealed under its line's key.
 */
export function folderContentSealing(keys: { dataDir: string; masterKey?: string | undefined; masterKeyFile?: string | undefined }): ContentSealing {
  const encryption = { enabled: false, masterKey: keys.masterKey, masterKeyFile: keys.masterKeyFile };
  const keyring = openServerKeyring({ encryption, dataDir: keys.dataDir }) ?? NO_KEYS;
  return createContentSealing(createSealer(keyring, { sealNew: false }), { sealNew: false });
}

/** Wraps a server's storage and files for encryption at rest, and starts its background re-sealing. */
export function encryptAtRest<S extends Storage>(deps: {
  storage: S;
  files: FileStore;
  keys: AtRestKeys;
  /** The storage's message port seals its content itself (an embedded store opened with `keys.content`). */
  messagesSealed: boolean;
  logger: Logger;
}): AtRest<S> {
  const { enabled, keyring, sealer } = deps.keys;
  const writes = createSealedWrites();
  const sealedFiles = sealFileStore(deps.files, keyring, { sealNew: enabled });
  // A file being written under the old key when the key changes is waited for too.
  const files: SealedFileStore = { ...sealedFiles, save: (content) => writes.track(sealedFiles.save(content)) };
  const storage = sealStorage(deps.storage, sealer, writes, { messagesSealed: deps.messagesSealed });
  if (!enabled) {
    deps.logger.warn("encryption at rest is off (--no-encryption): new message content is stored readable by anyone who can read the storage");
    return { storage, files, encryption: undefined, stop: async () => {} };
  }
  const resealer: Resealer = startResealer({
    sealedRows: deps.storage.sealedRows,
    files,
    sealer,
    logger: deps.logger,
    // Real time: re-sealing waits whatever clock the server's requests run on.
    clock: systemClock,
    writesSettled: () => writes.settled(),
  });
  return {
    storage,
    files,
    encryption: { currentKeyId: () => sealer.currentKeyId(), whenSealedUnder: (keyId) => resealer.whenSealedUnder(keyId) },
    stop: () => resealer.stop(),
  };
}
