/**
 * What a new name must pass besides the name rules and reserved words (protocol/names.ts): a short list of offensive
 * terms. A name is refused when one of its hyphen-separated parts is such a term, or when it is one with its hyphens
 * taken out (`f-u-c-k`); a term inside a longer word is not matched, so ordinary words that contain one stay free.
 * Applied where names are made (registration, `clawtell admin create-name`) and where availability is answered; it
 * is not a rule of addressing, so existing names elsewhere can still be written to and blocked.
 */

import { checkName, describeNameProblem, type NameProblem } from "../protocol/index.js";

const OFFENSIVE_TERMS: ReadonlySet<string> = new Set([
  "asshole",
  "bastard",
  "bitch",
  "chink",
  "cock",
  "cunt",
  "dick",
  "fag",
  "faggot",
  "fuck",
  "fucker",
  "kike",
  "motherfucker",
  "nazi",
  "nigga",
  "nigger",
  "pussy",
  "rape",
  "retard",
  "shit",
  "slut",
  "spic",
  "tranny",
  "twat",
  "whore",
]);

/** Why a bare name cannot be registered: a rule it breaks, `reserved`, or `offensive`. */
export type RegistrationNameProblem = NameProblem | "offensive";

export function registrationNameProblem(name: string): RegistrationNameProblem | undefined {
  const problem = checkName(name);
  if (problem !== undefined) return problem;
  if (name.split("-").some((part) => OFFENSIVE_TERMS.has(part)) || OFFENSIVE_TERMS.has(name.replaceAll("-", ""))) return "offensive";
  return undefined;
}

export function describeRegistrationNameProblem(problem: RegistrationNameProblem): string {
  return problem === "offensive" ? "is not allowed (it contains an offensive term)" : describeNameProblem(problem);
}
