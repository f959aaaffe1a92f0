/**
 * Name records by name, cached briefly so a busy send path does not read the same row for every message.
 * Settings changed through this server invalidate at once; names created by another process (the admin CLI)
 * are found on the first miss, since misses are never cached.
 */

import type { NameRecord, Store } from "./store/store.js";

/** How long a name record is reused. */
export const NAME_RECORD_TTL_MS = 5_000;

export interface NameDirectory {
  find(name: string): NameRecord | undefined;
  invalidate(name: string): void;
}

export function createNameDirectory(store: Store, now: () => number): NameDirectory {
  const cache = new Map<string, { record: NameRecord; readAt: number }>();
  return {
    find(name) {
      const cached = cache.get(name);
      if (cached !== undefined && now() - cached.readAt < NAME_RECORD_TTL_MS) return cached.record;
      const record = store.findNameByName(name);
      if (record === undefined) cache.delete(name);
      else cache.set(name, { record, readAt: now() });
      return record;
    },
    invalidate(name) {
      cache.delete(name);
    },
  };
}
