/**
 * Operator actions on the approval queue and the quotas, used by `clawtell admin approvals|approve|reject` and
 * `set-quota|quota`. Safe beside a running server: a decision is recorded in storage and audited with the actor
 * `admin`; a running server delivers an approved message (or tells a rejected one's sender) within a second
 * (approval-applier.ts), or the next server to start on the storage does.
 */

import { ClawTellError, systemClock, type Clock } from "../infra/index.js";
import { toFullName } from "../protocol/index.js";
import { ADMIN_ACTOR, recordAudit } from "./audit.js";
import { decideApproval, MAX_REASON_CHARS } from "./approvals.js";
import { monthOf, nextMonthStart } from "./quota.js";
import type { AccountQuota, AccountRecord, AdminStores, DirectoryStore } from "./store/index.js";

/** A held message as the operator sees it. */
export interface HeldSummary {
  approvalId: string;
  from: string;
  to: string;
  subject: string;
  body: string;
  attachments: number;
  createdAt: string;
  expiresAt: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The account an operator names: by email (it has an `@`) or by id; CT_NOT_FOUND otherwise. */
export async function findAccountOrFail(directory: DirectoryStore, ref: string): Promise<AccountRecord> {
  const trimmed = ref.trim();
  const account = trimmed.includes("@") ? await directory.findAccountByEmail(trimmed.toLowerCase()) : await directory.findAccountById(trimmed);
  if (account === undefined) throw new ClawTellError("CT_NOT_FOUND", `account: no account "${ref}" on this server`, { field: "account" });
  return account;
}

/** Pending held messages, oldest first: all, or those to the names of one account (by email or id). */
export async function listApprovals(
  stores: Pick<AdminStores, "directory" | "approvals">,
  filter: { account?: string; limit?: number } = {},
  opts: { clock?: Clock } = {},
): Promise<HeldSummary[]> {
  const limit = filter.limit ?? 500;
  const recipientIds =
    filter.account === undefined
      ? undefined
      : (await stores.directory.listNamesOfAccount((await findAccountOrFail(stores.directory, filter.account)).id)).map((n) => n.id);
  const held = await stores.approvals.listPending(recipientIds, (opts.clock ?? systemClock).now(), limit);
  return held.map(({ approvalId, message, expiresAt }) => ({
    approvalId,
    from: toFullName(message.sender),
    to: toFullName(message.recipient),
    subject: message.subject,
    body: message.body,
    attachments: message.attachments.length,
    createdAt: iso(message.createdAt),
    expiresAt: iso(expiresAt),
  }));
}

export interface AdminDecision {
  approvalId: string;
  status: "approved" | "rejected";
  from: string;
  to: string;
  subject: string;
}

/** Approves or rejects a held message as the operator (409 when decided otherwise or expired; 404 when unknown). */
export async function decideAsAdmin(
  stores: Pick<AdminStores, "directory" | "approvals">,
  approvalId: string,
  decision: "approved" | "rejected",
  opts: { reason?: string; clock?: Clock } = {},
): Promise<AdminDecision> {
  if (opts.reason !== undefined && opts.reason.length > MAX_REASON_CHARS) {
    throw new ClawTellError("CT_BAD_REQUEST", `reason: at most ${MAX_REASON_CHARS} characters`, { field: "reason" });
  }
  const record = await decideApproval(
    { approvals: stores.approvals, directory: stores.directory, clock: opts.clock ?? systemClock },
    { approvalId: approvalId.trim(), decision, actor: ADMIN_ACTOR, reason: opts.reason },
  );
  const { message } = record;
  return { approvalId: record.approvalId, status: decision, from: toFullName(message.sender), to: toFullName(message.recipient), subject: message.subject };
}

/** An account's quota as `set-quota` and `quota` show it. */
export interface QuotaReport {
  accountId: string;
  email: string;
  /** The account's own quota: a number, `unlimited`, or `default` (the server's `--monthly-quota` applies). */
  quota: number | "unlimited" | "default";
  month: string;
  /** Messages counted this month; counting happens only while a quota applies to the account. */
  used: number;
  resetsAt: string;
}

/** `N` (1 or more), `unlimited` or `default`, as stored. */
export function parseQuota(raw: string): AccountQuota | undefined {
  const value = raw.trim().toLowerCase();
  if (value === "unlimited") return null;
  if (value === "default") return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new ClawTellError("CT_BAD_REQUEST", `quota: "${raw}" is not a whole number of 1 or more, "unlimited" or "default"`, { field: "quota" });
  }
  return n;
}

export async function showAccountQuota(stores: Pick<AdminStores, "directory" | "quotas">, accountRef: string, opts: { clock?: Clock } = {}): Promise<QuotaReport> {
  const account = await findAccountOrFail(stores.directory, accountRef);
  const now = (opts.clock ?? systemClock).now();
  const own = await stores.quotas.accountQuota(account.id);
  return {
    accountId: account.id,
    email: account.email,
    quota: own === undefined ? "default" : own === null ? "unlimited" : own,
    month: monthOf(now),
    used: await stores.quotas.used(account.id, monthOf(now)),
    resetsAt: iso(nextMonthStart(now)),
  };
}

/** Gives an account its own monthly quota (`N`, `unlimited`), or takes it away (`default`); audited. */
export async function setAccountQuota(
  stores: Pick<AdminStores, "directory" | "quotas">,
  accountRef: string,
  rawQuota: string,
  opts: { clock?: Clock } = {},
): Promise<QuotaReport> {
  const quota = parseQuota(rawQuota);
  const account = await findAccountOrFail(stores.directory, accountRef);
  await stores.quotas.setAccountQuota(account.id, quota);
  await recordAudit(stores.directory, opts.clock ?? systemClock, {
    action: "quota.changed",
    name: null,
    actor: ADMIN_ACTOR,
    detail: `account ${account.id} monthly quota ${quota === undefined ? "default" : quota === null ? "unlimited" : String(quota)}`,
  });
  return showAccountQuota(stores, account.id, opts);
}
