/**
 * Operator actions on the directory, used by `clawtell admin`: create a name (one email = one account, many names).
 * Safe to run while a server uses the same data folder: the server looks names up in the database.
 */

import { randomBytes } from "node:crypto";
import { ClawTellError, systemClock, type Clock } from "../infra/index.js";
import { checkName, describeNameProblem, stripNamePrefix, toFullName } from "../protocol/index.js";
import { DEFAULT_BCRYPT_COST, generateApiKey, hashApiKey } from "./api-keys.js";
import type { DirectoryStore } from "./store/index.js";

export interface CreatedName {
  name: string;
  fullName: string;
  /** Shown once; only its hash is stored. */
  apiKey: string;
  accountId: string;
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createName(
  directory: DirectoryStore,
  input: { name: string; email: string },
  opts: { bcryptCost?: number; clock?: Clock } = {},
): Promise<CreatedName> {
  const name = stripNamePrefix(input.name);
  const problem = checkName(name);
  if (problem !== undefined) {
    throw new ClawTellError("CT_BAD_REQUEST", `name: "${name}" ${describeNameProblem(problem)}`, { field: "name" });
  }
  const email = input.email.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(email)) {
    throw new ClawTellError("CT_BAD_REQUEST", `email: "${input.email}" is not an email address`, { field: "email" });
  }
  if ((await directory.findNameByName(name)) !== undefined) {
    throw new ClawTellError("CT_CONFLICT", `name: "${name}" is already taken`, { field: "name" });
  }
  const now = (opts.clock ?? systemClock).now();
  const { apiKey, prefix } = generateApiKey();
  const keyHash = await hashApiKey(apiKey, opts.bcryptCost ?? DEFAULT_BCRYPT_COST);

  // The email's account: the one it has, or a new one (insertAccount answers the stored account either way).
  const account = await directory.insertAccount({ id: `acc_${randomBytes(8).toString("hex")}`, email, createdAt: now });
  // A name taken by a creator that raced past the check above is refused here (CT_CONFLICT).
  await directory.insertName({
    name,
    accountId: account.id,
    keyPrefix: prefix,
    keyHash,
    communicationMode: "allowlist_only",
    deliveryPolicy: "everyone",
    webhookUrl: null,
    webhookSecret: null,
    createdAt: now,
  });
  return { name, fullName: toFullName(name), apiKey, accountId: account.id };
}
