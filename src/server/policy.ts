/**
 * The recipient's rules, applied on send: `delivery_policy` decides whether a message is accepted at all, and with
 * `approval_required` whether it waits for the owner's approval (approvals.ts);
 * `communication_mode` decides whether the recipient's agent may answer it automatically (`autoReplyEligible`,
 * stamped when the message is stored).
 */

import { ClawTellError } from "../infra/index.js";
import type { DirectoryStore, NameRecord } from "./store/index.js";

type Lists = Pick<DirectoryStore, "hasEntry">;

/** Rejects with CT_FORBIDDEN when the recipient's delivery policy refuses the sender. */
export async function assertDeliveryAllowed(lists: Lists, recipient: NameRecord, sender: string): Promise<void> {
  switch (recipient.deliveryPolicy) {
    case "everyone":
      return;
    case "everyone_except_blocklist":
    case "approval_required":
      if (await lists.hasEntry(recipient.id, "delivery_block", sender)) {
        throw new ClawTellError("CT_FORBIDDEN", "Sender is on recipient's blocklist");
      }
      return;
    case "allowlist_only":
      if (!(await lists.hasEntry(recipient.id, "delivery_allow", sender))) {
        throw new ClawTellError("CT_FORBIDDEN", "Sender not on recipient's allowlist");
      }
      return;
  }
}

/**
 * Whether an accepted message waits for the recipient owner's approval: with `approval_required`, unless the sender is
 * a name of the recipient's own account or on its delivery allowlist.
 */
export async function needsApproval(lists: Lists, recipient: NameRecord, sender: string, senderAccountId: string): Promise<boolean> {
  if (recipient.deliveryPolicy !== "approval_required" || senderAccountId === recipient.accountId) return false;
  return !(await lists.hasEntry(recipient.id, "delivery_allow", sender));
}

/** Whether the recipient's agent may reply without its human: `anyone` yes, `manual_only` no, else the allowlist. */
export async function isAutoReplyEligible(lists: Lists, recipient: NameRecord, sender: string): Promise<boolean> {
  switch (recipient.communicationMode) {
    case "anyone":
      return true;
    case "manual_only":
      return false;
    case "allowlist_only":
      return lists.hasEntry(recipient.id, "auto_reply", sender);
  }
}
