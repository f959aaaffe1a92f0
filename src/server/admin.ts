/**
 * Operator actions on the directory, used by `clawtell admin`: create a name (one email = one account, many names),
 * rotate its key, list and show names, change settings and lists, read the audit log. Safe to run while a server uses
 * the same data folder or database: the server reads a key's name record on every request, and other records within
 * a few seconds. Each change is recorded in the audit log with the actor `admin`.
 */

import { randomBytes } from "node:crypto";
import { ClawTellError, systemClock, type Clock } from "../infra/index.js";
import {
  COMMUNICATION_MODES,
  DELIVERY_POLICIES,
  NameRefSchema,
  stripNamePrefix,
  toFullName,
  type CommunicationMode,
  type DeliveryPolicy,
} from "../protocol/index.js";
import { nameLimitProblem, parseEmail } from "./account-rules.js";
import { DEFAULT_BCRYPT_COST, generateApiKey, hashApiKey, replaceKey } from "./api-keys.js";
import { ADMIN_ACTOR, describeSettings, recordAudit } from "./audit.js";
import { describeRegistrationNameProblem, registrationNameProblem } from "./blocked-names.js";
import { addToList, removeFromList } from "./list-changes.js";
import type { AuditEntry, DirectoryStore, ListKind, NameListing, NameRecord } from "./store/index.js";

export interface CreatedName {
  name: string;
  fullName: string;
  /** Shown once; only its hash is stored. */
  apiKey: string;
  accountId: string;
}

export async function createName(
  directory: DirectoryStore,
  input: { name: string; email: string },
  opts: {
    bcryptCost?: number;
    clock?: Clock;
    /** Refuses a name the email's account has no room for (it owns this many); no limit when absent. */
    maxNamesPerAccount?: number;
  } = {},
): Promise<CreatedName> {
  const name = stripNamePrefix(input.name);
  const problem = registrationNameProblem(name);
  if (problem !== undefined) {
    throw new ClawTellError("CT_BAD_REQUEST", `name: "${name}" ${describeRegistrationNameProblem(problem)}`, { field: "name" });
  }
  const email = parseEmail(input.email);
  if ((await directory.findNameByName(name)) !== undefined) {
    throw new ClawTellError("CT_CONFLICT", `name: "${name}" is already taken`, { field: "name" });
  }
  const full = opts.maxNamesPerAccount === undefined ? undefined : await nameLimitProblem(directory, email, opts.maxNamesPerAccount);
  if (full !== undefined) throw new ClawTellError("CT_FORBIDDEN", `email: ${full}`, { field: "email" });
  const now = (opts.clock ?? systemClock).now();
  const { apiKey, prefix } = generateApiKey();
  const keyHash = await hashApiKey(apiKey, opts.bcryptCost ?? DEFAULT_BCRYPT_COST);

  // The email's account: the one it has, or a new one (insertAccount answers the stored account either way).
  const account = await directory.insertAccount({ id: `acc_${randomBytes(8).toString("hex")}`, email, createdAt: now });
  // A name taken by a creator that raced past the checks above is refused here (CT_CONFLICT), and so is a name beyond
  // the account's limit (CT_FORBIDDEN, field email).
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
  }, { maxNamesPerAccount: opts.maxNamesPerAccount });
  await recordAudit(directory, opts.clock ?? systemClock, { action: "name.created", name, actor: ADMIN_ACTOR, detail: `account ${account.id}` });
  return { name, fullName: toFullName(name), apiKey, accountId: account.id };
}

/** A name as `field` gave it (`tell/` optional), or CT_BAD_REQUEST naming the field. */
export function parseNameRef(raw: string, field: string): string {
  const parsed = NameRefSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ClawTellError("CT_BAD_REQUEST", `${field}: "${raw}" ${parsed.error.issues[0]?.message ?? "is not a name"}`, { field });
  }
  return parsed.data;
}

/** The stored name, or CT_NOT_FOUND naming the field. */
export async function findNameOrFail(directory: DirectoryStore, raw: string, field = "name"): Promise<NameRecord> {
  const name = parseNameRef(raw, field);
  const record = await directory.findNameByName(name);
  if (record === undefined) throw new ClawTellError("CT_NOT_FOUND", `${field}: no name "${name}" on this server`, { field });
  return record;
}

export interface RotatedKey {
  name: string;
  /** Shown once; only its hash is stored. */
  apiKey: string;
}

/** Gives the name a new key; the old one is refused from the next request on, in every server on this storage. */
export async function rotateNameKey(
  directory: DirectoryStore,
  rawName: string,
  opts: { bcryptCost?: number; clock?: Clock } = {},
): Promise<RotatedKey> {
  const record = await findNameOrFail(directory, rawName);
  const { apiKey } = await replaceKey(directory, record, opts.bcryptCost ?? DEFAULT_BCRYPT_COST);
  await recordAudit(directory, opts.clock ?? systemClock, { action: "key.rotated", name: record.name, actor: ADMIN_ACTOR });
  return { name: record.name, apiKey };
}

/** A name as the operator sees it (never its key hash or webhook secret). */
export interface NameSummary {
  name: string;
  fullName: string;
  accountId: string;
  email: string;
  communicationMode: CommunicationMode;
  deliveryPolicy: DeliveryPolicy;
  webhookUrl: string | null;
  createdAt: string;
}

const summarise = (n: NameListing): NameSummary => ({
  name: n.name,
  fullName: toFullName(n.name),
  accountId: n.accountId,
  email: n.email,
  communicationMode: n.communicationMode,
  deliveryPolicy: n.deliveryPolicy,
  webhookUrl: n.webhookUrl,
  createdAt: new Date(n.createdAt).toISOString(),
});

