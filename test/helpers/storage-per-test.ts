// A fresh storage of one backend for every test of a describe block: opened before each test (the test is skipped,
// with the reason printed once, where the backend is unavailable) and disposed of after it.
import { afterEach, beforeEach } from "vitest";
import type { Storage } from "../../src/server/index.js";
import type { OpenedStorage, StorageBackend } from "./storage-backends.js";

/** Call inside the describe block, before its own `beforeEach` (which then sees the storage open). */
export function storagePerTest(backend: StorageBackend, unavailable: string | undefined): { storage(): Storage } {
  let opened: OpenedStorage | undefined;
  beforeEach(async (context) => {
    if (unavailable !== undefined) {
      context.skip();
      return;
    }
    opened = await backend.open();
  });
  afterEach(async () => {
    await opened?.dispose();
    opened = undefined;
  });
  return {
    storage() {
      if (opened === undefined) throw new Error(`the ${backend.name} storage is not open (only inside a test)`);
      return opened.storage;
    },
  };
}
