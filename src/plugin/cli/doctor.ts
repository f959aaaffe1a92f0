/**
 * `openclaw clawtell doctor`: the traps people fall into, each found with a way out —
 *   a ClawTell server that does not answer or refuses the key; a route key that belongs to another name or account
 *   (replies would go out as someone else); a routed name that is not on the account; a route to an agent OpenClaw
 *   does not have; `clawtell_send` or `clawtell_lists` hidden from agents by the tool policy.
 */

import type { Command } from "commander";
import { DEFAULT_AGENT_ID, type ResolvedAccount } from "../../config/index.js";
import { CommandExit, describeError } from "../../infra/index.js";
import type { MeResponse } from "../../protocol/index.js";
import { listAccountIds, resolvePluginAccount } from "../accounts.js";
import { LISTS_TOOL_NAME } from "../lists-tool.js";
import { SEND_TOOL_NAME } from "../send-tool.js";
import { toolProblem } from "./tool-policy.js";
import type { OperatorContext } from "./context.js";

export interface Finding {
  readonly ok: boolean;
  /** The config path the finding is about. */
  readonly field: string;
  readonly message: string;
  /** What to do about it (problems only). */
  readonly fix?: string;
}

const accountPath = (accountId: string): string => (accountId === "default" ? "channels.clawtell" : `channels.clawtell.accounts.${accountId}`);

async function me(ctx: OperatorContext, account: ResolvedAccount, apiKey: string): Promise<MeResponse | Error> {
  try {
    return await ctx.clientFor(account, apiKey).me(AbortSignal.timeout(ctx.timeoutMs ?? 5000));
  } catch (err) {
    return err instanceof Error ? err : new Error(describeError(err).message);
  }
}

async function checkAccount(ctx: OperatorContext, account: ResolvedAccount, agents: readonly string[]): Promise<Finding[]> {
  const path = accountPath(account.accountId);
  const findings: Finding[] = [];
  const owner = await me(ctx, account, account.apiKey);
  if (owner instanceof Error) {
    const unreachable = /unreachable|timed? ?out|ECONNREFUSED|fetch failed/i.test(owner.message);
    findings.push(
      unreachable
        ? { ok: false, field: `${path}.baseUrl`, message: `${account.baseUrl} does not answer: ${owner.message}`, fix: "check baseUrl (no /api at the end) and that the server runs" }
        : { ok: false, field: `${path}.apiKey`, message: `the server refused the key: ${owner.message}`, fix: "copy the key of tell/" + account.name + " again" },
    );
    return findings;
  }
  findings.push(
    owner.name === account.name
      ? { ok: true, field: `${path}.apiKey`, message: `${account.baseUrl} answers as tell/${owner.name}` }
      : { ok: false, field: `${path}.apiKey`, message: `the key is tell/${owner.name}'s, not tell/${account.name}'s`, fix: `set name to "${owner.name}" or use tell/${account.name}'s key` },
  );

  if (account.routing[account.name] === undefined && account.routing["_default"] === undefined && !agents.includes(DEFAULT_AGENT_ID)) {
    findings.push({
      ok: false,
      field: `${path}.routing`,
      message: `tell/${account.name} has no route, so its messages go to agent "${DEFAULT_AGENT_ID}", which OpenClaw does not have (agents: ${agents.join(", ")})`,
      fix: `add routing.${account.name}.agent (or routing._default.agent) naming one of those agents`,
    });
  }
  for (const [key, route] of Object.entries(account.routing)) {
    const field = `${path}.routing.${key}`;
    if (key !== "_default" && owner.names !== undefined && !owner.names.includes(key)) {
      findings.push({ ok: false, field, message: `tell/${key} is not a name of this account (it has ${owner.names.map((n) => `tell/${n}`).join(", ")})`, fix: `register tell/${key} on this account, or remove the route` });
    }
    if (route.target.kind === "agent" && !agents.includes(route.target.agentId)) {
      findings.push({ ok: false, field: `${field}.agent`, message: `no agent "${route.target.agentId}" in OpenClaw (agents: ${agents.join(", ")})`, fix: "use one of those ids, or add the agent under agents.entries" });
    }
    if (route.apiKey === undefined) continue;
    const keyOwner = await me(ctx, account, route.apiKey);
    if (keyOwner instanceof Error) {
      findings.push({ ok: false, field: `${field}.apiKey`, message: `the server refused this route's key: ${keyOwner.message}`, fix: `use tell/${key}'s key` });
    } else if (owner.accountId !== undefined && keyOwner.accountId !== undefined && keyOwner.accountId !== owner.accountId) {
      findings.push({ ok: false, field: `${field}.apiKey`, message: `the key belongs to another account (tell/${keyOwner.name})`, fix: `use the key of tell/${key} on this account` });
    } else if (key !== "_default" && keyOwner.name !== key) {
      findings.push({ ok: false, field: `${field}.apiKey`, message: `the key is tell/${keyOwner.name}'s: replies to tell/${key} would be sent as tell/${keyOwner.name}`, fix: `use tell/${key}'s key` });
    } else {
      findings.push({ ok: true, field: `${field}.apiKey`, message: `replies go out as tell/${keyOwner.name}` });
    }
  }
  return findings;
}

