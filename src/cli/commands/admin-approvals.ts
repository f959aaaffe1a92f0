/**
 * `clawtell admin approvals|approve|reject` (the approval queue) and `set-quota|quota` (monthly message quotas). Each
 * opens the data folder or the database beside a running server; a decision is recorded there, and the running
 * server delivers the approved message (or tells a rejected one's sender) within a second.
 */

import type { Command } from "commander";
import type { Io } from "../../infra/terminal-io.js";
import type { AdminDecision, HeldSummary, QuotaReport } from "../../server/administration.js";
import { formatTable, storageOptions } from "./admin-operator.js";
import { withAdminStores, type StorageFlags } from "./admin-storage.js";

/** At most this many characters of a subject in the table. */
const SUBJECT_WIDTH = 40;

const shorten = (text: string): string => (text.length <= SUBJECT_WIDTH ? text : `${text.slice(0, SUBJECT_WIDTH - 1)}…`);

const heldRows = (held: readonly HeldSummary[]): string[][] =>
  held.map((h) => [h.approvalId, h.from, h.to, shorten(h.subject.replace(/\s+/g, " ")), String(h.attachments), h.createdAt, h.expiresAt]);

function printQuota(io: Io, report: QuotaReport, json: boolean | undefined): void {
  if (json === true) {
    io.out(JSON.stringify(report));
    return;
  }
  const quota = report.quota === "default" ? "default (the server's --monthly-quota)" : String(report.quota);
  const rows: Array<[string, string]> = [
    ["account", report.accountId],
    ["email", report.email],
    ["monthly quota", quota],
    [`used in ${report.month}`, String(report.used)],
    ["resets", report.resetsAt],
  ];
  for (const line of formatTable(["FIELD", "VALUE"], rows)) io.out(line);
}

function printDecision(io: Io, decision: AdminDecision, json: boolean | undefined): void {
  if (json === true) {
    io.out(JSON.stringify(decision));
    return;
  }
  const what = `${decision.from} → ${decision.to} ("${shorten(decision.subject)}")`;
  io.out(
    decision.status === "approved"
      ? `approved ${decision.approvalId}: ${what}; a running server delivers it within a second`
      : `rejected ${decision.approvalId}: ${what}; a running server tells ${decision.from} within a second`,
  );
}

/** Registers the approval and quota commands under `clawtell admin`. */
export function registerAdminApprovalCommands(admin: Command, io: Io): void {
  storageOptions(
    admin
      .command("approvals")
      .description("messages waiting for their recipient owner's approval (delivery policy approval_required), oldest first")
      .option("--account <account>", "only those to the names of this account (its id or email)"),
  ).action(async (opts: StorageFlags & { account?: string }) => {
    const { listApprovals } = await import("../../server/administration.js");
    const held = await withAdminStores(opts, (stores) => listApprovals(stores, opts.account === undefined ? {} : { account: opts.account }));
    if (opts.json === true) io.out(JSON.stringify(held));
    else for (const line of formatTable(["ID", "FROM", "TO", "SUBJECT", "FILES", "SENT", "EXPIRES"], heldRows(held))) io.out(line);
  });

  storageOptions(admin.command("approve <id>").description("approve a held message: it is delivered to its recipient")).action(
    async (id: string, opts: StorageFlags) => {
      const { decideAsAdmin } = await import("../../server/administration.js");
      printDecision(io, await withAdminStores(opts, (stores) => decideAsAdmin(stores, id, "approved")), opts.json);
    },
  );

  storageOptions(
    admin
      .command("reject <id>")
      .description("reject a held message: it is not delivered, and its sender gets a notice")
      .option("--reason <text>", "told to the sender in the notice"),
  ).action(async (id: string, opts: StorageFlags & { reason?: string }) => {
    const { decideAsAdmin } = await import("../../server/administration.js");
    const reason = opts.reason === undefined ? {} : { reason: opts.reason };
    printDecision(io, await withAdminStores(opts, (stores) => decideAsAdmin(stores, id, "rejected", reason)), opts.json);
  });

  storageOptions(
    admin
      .command("set-quota <account> <quota>")
      .description("give an account (its email or id) its own monthly message quota: a number, unlimited, or default (the server's --monthly-quota)")
      .addHelpText("after", "\nExample:\n  clawtell admin set-quota you@example.com 2500"),
  ).action(async (account: string, quota: string, opts: StorageFlags) => {
    const { setAccountQuota } = await import("../../server/administration.js");
    printQuota(io, await withAdminStores(opts, (stores) => setAccountQuota(stores, account, quota)), opts.json);
  });

  storageOptions(admin.command("quota <account>").description("an account's monthly message quota and what it used this month")).action(
    async (account: string, opts: StorageFlags) => {
      const { showAccountQuota } = await import("../../server/administration.js");
      printQuota(io, await withAdminStores(opts, (stores) => showAccountQuota(stores, account)), opts.json);
    },
  );
}