/** Names by name: all, one account's, or one email's. */
export async function listNames(directory: DirectoryStore, filter: { account?: string; email?: string } = {}): Promise<NameSummary[]> {
  if (filter.account !== undefined && filter.email !== undefined) {
    throw new ClawTellError("CT_BAD_REQUEST", "account: give --account or --email, not both", { field: "account" });
  }
  const names = await directory.listNames(
    filter.account !== undefined ? { accountId: filter.account } : filter.email !== undefined ? { email: filter.email.trim().toLowerCase() } : {},
  );
  return names.map(summarise);
}

export interface NameDetails extends NameSummary {
  lists: { autoReplyAllowlist: string[]; deliveryBlocklist: string[]; deliveryAllowlist: string[] };
}

export async function showName(directory: DirectoryStore, rawName: string): Promise<NameDetails> {
  const record = await findNameOrFail(directory, rawName);
  const [listing] = (await directory.listNames({ accountId: record.accountId })).filter((n) => n.id === record.id);
  if (listing === undefined) throw new ClawTellError("CT_NOT_FOUND", `name: no name "${record.name}" on this server`, { field: "name" });
  const entries = async (kind: ListKind) => (await directory.listEntries(record.id, kind)).map((e) => e.entry);
  return {
    ...summarise(listing),
    lists: {
      autoReplyAllowlist: await entries("auto_reply"),
      deliveryBlocklist: await entries("delivery_block"),
      deliveryAllowlist: await entries("delivery_allow"),
    },
  };
}

/** Changes a name's communication mode and/or delivery policy. */
export async function setNameSettings(
  directory: DirectoryStore,
  rawName: string,
  input: { mode?: string; policy?: string },
  opts: { clock?: Clock } = {},
): Promise<NameDetails> {
  const mode = input.mode;
  const policy = input.policy;
  if (mode === undefined && policy === undefined) {
    throw new ClawTellError("CT_BAD_REQUEST", "mode: give --mode and/or --policy", { field: "mode" });
  }
  if (mode !== undefined && !(COMMUNICATION_MODES as readonly string[]).includes(mode)) {
    throw new ClawTellError("CT_BAD_REQUEST", `mode: "${mode}" is not one of ${COMMUNICATION_MODES.join(", ")}`, { field: "mode" });
  }
  if (policy !== undefined && !(DELIVERY_POLICIES as readonly string[]).includes(policy)) {
    throw new ClawTellError("CT_BAD_REQUEST", `policy: "${policy}" is not one of ${DELIVERY_POLICIES.join(", ")}`, { field: "policy" });
  }
  const record = await findNameOrFail(directory, rawName);
  await directory.updateNameSettings(record.id, {
    ...(mode === undefined ? {} : { communicationMode: mode as CommunicationMode }),
    ...(policy === undefined ? {} : { deliveryPolicy: policy as DeliveryPolicy }),
  });
  await recordAudit(directory, opts.clock ?? systemClock, {
    action: "settings.changed",
    name: record.name,
    actor: ADMIN_ACTOR,
    detail: describeSettings({ communication_mode: mode, delivery_policy: policy }),
  });
  return showName(directory, record.name);
}

/** The lists `admin allow|disallow|block|unblock` change, as the API's routes do. */
export const ADMIN_LIST_CHANGES = {
  allow: { kind: "delivery_allow", add: true },
  disallow: { kind: "delivery_allow", add: false },
  block: { kind: "delivery_block", add: true },
  unblock: { kind: "delivery_block", add: false },
} as const satisfies Record<string, { kind: ListKind; add: boolean }>;

export type AdminListChange = keyof typeof ADMIN_LIST_CHANGES;

export async function changeNameList(
  directory: DirectoryStore,
  change: AdminListChange,
  rawName: string,
  rawOther: string,
  opts: { clock?: Clock } = {},
): Promise<{ name: string; list: ListKind; other: string; changed: boolean }> {
  const other = parseNameRef(rawOther, "other");
  const record = await findNameOrFail(directory, rawName);
  const clock = opts.clock ?? systemClock;
  const { kind, add } = ADMIN_LIST_CHANGES[change];
  if (add) {
    const before = await directory.hasEntry(record.id, kind, other);
    await addToList(directory, clock, record, kind, other, { actor: ADMIN_ACTOR });
    return { name: record.name, list: kind, other, changed: !before };
  }
  return { name: record.name, list: kind, other, changed: await removeFromList(directory, clock, record, kind, other, { actor: ADMIN_ACTOR }) };
}

/** Audit entries, newest first. */
export async function readAudit(directory: DirectoryStore, query: { name?: string; limit?: number } = {}): Promise<AuditEntry[]> {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ClawTellError("CT_BAD_REQUEST", `limit: "${String(query.limit)}" must be a whole number from 1 to 10000`, { field: "limit" });
  }
  return directory.listAudit({ limit, ...(query.name === undefined ? {} : { name: parseNameRef(query.name, "name") }) });
}

export interface DeletedNameReport {
  name: string;
  /** Messages to the name that were deleted with it (delivered or not), and their attachments. */
  messages: number;
  files: number;
}

/**
 * Deletes a name: its key stops working at once, its messages (undelivered ones included) and their attachments are
 * deleted, its lists and the entries naming it in other names' lists go, and the name is free to be created again.
 */
export async function deleteNameAsAdmin(directory: DirectoryStore, rawName: string, opts: { clock?: Clock } = {}): Promise<DeletedNameReport> {
  const record = await findNameOrFail(directory, rawName);
  const deleted = await directory.deleteName(record.id);
  await recordAudit(directory, opts.clock ?? systemClock, {
    action: "name.deleted",
    name: record.name,
    actor: ADMIN_ACTOR,
    detail: `${deleted.messages} messages, ${deleted.files} files`,
  });
  return { name: record.name, ...deleted };
}
