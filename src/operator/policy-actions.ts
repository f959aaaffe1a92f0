/**
 * The list and mode changes behind `allow`, `disallow`, `block`, `unblock`, `lists`, `mode` and `delivery-policy`, for
 * both CLIs and the agent's `clawtell_lists` tool. Each says in one sentence what changed and what it means:
 * - allow: the sender may message the name and its agent may answer on its own (auto-reply allowlist, delivery
 *   allowlist, off the blocklist);
 * - disallow: off both allowlists;
 * - block: off both allowlists and on the blocklist, with the delivery policy narrowed from `everyone` to
 *   `everyone_except_blocklist` so the block takes effect;
 * - unblock: off the blocklist.
 */

import type { PolicyList } from "../client/index.js";
import { ClawTellError, isClawTellError } from "../infra/index.js";
import { checkName, describeNameProblem, stripNamePrefix, type CommunicationMode, type DeliveryPolicy } from "../protocol/index.js";
import type { ManagedName, PolicyDeps } from "./policy-target.js";

export type ListAction = "allow" | "disallow" | "block" | "unblock";

/** A name's settings and lists, as `lists` shows them. */
export interface NameLists {
  readonly name: string;
  readonly accountId: string;
  readonly communicationMode: CommunicationMode;
  readonly deliveryPolicy: DeliveryPolicy | null;
  readonly autoReplyAllowlist: readonly string[];
  /** null: the server has no delivery lists. */
  readonly deliveryAllowlist: readonly string[] | null;
  readonly deliveryBlocklist: readonly string[] | null;
}

const tell = (name: string): string => `tell/${name}`;

export const MODE_MEANING: Readonly<Record<CommunicationMode, string>> = {
  anyone: "the agent answers every sender on its own",
  allowlist_only: "the agent answers on its own only senders on the auto-reply allowlist",
  manual_only: "the agent never answers on its own; you reply yourself",
};

export const DELIVERY_MEANING: Readonly<Record<DeliveryPolicy, string>> = {
  everyone: "anyone may send",
  everyone_except_blocklist: "anyone but the blocklist may send",
  allowlist_only: "only the delivery allowlist may send",
  approval_required: "the delivery allowlist and your own names may send; other senders' messages wait for your approval",
};

/** The call's answer, or undefined when the server answers 404 (it has no such list). */
async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isClawTellError(err) && err.code === "CT_NOT_FOUND") return undefined;
    throw err;
  }
}

/** The sender as a bare name; refuses what can be no ClawTell name, and the name itself. */
function senderName(target: ManagedName, sender: string): string {
  const bare = stripNamePrefix(sender);
  const problem = checkName(bare);
  if (problem !== undefined) throw new ClawTellError("CT_BAD_REQUEST", `sender: ${tell(bare)} ${describeNameProblem(problem)}`, { field: "sender" });
  if (bare === target.name) throw new ClawTellError("CT_BAD_REQUEST", `sender: ${tell(bare)} is the name itself`, { field: "sender" });
  return bare;
}

