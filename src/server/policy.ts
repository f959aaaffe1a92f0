/**
 * The recipient's rules, applied on send: `delivery_policy` decides whether a message is accepted at all, and with
 * `approval_required` whether it waits for the owner's approval (approvals.ts);
 * `communication_mode` decides whether the recipient's agent may answer it automatically (`autoReplyEligible`,
 * stamped when the message is stored).
 */

import { ClawTellError } from "../infra/index.js";
import type { DirectoryStore, NameRecord } from "./store/index.js";

type Lists = Pick<DirectoryStore, "hasEntry">;

/** What the recipient's rules make of an accepted send. */
export interface DeliveryDecision {
  /** The message waits for the recipient owner's approval. */
  readonly held: boolean;
  /** The recipient's agent may reply without its human. */
  readonly autoReplyEligible: boolean;
}

/**
 * The recipient's rules for a send from `sender` (a name of `senderAccountId`), in one step: every send asks them all.
 * Rejects with CT_FORBIDDEN when the delivery policy refuses the sender. With `approval_required` the message is held
 * unless the sender is a name of the recipient's own account or on its delivery allowlist. Replies without the human:
 * `anyone` yes, `manual_only` no, `allowlist_only` by the auto-reply list. A list is read only when a rule needs it.
 */
export async function decideDelivery(lists: Lists, recipient: NameRecord, sender: string, senderAccountId: string): Promise<DeliveryDecision> {
  const policy = recipient.deliveryPolicy;
  switch (policy) {
    case "everyone":
      break;
    case "everyone_except_blocklist":
    case "approval_required":
      if (await lists.hasEntry(recipient.id, "delivery_block", sender)) {
        throw new ClawTellError("CT_FORBIDDEN", "Sender is on recipient's blocklist");
      }
      break;
    case "allowlist_only":
      if (!(await lists.hasEntry(recipient.id, "delivery_allow", sender))) {
        throw new ClawTellError("CT_FORBIDDEN", "Sender not on recipient's allowlist");
      }
      break;
  }
  const held = policy === "approval_required" && senderAccountId !== recipient.accountId && !(await lists.hasEntry(recipient.id, "delivery_allow", sender));
  const mode = recipient.communicationMode;
  const autoReplyEligible = mode === "anyone" || (mode === "allowlist_only" && (await lists.hasEntry(recipient.id, "auto_reply", sender)));
  return { held, autoReplyEligible };
}
