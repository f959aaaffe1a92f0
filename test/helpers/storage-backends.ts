// The storage backends the contract suite (test/integration/server/storage-contract.test.ts) runs against.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEmbeddedStorage, type Storage } from "../../src/server/index.js";

export interface OpenedStorage {
  readonly storage: Storage;
  /** Closes the storage and removes what the test left behind. */
  dispose(): Promise<void>;
}

export interface StorageBackend {
  readonly name: string;
  /** Why the backend cannot run on this machine (the suite is skipped with that reason), or undefined. */
  unavailable(): Promise<string | undefined>;
  /** A fresh, empty storage. */
  open(): Promise<OpenedStorage>;
}

export const embeddedBackend: StorageBackend = {
  name: "embedded",
  unavailable: async () => undefined,
  async open() {
    const dataDir = await mkdtemp(join(tmpdir(), "clawtell-contract-"));
    const storage = await openEmbeddedStorage({ dataDir });
    return {
      storage,
      async dispose() {
        await storage.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

/** Every backend the contract covers: a new backend is one more entry here. */
export const STORAGE_BACKENDS: readonly StorageBackend[] = [embeddedBackend];
