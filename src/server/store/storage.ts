/**
 * What a server stores through: the directory and the message ports of one backend, opened together and closed
 * together. `buildServer` takes a `Storage` and never asks which backend it is.
 */

import type { DirectoryStore } from "./directory-store.js";
import type { MessageStore } from "./message-store.js";

export interface Storage {
  readonly directory: DirectoryStore;
  readonly messages: MessageStore;
  /** Writes out whatever waits and lets go of the backend; calling it again does nothing. */
  close(): Promise<void>;
}
