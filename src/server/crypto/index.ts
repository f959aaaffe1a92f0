/**
 * Encryption at rest: the master keys, sealing of text fields and attachment files, and re-sealing after a rotation.
 * `startServer` wraps its storage and files with these (at-rest.ts): on by default, `--no-encryption` turns it off,
 * `--master-key-file` / `CLAWTELL_MASTER_KEY` name the key, `clawtell admin rotate-master-key` rotates it and
 * `clawtell admin retire-master-key` removes an old one (admin-encryption.ts).
 */
export { KEY_RECHECK_MS, MASTER_KEY_FILE, derivedKeyId, describeKeyFile, openKeyring, parseMasterKey, removeKeyFromFile, rotateKeyFile, type Keyring, type KeyringOptions, type MasterKey } from "./keyring.js";
export { PLAIN_PREFIX, SEAL_PREFIX, chunkReference, createSealer, plainValue, sealedKeyId, storedPlain, type ChunkEntry, type ChunkSource, type SealedPair, type Sealer, type SealerOptions } from "./seal.js";
export { SEGMENT_BYTES, sealFileStore, type SealedFileStore } from "./sealed-files.js";
export { approvalContext, createSealedWrites, messageContext, sealApprovals, sealMessages, sealStorage, type SealedWrites } from "./sealed-storage.js";
export { countSealedUnder, type KeyUsage } from "./key-usage.js";
export { RESEAL_BATCH, RESEAL_CHECK_MS, resealAll, resealOnce, spreadChunks, startResealer, type ResealReport, type Resealer } from "./reseal.js";
export {
  NO_KEYS,
  checkSharedKey,
  encryptAtRest,
  folderContentSealing,
  keysByValue,
  openAtRestKeys,
  openServerKeyring,
  type AtRest,
  type AtRestKeys,
  type EncryptionOptions,
  type ServerEncryption,
} from "./at-rest.js";
export { ALONE_CHARS, CHUNK_CHARS, CHUNK_ROWS, createContentSealing } from "./content-sealing.js";
