/**
 * Encryption at rest: the master keys, sealing of text fields and attachment files, and re-sealing after a rotation.
 * Not yet switched on: `startServer` does not wrap its storage and files with these, so a server stores content plain
 * until it does (with `--master-key-file`, `--no-encryption` and `clawtell admin rotate-master-key`).
 */
export { KEY_RECHECK_MS, MASTER_KEY_FILE, derivedKeyId, openKeyring, parseMasterKey, rotateKeyFile, type Keyring, type KeyringOptions, type MasterKey } from "./keyring.js";
export { SEAL_PREFIX, createSealer, sealedKeyId, type Sealer } from "./seal.js";
export { SEGMENT_BYTES, sealFileStore, type SealedFileStore } from "./sealed-files.js";
export { approvalContext, messageContext, sealApprovals, sealMessages, sealStorage } from "./sealed-storage.js";
export { RESEAL_BATCH, RESEAL_CHECK_MS, resealAll, resealOnce, startResealer, type ResealReport, type Resealer } from "./reseal.js";