/** The agents an account's messages go to: each route's, and the default agent for names no route covers. */
function agentsOf(account: ResolvedAccount): string[] {
  const ids = Object.values(account.routing).flatMap((route) => (route.target.kind === "agent" ? [route.target.agentId] : []));
  if (account.routing[account.name] === undefined && account.routing["_default"] === undefined) ids.push(DEFAULT_AGENT_ID);
  return ids;
}

/** The rule of src/plugin/tool-factory.ts, as doctor states it. */
export const TOOL_TURNS_RULE = "every turn except one a ClawTell message starts (the human on any chat, owner or admitted by allowFrom, cron, the CLI)";

/** The tools the routed agents need: to answer others and start conversations, and to read and change the lists. */
const AGENT_TOOLS = [SEND_TOOL_NAME, LISTS_TOOL_NAME] as const;

/** Whether the agents that get ClawTell messages can see our tools; one finding per tool list to change. */
function checkToolPolicy(cfg: unknown, agentIds: readonly string[]): Finding[] {
  const byPath = new Map<string, { reason: string; fix: string; tools: Set<string>; agents: Set<string> }>();
  const visible = AGENT_TOOLS.filter((tool) => {
    const problems = agentIds.flatMap((id) => toolProblem(cfg, id, tool) ?? []);
    for (const p of problems) {
      const entry = byPath.get(p.path) ?? { reason: p.reason, fix: p.fix, tools: new Set<string>(), agents: new Set<string>() };
      entry.tools.add(tool);
      entry.agents.add(p.agentId);
      byPath.set(p.path, entry);
    }
    return problems.length === 0;
  });
  const who = `${agentIds.length === 1 ? "the routed agent" : "the routed agents"} (${agentIds.join(", ")})`;
  const offered: Finding[] = visible.map((tool) => ({ ok: true, field: "tools", message: `${tool} is offered to ${who} in ${TOOL_TURNS_RULE}` }));
  return [
    ...offered,
    ...[...byPath].map(([path, p]): Finding => {
      const tools = [...p.tools];
      const agents = [...p.agents];
      // Each fix names the tool it was found for (the first); with both hidden by one list, it names both.
      const fix = p.fix.replace(`"${tools[0] ?? ""}"`, tools.map((t) => `"${t}"`).join(" and "));
      return {
        ok: false,
        field: path,
        message: `${tools.join(" and ")} ${tools.length === 1 ? "is" : "are"} hidden from agent${agents.length === 1 ? "" : "s"} ${agents.join(", ")}: ${p.reason}`,
        fix,
      };
    }),
  ];
}

export async function diagnose(ctx: OperatorContext): Promise<Finding[]> {
  const ids = listAccountIds(ctx.cfg);
  if (ids.length === 0) return [{ ok: false, field: "channels.clawtell", message: "no ClawTell account is configured", fix: "set channels.clawtell.name and channels.clawtell.apiKey" }];
  const agents = ctx.agentIds();
  const findings: Finding[] = [];
  const routedAgents = new Set<string>();
  for (const id of ids) {
    const account = resolvePluginAccount(ctx.cfg, id);
    if (account.resolved === undefined) {
      findings.push({ ok: false, field: accountPath(id), message: account.problem ?? "not configured", fix: "see the configuration reference in the README" });
      continue;
    }
    for (const agentId of agentsOf(account.resolved)) routedAgents.add(agentId);
    findings.push(...(await checkAccount(ctx, account.resolved, agents)));
  }
  findings.push(...checkToolPolicy(ctx.cfg, [...routedAgents].filter((a) => agents.includes(a))));
  return findings;
}

export function registerDoctorCommand(parent: Command, ctx: OperatorContext): void {
  parent
    .command("doctor")
    .description("find configuration problems: keys, names, agents, tool policy, server")
    .action(async () => {
      const findings = await diagnose(ctx);
      for (const f of findings) ctx.io.out(f.ok ? `✓ ${f.field}: ${f.message}` : `✗ ${f.field}: ${f.message}${f.fix === undefined ? "" : `\n    → ${f.fix}`}`);
      const problems = findings.filter((f) => !f.ok).length;
      ctx.io.out(problems === 0 ? "no problems found" : `${problems} problem${problems === 1 ? "" : "s"} found`);
      if (problems > 0) throw new CommandExit(1);
    });
}
