/**
 * What a server stores through: the directory and the message ports of one backend, opened together and closed
 * together. `buildServer` takes a `Storage` and never asks which backend it is: the embedded one (a data folder, one
 * process: embedded-storage.ts) or PostgreSQL (one database, any number of processes: postgres/).
 */

import type { DirectoryStore } from "./directory-store.js";
import type { MessageStore } from "./message-store.js";
import type { ProfileStore } from "./profile-store.js";

export interface Storage {
  readonly directory: DirectoryStore;
  readonly messages: MessageStore;
  /** Directory profiles and their search. */
  readonly profiles: ProfileStore;
  /**
   * Resolves when the backend can serve requests; rejects with CT_UNAVAILABLE when it cannot (its database is gone,
   * or it has been closed). Readiness (`/readyz`) asks this.
   */
  ping(): Promise<void>;
  /** Writes out whatever waits and lets go of the backend; calling it again does nothing. */
  close(): Promise<void>;
}
