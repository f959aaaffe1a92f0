/**
 * Name records by name, cached briefly so a busy send path does not read the same row for every message.
 * Settings changed through this server invalidate at once; names created by another process (the admin CLI)
 * are found on the first miss, since misses are never cached. A cached record is answered without waiting on the
 * directory.
 */

import type { DirectoryStore, NameRecord } from "./store/index.js";

/** How long a name record is reused. */
export const NAME_RECORD_TTL_MS = 5_000;

export interface NameDirectory {
  find(name: string): Promise<NameRecord | undefined>;
  /** Forgets the cached record; call it once a change to the name is stored. */
  invalidate(name: string): void;
}

export function createNameDirectory(directory: Pick<DirectoryStore, "findNameByName">, now: () => number): NameDirectory {
  const cache = new Map<string, { record: NameRecord; readAt: number }>();
  /** Bumped by every invalidation: a read that started before one must not cache what it read. */
  let generation = 0;
  return {
    async find(name) {
      const cached = cache.get(name);
      if (cached !== undefined && now() - cached.readAt < NAME_RECORD_TTL_MS) return cached.record;
      const startedIn = generation;
      const readAt = now();
      const record = await directory.findNameByName(name);
      if (startedIn !== generation) return record;
      if (record === undefined) cache.delete(name);
      else cache.set(name, { record, readAt });
      return record;
    },
    invalidate(name) {
      generation++;
      cache.delete(name);
    },
  };
}
