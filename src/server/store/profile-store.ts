/**
 * The profile port: each name's public directory profile, and the search over the listed ones. A profile is kept as
 * one document (the fields the API takes, as plain text) beside the few columns the directory queries: the name (for
 * the order and the cursor), whether it is listed, and its search terms (words, skills, categories) in a table of
 * their own with an ordinary index. Word search is a prefix range over that index, so neither backend needs an
 * extension, and both answer the same. Profiles go with their name (`DirectoryStore.deleteName`).
 */

import type { ProfileFields } from "../../protocol/index.js";

export type { ProfileFields };

/** What a search term is: a word of the profile's text (matched by prefix), a skill or a category (matched whole). */
export type ProfileTermKind = "word" | "skill" | "category";

export interface ProfileTerm {
  readonly kind: ProfileTermKind;
  /** Lower-case, NFKC-normalised. */
  readonly term: string;
}

export interface StoredProfile {
  readonly nameId: number;
  /** The bare name, for the directory's order. */
  readonly name: string;
  readonly fields: ProfileFields;
  /** The owner's choice: shown in lookups and the directory at all. */
  readonly visible: boolean;
  /** Visible with a tagline and a description: what the directory lists. */
  readonly listed: boolean;
  /** Epoch ms of the last change. */
  readonly updatedAt: number;
}

/** A profile to store, with the search terms derived from it. */
export interface ProfileWrite extends StoredProfile {
  readonly terms: readonly ProfileTerm[];
}

/** One page of the directory: listed profiles after `after`, in name order, matching every filter given. */
export interface DirectoryQuery {
  /** Names after this one (the cursor); from the start when absent. */
  readonly after?: string;
  /** Each must begin one of the profile's words. */
  readonly words: readonly string[];
  readonly skill?: string;
  readonly category?: string;
  readonly limit: number;
}

export interface ProfileStore {
  find(nameId: number): Promise<StoredProfile | undefined>;
  /**
   * Reads the name's profile, hands it to `change` and stores what that answers, with its search terms, in one
   * transaction: changes of one profile, from any process, apply one after the other, none lost.
   */
  update(nameId: number, change: (current: StoredProfile | undefined) => ProfileWrite): Promise<StoredProfile>;
  search(query: DirectoryQuery): Promise<StoredProfile[]>;
}

/** The upper end of a prefix range: every string that starts with `prefix` sorts below it (code-point order). */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}