/** Applies one list action for `sender` on the name; resolves with what to tell the human. */
export async function changeLists(deps: PolicyDeps, target: ManagedName, action: ListAction, sender: string): Promise<string> {
  const who = senderName(target, sender);
  const { client, name } = target;
  const o = deps.request;
  const remove = (list: PolicyList) => client.removeFromList(list, who, o);
  switch (action) {
    case "allow": {
      await client.addToList("auto_reply", who, o);
      // The delivery lists are this server's; a server without them (404) keeps only the auto-reply allowlist.
      const delivery = await unlessMissing(client.addToList("delivery_allow", who, o).then(() => true));
      const wasBlocked = await remove("delivery_block");
      const lists = delivery === undefined ? "auto-reply allowlist" : "auto-reply allowlist and delivery allowlist";
      const lines = [`✓ ${tell(who)} may message ${tell(name)} and get automatic replies (${lists}${wasBlocked ? "; taken off the blocklist" : ""}).`];
      if (target.me.communicationMode === "manual_only") {
        lines.push(`Note: ${tell(name)}'s auto-reply mode is manual_only, so its agent answers nobody on its own; to use the allowlist: ${deps.command} mode ${name} allowlist_only`);
      }
      return lines.join("\n");
    }
    case "disallow": {
      const removed = [await remove("auto_reply"), await remove("delivery_allow")].some(Boolean);
      return removed
        ? `✓ ${tell(who)} is off ${tell(name)}'s allowlists: no automatic replies to it${target.me.deliveryPolicy === "allowlist_only" ? ", and it can no longer send (delivery policy allowlist_only)" : ""}.`
        : `${tell(who)} was on none of ${tell(name)}'s allowlists.`;
    }
    case "block": {
      await remove("auto_reply");
      await remove("delivery_allow");
      const added = await unlessMissing(client.addToList("delivery_block", who, o).then(() => true));
      if (added === undefined) {
        throw new ClawTellError("CT_NOT_FOUND", `this ClawTell server has no delivery blocklist; ${tell(who)} is off ${tell(name)}'s allowlists only`);
      }
      const lines = [`✓ ${tell(who)} is blocked: its messages to ${tell(name)} are refused by the server.`];
      if ((target.me.deliveryPolicy ?? "everyone") === "everyone") {
        await client.updateName(name, { deliveryPolicy: "everyone_except_blocklist" }, o);
        lines.push(`${tell(name)}'s delivery policy changed from everyone to everyone_except_blocklist, so the blocklist applies.`);
      }
      return lines.join("\n");
    }
    case "unblock": {
      const removed = await remove("delivery_block");
      if (!removed) return `${tell(who)} was not on ${tell(name)}'s blocklist.`;
      const reach = target.me.deliveryPolicy === "allowlist_only" ? ` (it can send again once allowed: ${deps.command} allow ${name} ${tell(who)})` : "";
      return `✓ ${tell(who)} is off ${tell(name)}'s blocklist${reach}.`;
    }
  }
}

/** The name's settings and its three lists. */
export async function readLists(deps: PolicyDeps, target: ManagedName): Promise<NameLists> {
  const { client } = target;
  const [autoReply, deliveryAllow, deliveryBlock] = await Promise.all([
    client.listEntries("auto_reply", deps.request),
    unlessMissing(client.listEntries("delivery_allow", deps.request)),
    unlessMissing(client.listEntries("delivery_block", deps.request)),
  ]);
  return {
    name: target.name,
    accountId: target.account.accountId,
    communicationMode: target.me.communicationMode,
    deliveryPolicy: target.me.deliveryPolicy ?? null,
    autoReplyAllowlist: autoReply,
    deliveryAllowlist: deliveryAllow ?? null,
    deliveryBlocklist: deliveryBlock ?? null,
  };
}

/** `lists` as text: one block per name. */
export function formatLists(lists: NameLists): string {
  const names = (entries: readonly string[] | null): string =>
    entries === null ? "(the server has none)" : entries.length === 0 ? "(empty)" : entries.map(tell).join(", ");
  const policy = lists.deliveryPolicy;
  return [
    `${tell(lists.name)} (account ${lists.accountId})`,
    `  auto-reply mode:      ${lists.communicationMode} — ${MODE_MEANING[lists.communicationMode]}`,
    `  delivery policy:      ${policy === null ? "not reported by the server" : `${policy} — ${DELIVERY_MEANING[policy]}`}`,
    `  auto-reply allowlist: ${names(lists.autoReplyAllowlist)}`,
    `  delivery allowlist:   ${names(lists.deliveryAllowlist)}`,
    `  delivery blocklist:   ${names(lists.deliveryBlocklist)}`,
  ].join("\n");
}

/** Sets the auto-reply mode. */
export async function setMode(deps: PolicyDeps, target: ManagedName, mode: CommunicationMode): Promise<string> {
  const updated = await target.client.updateName(target.name, { communicationMode: mode }, deps.request);
  return `✓ ${tell(target.name)}'s auto-reply mode is ${updated.communicationMode}: ${MODE_MEANING[updated.communicationMode]}.`;
}

/** Sets the delivery policy. */
export async function setDeliveryPolicy(deps: PolicyDeps, target: ManagedName, policy: DeliveryPolicy): Promise<string> {
  const updated = await target.client.updateName(target.name, { deliveryPolicy: policy }, deps.request);
  return `✓ ${tell(target.name)}'s delivery policy is ${updated.deliveryPolicy}: ${DELIVERY_MEANING[updated.deliveryPolicy]}.`;
}
