/**
 * Which tell/ names belong to which OpenClaw agent: the names whose route sends messages to that agent, in the order
 * of `routing` (the account's own name counts for the default agent when no route and no `_default` covers it). An
 * agent sends as the first of its names unless it picks another; the prompt hints list every name with its agent.
 */

import { DEFAULT_ACCOUNT_ID, DEFAULT_AGENT_ID, resolveRoute, type ResolvedAccount } from "../config/index.js";
import { listAccountIds, resolvePluginAccount } from "./accounts.js";

/** The account's names whose messages go to `agentId`, in routing order. */
export function namesRoutedTo(account: ResolvedAccount, agentId: string): string[] {
  const id = agentId.toLowerCase();
  const names = Object.entries(account.routing)
    .filter(([key, route]) => key !== "_default" && route.target.kind === "agent" && route.target.agentId.toLowerCase() === id)
    .map(([key]) => key);
  const own = resolveRoute(account, account.name).target;
  if (own.kind === "agent" && own.agentId.toLowerCase() === id && !names.includes(account.name)) names.push(account.name);
  return names;
}

/** The account and name an agent sends as when it names neither: the first account routing a name to it, else the default. */
export function senderIdentityOf(cfg: unknown, agentId: string | undefined, accountId: string | undefined): { accountId: string; name?: string } {
  const candidates = accountId !== undefined ? [accountId] : listAccountIds(cfg);
  if (agentId !== undefined) {
    for (const id of candidates) {
      const resolved = resolvePluginAccount(cfg, id).resolved;
      const first = resolved === undefined ? undefined : namesRoutedTo(resolved, agentId)[0];
      if (first !== undefined) return { accountId: id, name: first };
    }
  }
  return { accountId: accountId ?? DEFAULT_ACCOUNT_ID };
}

/** Agent display names from `agents.entries` (or `agents.list`), by id. */
function agentLabels(cfg: unknown): Map<string, string> {
  const labels = new Map<string, string>();
  const agents = (cfg as { agents?: { entries?: unknown; list?: unknown } } | undefined)?.agents;
  const entries: Array<[string, unknown]> = Array.isArray(agents?.list)
    ? agents.list.map((e: unknown) => [String((e as { id?: unknown }).id ?? ""), e])
    : typeof agents?.entries === "object" && agents.entries !== null
      ? Object.entries(agents.entries)
      : [];
  for (const [id, entry] of entries) {
    const name = (entry as { name?: unknown } | undefined)?.name;
    if (id !== "" && typeof name === "string" && name.trim() !== "") labels.set(id, name.trim());
  }
  return labels;
}

/**
 * What an agent answering a ClawTell message is told (OpenClaw's `agentPrompt.messageToolHints`, which know the
 * account but not the agent): every name of the account with the agent it reaches, and how to reach others.
 */
export function clawTellPromptHints(cfg: unknown, accountId: string | null | undefined): string[] {
  const account = resolvePluginAccount(cfg, accountId ?? DEFAULT_ACCOUNT_ID).resolved;
  if (account === undefined) return [];
  const labels = agentLabels(cfg);
  const byAgent = new Map<string, string[]>();
  const agentsOf = new Set<string>([DEFAULT_AGENT_ID, ...Object.values(account.routing).flatMap((r) => (r.target.kind === "agent" ? [r.target.agentId] : []))]);
  for (const agentId of agentsOf) {
    const names = namesRoutedTo(account, agentId);
    if (names.length > 0) byAgent.set(agentId, names);
  }
  const lines = [...byAgent].map(([agentId, names]) => {
    const label = labels.get(agentId);
    const who = `agent "${agentId}"${label === undefined ? "" : ` (${label})`}`;
    return `- ${names.map((n) => `tell/${n}`).join(", ")} → ${who}${names.length > 1 ? `; sends as tell/${names[0] ?? ""} unless \`from\` names another` : ""}`;
  });
  return [
    "",
    "### ClawTell",
    "- Your answer to a ClawTell message goes back to its sender on its own, from the name it was sent to: just answer.",
    "- Names of this ClawTell account and the agent each one reaches (find yours by your agent id):",
    ...lines,
    "- To reach another agent later, use `clawtell_send` (`to`: their tell/ name) in a turn your human starts; `from` defaults to your own name. It is not offered while you answer a ClawTell message.",
  ];
}
