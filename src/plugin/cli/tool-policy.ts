/**
 * Whether OpenClaw's tool policy lets an agent see one of our tools (`clawtell_send`, `clawtell_lists`), judged as OpenClaw layers it for that agent:
 * the profile in effect is the agent's own `tools.profile`, else the global one, and its `alsoAllow` likewise (an
 * agent's own list replaces the global one); the limited profiles (`minimal`, `coding`, `messaging`) leave plugin
 * tools out unless that `alsoAllow` grants them. Then the global and the agent's `allow` (when not empty) must each
 * admit the tool and neither `deny` may name it. Entries match case-insensitively, `*` as a wildcard. Without an
 * agent roster (`agents.entries`), `agents.defaults.tools` stands for the agent's own. Provider profiles
 * (`tools.byProvider`) and the sandbox gate are not judged.
 */

import { CHANNEL_ID as PLUGIN_ID } from "../host-runtime.js";
import { SEND_TOOL_NAME } from "../send-tool.js";

/** Entries of a tool list that grant every tool of the plugin (besides the tool's own name and wildcards such as `clawtell_*`). */
export const PLUGIN_TOOL_GRANTS = [PLUGIN_ID, "group:plugins"] as const;
const LIMITED_PROFILES = new Set(["minimal", "coding", "messaging"]);

/** Why one agent cannot see the tool, and the list to change. */
export interface ToolPolicyProblem {
  readonly agentId: string;
  readonly reason: string;
  /** The config path of the list to change (`tools.alsoAllow`, `agents.entries.main.tools.deny`, …). */
  readonly path: string;
  readonly fix: string;
}

type ToolsConfig = Record<string, unknown>;

const record = (value: unknown): ToolsConfig | undefined => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as ToolsConfig) : undefined);
const list = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined);
const glob = (pattern: string): RegExp => new RegExp(`^${pattern.trim().split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");

/** Whether a tool list names `tool`: by name, the plugin id, `group:plugins`, or a matching wildcard. */
export function namesTool(entries: readonly string[] | undefined, tool: string = SEND_TOOL_NAME): boolean {
  return (entries ?? []).some((entry) => (PLUGIN_TOOL_GRANTS as readonly string[]).includes(entry.trim().toLowerCase()) || glob(entry).test(tool));
}

/** The agent's own `tools` as OpenClaw finds it. */
function agentTools(root: ToolsConfig | undefined, agentId: string): { tools: ToolsConfig | undefined; path: string } {
  const agents = record(root?.["agents"]);
  const roster = agents?.["entries"] ?? agents?.["list"];
  if (roster === undefined) return { tools: record(record(agents?.["defaults"])?.["tools"]), path: "agents.defaults.tools" };
  if (Array.isArray(roster)) {
    const index = roster.findIndex((entry) => record(entry)?.["id"] === agentId);
    return { tools: record(record(roster[index])?.["tools"]), path: `agents.list[${index}].tools` };
  }
  return { tools: record(record(record(roster)?.[agentId])?.["tools"]), path: `agents.entries.${agentId}.tools` };
}

/** Why `agentId` cannot see `tool` (default `clawtell_send`) under `cfg`, or undefined when it can. */
export function toolProblem(cfg: unknown, agentId: string, tool: string = SEND_TOOL_NAME): ToolPolicyProblem | undefined {
  const root = record(cfg);
  const global = record(root?.["tools"]);
  const own = agentTools(root, agentId);
  const scopes: Array<[ToolsConfig | undefined, string]> = [
    [global, "tools"],
    [own.tools, own.path],
  ];
  for (const [tools, path] of scopes) {
    if (namesTool(list(tools?.["deny"]), tool)) {
      return { agentId, reason: `${path}.deny removes it`, path: `${path}.deny`, fix: `take "${tool}" (or the pattern that matches it) out of ${path}.deny` };
    }
  }
  for (const [tools, path] of scopes) {
    const allow = list(tools?.["allow"]);
    if (allow !== undefined && allow.length > 0 && !namesTool(allow, tool)) {
      return { agentId, reason: `${path}.allow does not list it`, path: `${path}.allow`, fix: `add "${tool}" to ${path}.allow` };
    }
  }
  const ownProfile = typeof own.tools?.["profile"] === "string" ? own.tools["profile"] : undefined;
  const profile = ownProfile ?? (typeof global?.["profile"] === "string" ? global["profile"] : undefined);
  if (profile === undefined || !LIMITED_PROFILES.has(profile)) return undefined;
  const ownAlsoAllow = list(own.tools?.["alsoAllow"]);
  const alsoAllow = ownAlsoAllow ?? list(global?.["alsoAllow"]);
  if (namesTool(alsoAllow, tool)) return undefined;
  // The list OpenClaw reads: the agent's own when it has one (or owns the profile), else the global one.
  const where = ownAlsoAllow !== undefined || (ownProfile !== undefined && list(global?.["alsoAllow"]) === undefined) ? own.path : "tools";
  const profilePath = ownProfile !== undefined ? `${own.path}.profile` : "tools.profile";
  return {
    agentId,
    reason: `${profilePath} "${profile}" leaves plugin tools out and ${where}.alsoAllow does not list it`,
    path: `${where}.alsoAllow`,
    fix: `add "${tool}" to ${where}.alsoAllow (${PLUGIN_TOOL_GRANTS.join(" or ")} also work)`,
  };
}
