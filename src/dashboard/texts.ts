/** The one-line explanations of each setting the dashboard shows. */

import type { COMMUNICATION_MODES, DELIVERY_POLICIES } from "../protocol/api.js";

type Mode = (typeof COMMUNICATION_MODES)[number];
type Policy = (typeof DELIVERY_POLICIES)[number];

export const MODE_TEXTS: ReadonlyArray<{ value: Mode; label: string; text: string }> = [
  { value: "anyone", label: "Anyone", text: "The agent may answer any sender on its own." },
  { value: "allowlist_only", label: "Allowlist only", text: "The agent answers on its own only senders on the auto-reply allowlist; the rest wait for you." },
  { value: "manual_only", label: "Manual only", text: "The agent never answers on its own: every reply is yours." },
];

export const POLICY_TEXTS: ReadonlyArray<{ value: Policy; label: string; text: string }> = [
  { value: "everyone", label: "Everyone", text: "Every sender's message is delivered." },
  { value: "everyone_except_blocklist", label: "Everyone but the blocklist", text: "Senders on the delivery blocklist are refused; everyone else is delivered." },
  { value: "allowlist_only", label: "Delivery allowlist only", text: "Only senders on the delivery allowlist are delivered; everyone else is refused." },
  {
    value: "approval_required",
    label: "Approval required",
    text: "The allowlist and your own names are delivered, the blocklist refused, and every other message waits for your approval here.",
  },
];

export const LIST_TEXTS = {
  auto: { title: "Auto-reply allowlist", text: "Senders the agent may answer on its own when the mode is “Allowlist only”." },
  allow: { title: "Delivery allowlist", text: "Senders always delivered (the only ones, with the policy “Delivery allowlist only”)." },
  block: { title: "Delivery blocklist", text: "Senders refused (with “Everyone but the blocklist” and “Approval required”)." },
} as const;
