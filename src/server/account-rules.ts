/**
 * Rules of accounts that every way of making a name applies (registration, `clawtell admin create-name`): one
 * lower-cased email per account, and at most so many names per account.
 */

import { ClawTellError } from "../infra/index.js";
import { nameLimitText, type DirectoryStore } from "./store/index.js";

/** Names one account may own unless the operator says otherwise (the spec's free tier). */
export const DEFAULT_MAX_NAMES_PER_ACCOUNT = 5;

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The longest address mail servers deliver to (RFC 5321 path limit). */
const EMAIL_MAX_LENGTH = 254;

/** The email as accounts are keyed (trimmed, lower-cased), or CT_BAD_REQUEST naming `field`. */
export function parseEmail(raw: string, field = "email"): string {
  const email = raw.trim().toLowerCase();
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL_PATTERN.test(email)) {
    throw new ClawTellError("CT_BAD_REQUEST", `${field}: "${raw.slice(0, 100)}" is not an email address`, { field });
  }
  return email;
}

/**
 * Why the email's account cannot take another name (it owns `max` already), or undefined when it can. An early answer
 * only: the store's insert (`maxNamesPerAccount`) is what holds the limit when names are made at once.
 */
export async function nameLimitProblem(directory: Pick<DirectoryStore, "findAccountByEmail" | "listNamesOfAccount">, email: string, max: number): Promise<string | undefined> {
  const account = await directory.findAccountByEmail(email);
  if (account === undefined) return undefined;
  const owned = (await directory.listNamesOfAccount(account.id)).length;
  return owned < max ? undefined : nameLimitText(email, owned, max);
}
