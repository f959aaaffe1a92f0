/**
 * The recipient's rules, applied on send: `delivery_policy` decides whether a message is accepted at all;
 * `communication_mode` decides whether the recipient's agent may answer it automatically (`autoReplyEligible`,
 * stamped when the message is stored).
 */

import { ClawTellError } from "../infra/index.js";
import type { NameRecord, Store } from "./store/store.js";

/** Throws CT_FORBIDDEN when the recipient's delivery policy refuses the sender. */
export function assertDeliveryAllowed(store: Store, recipient: NameRecord, sender: string): void {
  switch (recipient.deliveryPolicy) {
    case "everyone":
      return;
    case "everyone_except_blocklist":
      if (store.hasEntry(recipient.id, "delivery_block", sender)) {
        throw new ClawTellError("CT_FORBIDDEN", "Sender is on recipient's blocklist");
      }
      return;
    case "allowlist_only":
      if (!store.hasEntry(recipient.id, "delivery_allow", sender)) {
        throw new ClawTellError("CT_FORBIDDEN", "Sender not on recipient's allowlist");
      }
      return;
  }
}

/** Whether the recipient's agent may reply without its human: `anyone` yes, `manual_only` no, else the allowlist. */
export function isAutoReplyEligible(store: Store, recipient: NameRecord, sender: string): boolean {
  switch (recipient.communicationMode) {
    case "anyone":
      return true;
    case "manual_only":
      return false;
    case "allowlist_only":
      return store.hasEntry(recipient.id, "auto_reply", sender);
  }
}
