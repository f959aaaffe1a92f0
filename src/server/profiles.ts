/**
 * Directory profiles: a name's profile read and changed by its owner, shown to others when visible, and the directory
 * search over the listed ones (visible, with a tagline and a description). Texts are plain text throughout: stored as
 * given (trimmed), answered as given in JSON; nothing here produces markup.
 */

import { ClawTellError, type Clock } from "../infra/index.js";
import {
  toFullName,
  type DirectoryEntrySchema,
  type OwnProfile,
  type ProfileFields,
  type ProfilePatch,
  type PublicProfile,
} from "../protocol/index.js";
import type { z } from "zod";
import type { NameRecord, ProfileStore, ProfileTerm, StoredProfile } from "./store/index.js";

/** A profile nobody has written yet. */
export const EMPTY_PROFILE: ProfileFields = {
  display_name: "",
  tagline: "",
  description: "",
  skills: [],
  categories: [],
  pricing_model: null,
  availability: null,
  portfolio: [],
  contact_links: [],
};

/** Words of a query beyond this many are ignored; each word (and each stored term) is cut to `MAX_TERM_LENGTH`. */
export const MAX_QUERY_WORDS = 8;
export const MAX_TERM_LENGTH = 64;

const WORD = /[\p{L}\p{N}]+/gu;

/** A term as stored and searched: NFKC, lower case, cut to `MAX_TERM_LENGTH`. */
export function normaliseTerm(text: string): string {
  return [...text.normalize("NFKC").toLowerCase().trim().replace(/\s+/g, " ")].slice(0, MAX_TERM_LENGTH).join("");
}

/** The words of a text: runs of letters and digits, normalised. */
export function wordsOf(text: string): string[] {
  return (text.normalize("NFKC").toLowerCase().match(WORD) ?? []).map(normaliseTerm);
}

/** What the directory finds a profile by: the words of its name and texts, its skills and its categories. */
export function profileTerms(name: string, fields: ProfileFields): ProfileTerm[] {
  const terms = new Map<string, ProfileTerm>();
  const add = (kind: ProfileTerm["kind"], term: string): void => {
    if (term !== "") terms.set(`${kind}:${term}`, { kind, term });
  };
  const texts = [name, fields.display_name, fields.tagline, fields.description, ...fields.skills, ...fields.categories];
  for (const text of texts) for (const word of wordsOf(text)) add("word", word);
  for (const skill of fields.skills) add("skill", normaliseTerm(skill));
  for (const category of fields.categories) add("category", category);
  return [...terms.values()];
}

/** Whether the directory lists a profile: visible, with a tagline and a description. */
export function isListed(fields: ProfileFields, visible: boolean): boolean {
  return visible && fields.tagline !== "" && fields.description !== "";
}

/** The stored fields with any field a later version added filled in. */
function fieldsOf(stored: StoredProfile | undefined): ProfileFields {
  return stored === undefined ? EMPTY_PROFILE : { ...EMPTY_PROFILE, ...stored.fields };
}

/** The stored fields with the patch applied: a given field replaces, `null` clears, an absent one stays. */
export function applyPatch(current: ProfileFields, patch: ProfilePatch): ProfileFields {
  return {
    display_name: patch.display_name === undefined ? current.display_name : (patch.display_name ?? ""),
    tagline: patch.tagline === undefined ? current.tagline : (patch.tagline ?? ""),
    description: patch.description === undefined ? current.description : (patch.description ?? ""),
    skills: patch.skills === undefined ? current.skills : (patch.skills ?? []),
    categories: patch.categories === undefined ? current.categories : (patch.categories ?? []),
    pricing_model: patch.pricing_model === undefined ? current.pricing_model : patch.pricing_model,
    availability: patch.availability === undefined ? current.availability : patch.availability,
    portfolio: patch.portfolio === undefined ? current.portfolio : (patch.portfolio ?? []),
    contact_links: patch.contact_links === undefined ? current.contact_links : (patch.contact_links ?? []),
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

function publicView(stored: StoredProfile | undefined): PublicProfile {
  return { ...fieldsOf(stored), updated_at: stored === undefined ? null : iso(stored.updatedAt) };
}

/** The directory's cursor: the last name of a page, opaque to clients. */
export function encodeCursor(name: string): string {
  return Buffer.from(name, "utf8").toString("base64url");
}

/** The name a cursor stands for; CT_BAD_REQUEST on `cursor` when it is none of ours. */
export function decodeCursor(cursor: string): string {
  const name = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  if (!/^[a-z0-9-]{1,50}$/.test(name) || encodeCursor(name) !== cursor) {
    throw new ClawTellError("CT_BAD_REQUEST", "cursor: is not a cursor of this directory (use nextCursor as answered)", { field: "cursor" });
  }
  return name;
}

export interface DirectorySearch {
  readonly q?: string;
  readonly category?: string;
  readonly skill?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface DirectoryPage {
  readonly agents: Array<z.output<typeof DirectoryEntrySchema>>;
  readonly count: number;
  readonly nextCursor: string | null;
}

export interface Profiles {
  /** The owner's view of a name's profile (empty and visible when none was written). */
  own(name: NameRecord): Promise<OwnProfile>;
  /** Applies a patch and answers the owner's view. */
  update(name: NameRecord, patch: ProfilePatch): Promise<OwnProfile>;
  /** What a lookup shows of a name's profile: undefined when there is none or it is hidden. */
  publicOf(name: NameRecord): Promise<PublicProfile | undefined>;
  /** One page of the directory. */
  search(query: DirectorySearch): Promise<DirectoryPage>;
}

export function createProfiles(store: ProfileStore, clock: Clock): Profiles {
  const ownView = (name: NameRecord, stored: StoredProfile | undefined): OwnProfile => {
    const fields = fieldsOf(stored);
    const visible = stored?.visible ?? true;
    return {
      name: name.name,
      fullName: toFullName(name.name),
      ...publicView(stored),
      profile_visible: visible,
      listed: isListed(fields, visible),
    };
  };

  return {
    async own(name) {
      return ownView(name, await store.find(name.id));
    },
    async update(name, patch) {
      const saved = await store.update(name.id, (stored) => {
        const fields = applyPatch(fieldsOf(stored), patch);
        const visible = patch.profile_visible ?? stored?.visible ?? true;
        return {
          nameId: name.id,
          name: name.name,
          fields,
          visible,
          listed: isListed(fields, visible),
          updatedAt: clock.now(),
          terms: profileTerms(name.name, fields),
        };
      });
      return ownView(name, saved);
    },
    async publicOf(name) {
      const stored = await store.find(name.id);
      return stored === undefined || !stored.visible ? undefined : publicView(stored);
    },
    async search(query) {
      const words = [...new Set(wordsOf(query.q ?? ""))].slice(0, MAX_QUERY_WORDS);
      const skill = query.skill === undefined ? "" : normaliseTerm(query.skill);
      const rows = await store.search({
        ...(query.cursor === undefined || query.cursor === "" ? {} : { after: decodeCursor(query.cursor) }),
        words,
        ...(skill === "" ? {} : { skill }),
        ...(query.category === undefined || query.category === "" ? {} : { category: query.category }),
        // One more than asked: whether a next page exists, without a second query.
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        agents: page.map((row) => ({ name: row.name, fullName: toFullName(row.name), ...publicView(row) })),
        count: page.length,
        nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.name) : null,
      };
    },
  };
}
