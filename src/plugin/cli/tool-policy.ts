/**
 * Whether OpenClaw's tool policy lets agents see `clawtell_send`. The limited profiles (`minimal`, `coding`,
 * `messaging`) leave plugin tools out unless `alsoAllow` grants them; an `allow` list admits only what it names; a
 * `deny` entry removes it. Checked at the top level (`tools`) and for each routed agent (`agents.entries.<id>.tools`).
 */

import { CHANNEL_ID as PLUGIN_ID } from "../host-runtime.js";
import { SEND_TOOL_NAME } from "../send-tool.js";

/** Entries of a tool list that grant (or deny) `clawtell_send`. */
export const PLUGIN_TOOL_GRANTS = [SEND_TOOL_NAME, PLUGIN_ID, "group:plugins", "*"] as const;
const LIMITED_PROFILES = new Set(["minimal", "coding", "messaging"]);

export interface ToolPolicyScope {
  readonly path: string;
  readonly hides: boolean;
  readonly reason: string;
}

const record = (value: unknown): Record<string, unknown> | undefined => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined);
const list = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined);
const grants = (entries: readonly string[] | undefined): boolean => entries?.some((e) => (PLUGIN_TOOL_GRANTS as readonly string[]).includes(e)) === true;

function judge(path: string, tools: Record<string, unknown> | undefined): ToolPolicyScope {
  const profile = typeof tools?.["profile"] === "string" ? tools["profile"] : undefined;
  const allow = list(tools?.["allow"]);
  if (grants(list(tools?.["deny"]))) return { path, hides: true, reason: "deny lists it" };
  if (allow !== undefined && !grants(allow)) return { path, hides: true, reason: "allow does not list it" };
  if (profile !== undefined && LIMITED_PROFILES.has(profile) && allow === undefined && !grants(list(tools?.["alsoAllow"]))) {
    return { path, hides: true, reason: `profile "${profile}" leaves plugin tools out and alsoAllow does not list it` };
  }
  return { path, hides: false, reason: "visible" };
}

/** The top-level policy and each given agent's own policy, judged one by one. */
export function toolPolicyScopes(cfg: unknown, agentIds: readonly string[]): ToolPolicyScope[] {
  const root = record(cfg);
  const entries = record(record(root?.["agents"])?.["entries"]);
  const scopes = [judge("tools", record(root?.["tools"]))];
  for (const id of agentIds) {
    const own = record(record(entries?.[id])?.["tools"]);
    if (own !== undefined) scopes.push(judge(`agents.entries.${id}.tools`, own));
  }
  return scopes;
}
