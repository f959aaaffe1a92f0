/**
 * ClawTell names: the `tell/` display prefix and the spec's rules (2–50 chars, lowercase letters, digits,
 * single inner hyphens, reserved words refused).
 */

import { z } from "zod";
import { RESERVED_NAMES } from "./reserved-names.js";

export const NAME_PREFIX = "tell/";
export const NAME_MIN_LENGTH = 2;
export const NAME_MAX_LENGTH = 50;

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export { RESERVED_NAMES };

/** `Tell/Alice ` → `alice`. Only a leading prefix is removed (unlike one SDK, which removes it anywhere). */
export function stripNamePrefix(raw: string): string {
  const lowered = raw.trim().toLowerCase();
  return lowered.startsWith(NAME_PREFIX) ? lowered.slice(NAME_PREFIX.length) : lowered;
}

/** `alice` → `tell/alice`. */
export function toFullName(name: string): string {
  return `${NAME_PREFIX}${stripNamePrefix(name)}`;
}

export type NameProblem = "too_short" | "too_long" | "bad_characters" | "reserved";

/** Why a bare name is not acceptable for registration, or `undefined` when it is. */
export function checkName(name: string): NameProblem | undefined {
  if (name.length < NAME_MIN_LENGTH) return "too_short";
  if (name.length > NAME_MAX_LENGTH) return "too_long";
  if (!NAME_PATTERN.test(name)) return "bad_characters";
  if (RESERVED_NAMES.has(name)) return "reserved";
  return undefined;
}

export function isValidName(name: string): boolean {
  return checkName(name) === undefined;
}

const NAME_PROBLEM_TEXT: Record<NameProblem, string> = {
  too_short: `must be at least ${NAME_MIN_LENGTH} characters`,
  too_long: `must be at most ${NAME_MAX_LENGTH} characters`,
  bad_characters: "may contain only lowercase letters, digits and single inner hyphens",
  reserved: "is reserved",
};

export function describeNameProblem(problem: NameProblem): string {
  return NAME_PROBLEM_TEXT[problem];
}

/**
 * A name as clients send it (`tell/` optional, any case), normalised to the bare form.
 * Only the shape is checked here; reserved words matter for registration, not for addressing.
 */
export const NameRefSchema = z
  .string()
  .transform(stripNamePrefix)
  .pipe(
    z
      .string()
      .min(NAME_MIN_LENGTH, `must be at least ${NAME_MIN_LENGTH} characters`)
      .max(NAME_MAX_LENGTH, `must be at most ${NAME_MAX_LENGTH} characters`)
      .regex(NAME_PATTERN, NAME_PROBLEM_TEXT.bad_characters),
  );
