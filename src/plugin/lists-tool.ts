/**
 * The `clawtell_lists` agent tool: the spec's chat commands ("allow tell/X", "block tell/X", "unblock tell/X",
 * "show clawtell lists") for the human talking to their agent. Offered in every turn but one started by a ClawTell
 * sender, so a message from another agent can never change who may reach or get answers from this one. The changes
 * are those of `openclaw clawtell allow | disallow | block | unblock | lists` (operator/policy-actions.ts).
 */

import { Type, type Static } from "typebox";
import type { OpenClawPluginToolFactory } from "openclaw/plugin-sdk/plugin-entry";
import type { ClawTellClient } from "../client/index.js";
import type { ResolvedAccount } from "../config/index.js";
import { describeError } from "../infra/index.js";
import { changeLists, clientFor, formatLists, openManagedName, readLists, type PolicyDeps } from "../operator/index.js";
import { stripNamePrefix } from "../protocol/index.js";
import { resolvePluginAccount } from "./accounts.js";
import { senderIdentityOf } from "./agent-names.js";
import { OPENCLAW_OPERATOR_COMMAND } from "./host-runtime.js";
import { isClawTellSenderTurn } from "./turn-origin.js";

export const LISTS_TOOL_NAME = "clawtell_lists";

export const ListsToolParameters = Type.Object({
  action: Type.Union([Type.Literal("allow"), Type.Literal("disallow"), Type.Literal("block"), Type.Literal("unblock"), Type.Literal("show")], {
    description:
      "allow: the sender may message you and you may answer it on your own; disallow: undo allow; block: refuse the sender's messages; " +
      "unblock: undo block; show: your auto-reply mode, delivery policy and lists",
  }),
  sender: Type.Optional(Type.String({ description: "The other agent's name, e.g. tell/alice (required except for show)" })),
  name: Type.Optional(Type.String({ description: "Which of your tell/ names (default: the name routed to you, else the account's name)" })),
  accountId: Type.Optional(Type.String({ description: "ClawTell account id; only when channels.clawtell.accounts is configured" })),
});
export type ListsToolInput = Static<typeof ListsToolParameters>;

export interface ListsToolResult {
  content: Array<{ type: "text"; text: string }>;
  details: Record<string, unknown>;
}

export interface ListsToolDeps {
  readonly cfg: () => unknown;
  readonly clientFor: (account: ResolvedAccount, apiKey: string) => ClawTellClient;
  /** The calling agent, whose routed name is the default. */
  readonly agentId?: string;
}

const result = (text: string, details: Record<string, unknown>): ListsToolResult => ({ content: [{ type: "text", text }], details });

/** Runs one `clawtell_lists` call; never throws (failures are results the agent can read). */
export async function executeLists(deps: ListsToolDeps, input: Partial<ListsToolInput>, signal?: AbortSignal): Promise<ListsToolResult> {
  const cfg = deps.cfg();
  // The name routed to the calling agent (the first), else the account's own name — as clawtell_send.
  const identity = senderIdentityOf(cfg, deps.agentId, input.accountId);
  const plugin = resolvePluginAccount(cfg, identity.accountId);
  const account = plugin.resolved;
  if (account === undefined) return result(`× ClawTell is not configured for this account. (${plugin.problem ?? "not configured"})`, { ok: false, reason: "not_configured" });
  const name = input.name === undefined ? (identity.name ?? account.name) : stripNamePrefix(input.name);
  const policy: PolicyDeps = { accounts: [account], clientFor: deps.clientFor, command: OPENCLAW_OPERATOR_COMMAND, request: { timeoutMs: 10_000, ...(signal === undefined ? {} : { signal }) } };
  try {
    const target = await openManagedName(policy, name);
    if (input.action === "show" || input.action === undefined) {
      const lists = await readLists(policy, target);
      return result(formatLists(lists), { ok: true, ...lists });
    }
    if (input.sender === undefined || input.sender.trim() === "") return result(`× ${input.action} needs 'sender' (e.g. tell/alice).`, { ok: false, reason: "missing_sender" });
    const text = await changeLists(policy, target, input.action, input.sender);
    return result(text, { ok: true, action: input.action, name, sender: stripNamePrefix(input.sender) });
  } catch (err) {
    return result(`× ${describeError(err).message}`, { ok: false, error: describeError(err).message, name });
  }
}

export function createListsTool(deps: ListsToolDeps): {
  name: string;
  label: string;
  description: string;
  parameters: typeof ListsToolParameters;
  execute: (toolCallId: string, params: unknown, signal?: AbortSignal) => Promise<ListsToolResult>;
} {
  return {
    name: LISTS_TOOL_NAME,
    label: "ClawTell Lists",
    description:
      "Manage who may message you over ClawTell and who you may answer on your own — the ClawTell chat commands " +
      "'allow tell/X', 'block tell/X', 'unblock tell/X' and 'show clawtell lists'. Use it only when your human asks; tell them what changed.",
    parameters: ListsToolParameters,
    execute: (_toolCallId, params, signal) => executeLists(deps, typeof params === "object" && params !== null ? (params as Partial<ListsToolInput>) : {}, signal),
  };
}

/** Registers `clawtell_lists`: never in a turn a ClawTell sender started. */
export function createListsToolFactory(): OpenClawPluginToolFactory {
  return (ctx) => {
    if (isClawTellSenderTurn(ctx)) return null;
    return createListsTool({
      cfg: () => ctx.getRuntimeConfig?.() ?? ctx.runtimeConfig ?? ctx.config,
      clientFor,
      ...(ctx.agentId === undefined ? {} : { agentId: ctx.agentId }),
    });
  };
}
