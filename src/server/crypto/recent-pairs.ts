/**
 * Messages sealed last, whose texts are answered from memory when they are opened again without deciphering them: a
 * message is usually handed out moments after it was sent, by the process that just sealed it. An entry is found by
 * the message id (a string the stores already hold, so the lookup does not hash a fresh one) and is used only when
 * the stored fields are exactly what this process sealed for that id: a value moved to another row, or altered, is
 * deciphered (and fails). Only short texts are kept, so the memory stays small; their plain text is in this
 * process's memory anyway while the send and the hand-out are under way.
 */

import type { SealedPair } from "./seal.js";

/** How many messages are remembered (two generations of half as many). */
export const RECENT_PAIRS = 2_048;
const MAX_CHARS = 1_024;

interface Remembered {
  readonly sealed: SealedPair;
  readonly plain: SealedPair;
}

export interface RecentPairs {
  remember(id: string, sealed: SealedPair, plain: SealedPair): void;
  /** The texts of `sealed` when this process sealed exactly these fields for `id`. */
  find(id: string, sealed: SealedPair): SealedPair | undefined;
}

export function createRecentPairs(capacity = RECENT_PAIRS): RecentPairs {
  // When the newer generation is half the capacity it becomes the older, and the older is dropped whole: cheaper than
  // evicting one entry at a time from a Map kept in insertion order.
  let newer = new Map<string, Remembered>();
  let older = new Map<string, Remembered>();
  return {
    remember(id, sealed, plain) {
      if (capacity === 0 || plain.subject.length + plain.body.length > MAX_CHARS) return;
      if (newer.size >= capacity / 2) {
        older = newer;
        newer = new Map();
      }
      newer.set(id, { sealed, plain });
    },
    find(id, sealed) {
      const known = newer.get(id) ?? older.get(id);
      return known !== undefined && known.sealed.body === sealed.body && known.sealed.subject === sealed.subject ? known.plain : undefined;
    },
  };
}
