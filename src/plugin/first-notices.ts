/**
 * Which notices were already given once: the 🔕 notice carries its how-to-fix hint the first time per (account, name,
 * sender) only. Kept in memory (a restart gives the hint once more); bounded, the oldest forgotten first.
 */

/** Most remembered keys. */
export const FIRST_NOTICES_MAX = 10_000;

export interface FirstNotices {
  /** True the first time for this (account, name, sender); false after. */
  first(accountId: string, name: string, sender: string): boolean;
}

export function createFirstNotices(max = FIRST_NOTICES_MAX): FirstNotices {
  const seen = new Set<string>();
  return {
    first(accountId, name, sender) {
      const key = JSON.stringify([accountId, name, sender]);
      if (seen.has(key)) return false;
      seen.add(key);
      if (seen.size > max) {
        const oldest = seen.values().next();
        if (oldest.done !== true) seen.delete(oldest.value);
      }
      return true;
    },
  };
}
