/**
 * Directory profiles on the wire: what `PATCH /api/profile` takes, what `GET /api/profile`, the public lookup and
 * `GET /api/directory` answer. Every text is plain text: stored as given (trimmed), answered as given in JSON, never
 * markup; whoever renders it as HTML escapes it.
 */

import { z } from "zod";

/** The directory's categories (a profile has at most `PROFILE_LIMITS.categories` of them). */
export const PROFILE_CATEGORIES = [
  "automation",
  "business",
  "creative",
  "data",
  "development",
  "education",
  "entertainment",
  "finance",
  "productivity",
  "research",
  "support",
  "writing",
  "other",
] as const;
export type ProfileCategory = (typeof PROFILE_CATEGORIES)[number];

export const PRICING_MODELS = ["free", "per_task", "hourly", "subscription"] as const;
export type PricingModel = (typeof PRICING_MODELS)[number];

export const AVAILABILITIES = ["available", "busy", "offline"] as const;
export type Availability = (typeof AVAILABILITIES)[number];

/** Bounds of a profile's fields, in characters and entries. */
export const PROFILE_LIMITS = {
  displayName: 80,
  tagline: 160,
  description: 4000,
  skills: 20,
  skill: 50,
  categories: 4,
  portfolio: 10,
  portfolioTitle: 100,
  portfolioDescription: 500,
  contactLinks: 10,
  contactLabel: 50,
  url: 500,
} as const;

const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** One line of plain text, trimmed, at most `max` characters. */
function line(max: number): z.ZodString {
  return z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), "must be one line of plain text, without control characters");
}

/** Plain text that may have line breaks and tabs, trimmed, at most `max` characters. */
function text(max: number): z.ZodString {
  return z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_BUT_LINE_BREAKS.test(s), "must be plain text, without control characters other than line breaks and tabs");
}

const HttpUrlSchema = z
  .url({ protocol: /^https?$/, error: "must be an http or https URL" })
  .max(PROFILE_LIMITS.url, `must be at most ${PROFILE_LIMITS.url} characters`);

/** A list without repeats, compared case-insensitively; the first spelling stays. */
function unique(items: readonly string[]): string[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const categoryList = `one of ${PROFILE_CATEGORIES.join(", ")}`;
export const CategorySchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(PROFILE_CATEGORIES, { error: `must be ${categoryList}` }));

const PortfolioItemSchema = z
  .object({
    title: line(PROFILE_LIMITS.portfolioTitle).min(1, "is required"),
    url: HttpUrlSchema.nullable().optional(),
    description: text(PROFILE_LIMITS.portfolioDescription).optional(),
  })
  .strict()
  .transform((item) => ({ title: item.title, url: item.url ?? null, description: item.description ?? "" }));

const ContactLinkSchema = z.object({ label: line(PROFILE_LIMITS.contactLabel).min(1, "is required"), url: HttpUrlSchema }).strict();

/** `PATCH /api/profile`: every field optional; a field given replaces the stored one, `null` clears it. */
export const ProfilePatchSchema = z
  .object({
    display_name: line(PROFILE_LIMITS.displayName).nullable().optional(),
    tagline: line(PROFILE_LIMITS.tagline).nullable().optional(),
    description: text(PROFILE_LIMITS.description).nullable().optional(),
    skills: z
      .array(line(PROFILE_LIMITS.skill).min(1, "must not be empty"))
      .max(PROFILE_LIMITS.skills, `at most ${PROFILE_LIMITS.skills} skills`)
      .transform(unique)
      .nullable()
      .optional(),
    categories: z
      .array(CategorySchema)
      .transform(unique)
      .pipe(z.array(z.enum(PROFILE_CATEGORIES)).max(PROFILE_LIMITS.categories, `at most ${PROFILE_LIMITS.categories} categories`))
      .nullable()
      .optional(),
    pricing_model: z.enum(PRICING_MODELS, { error: `must be one of ${PRICING_MODELS.join(", ")}` }).nullable().optional(),
    availability: z.enum(AVAILABILITIES, { error: `must be one of ${AVAILABILITIES.join(", ")}` }).nullable().optional(),
    portfolio: z.array(PortfolioItemSchema).max(PROFILE_LIMITS.portfolio, `at most ${PROFILE_LIMITS.portfolio} items`).nullable().optional(),
    contact_links: z
      .array(ContactLinkSchema)
      .max(PROFILE_LIMITS.contactLinks, `at most ${PROFILE_LIMITS.contactLinks} links`)
      .nullable()
      .optional(),
    profile_visible: z.boolean().optional(),
  })
  .strict();
export type ProfilePatch = z.output<typeof ProfilePatchSchema>;

/** A profile's fields as answered (and stored). */
export const ProfileFieldsSchema = z.object({
  display_name: z.string(),
  tagline: z.string(),
  description: z.string(),
  skills: z.array(z.string()),
  categories: z.array(z.enum(PROFILE_CATEGORIES)),
  pricing_model: z.enum(PRICING_MODELS).nullable(),
  availability: z.enum(AVAILABILITIES).nullable(),
  portfolio: z.array(z.object({ title: z.string(), url: z.string().nullable(), description: z.string() })),
  contact_links: z.array(z.object({ label: z.string(), url: z.string() })),
});
export type ProfileFields = z.output<typeof ProfileFieldsSchema>;

/** What others see: the fields and when they last changed. */
export const PublicProfileSchema = ProfileFieldsSchema.extend({ updated_at: z.string().nullable() }).meta({ id: "PublicProfile" });
export type PublicProfile = z.output<typeof PublicProfileSchema>;

/** `GET`/`PATCH /api/profile`: the owner's view, with visibility and whether the directory lists it. */
export const OwnProfileSchema = PublicProfileSchema.extend({
  name: z.string(),
  fullName: z.string(),
  profile_visible: z.boolean(),
  listed: z.boolean(),
});
export type OwnProfile = z.output<typeof OwnProfileSchema>;

/** An entry of the directory. */
export const DirectoryEntrySchema = PublicProfileSchema.extend({ name: z.string(), fullName: z.string() });

export const DIRECTORY_DEFAULT_LIMIT = 20;
export const DIRECTORY_MAX_LIMIT = 100;
export const DIRECTORY_MAX_QUERY = 200;

export const DirectoryQuerySchema = z
  .object({
    q: z.string().max(DIRECTORY_MAX_QUERY, `must be at most ${DIRECTORY_MAX_QUERY} characters`).optional(),
    // An empty `category=` or `skill=` filters nothing.
    category: z.union([z.literal(""), CategorySchema]).optional(),
    skill: line(PROFILE_LIMITS.skill).optional(),
    limit: z.coerce
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(DIRECTORY_MAX_LIMIT, `must be at most ${DIRECTORY_MAX_LIMIT}`)
      .default(DIRECTORY_DEFAULT_LIMIT),
    cursor: z.string().max(200, "is not a cursor of this directory").optional(),
  });

export const DirectoryResponseSchema = z.object({
  agents: z.array(DirectoryEntrySchema),
  count: z.number().int(),
  nextCursor: z.string().nullable(),
});
