/** `openclaw clawtell routes`: which name goes to which agent or target, whether it forwards, and with whose key. */

import type { Command } from "commander";
import type { ResolvedAccount } from "../../config/index.js";
import { renderTable } from "../../infra/index.js";
import { listAccountIds, resolvePluginAccount } from "../accounts.js";
import type { OperatorContext } from "./context.js";

/** A key shown without its secret: `claw_<prefix>…` (the prefix only finds the name); a key of another shape not at all. */
export const maskKey = (key: string): string => {
  const prefix = /^(claw_[A-Za-z0-9]{1,32})_./.exec(key)?.[1];
  return prefix === undefined ? "(hidden)" : `${prefix}…`;
};

export function routeRows(account: ResolvedAccount): string[][] {
  const rows = Object.entries(account.routing).map(([key, route]) => {
    const target = route.target.kind === "agent" ? `agent ${route.target.agentId}` : route.target.kind === "webhook" ? `webhook ${route.target.url}` : `command ${route.target.command}`;
    const name = key === "_default" ? "_default (any other name)" : `tell/${key}`;
    return [account.accountId, name, target, route.forward ? "yes" : "no", route.apiKey === undefined ? `account key ${maskKey(account.apiKey)}` : `own key ${maskKey(route.apiKey)}`];
  });
  // Without a route for the account's own name, it goes to the default agent.
  if (account.routing[account.name] === undefined && account.routing["_default"] === undefined) {
    rows.unshift([account.accountId, `tell/${account.name}`, "agent (default)", "yes", `account key ${maskKey(account.apiKey)}`]);
  }
  return rows;
}

export function registerRoutesCommand(parent: Command, ctx: OperatorContext): void {
  parent
    .command("routes")
    .description("the routing table: name → agent or target, 🦞 forward, reply key")
    .option("--json", "machine-readable output")
    .action((flags: { json?: boolean }) => {
      const accounts = listAccountIds(ctx.cfg).map((id) => resolvePluginAccount(ctx.cfg, id));
      if (flags.json === true) {
        const json = accounts.map((a) => ({
          accountId: a.accountId,
          ...(a.resolved === undefined ? { problem: a.problem } : { rows: routeRows(a.resolved).map(([, name, target, forward, key]) => ({ name, target, forward: forward === "yes", key })) }),
        }));
        ctx.io.out(JSON.stringify(json, null, 2));
        return;
      }
      const rows = accounts.flatMap((a) => (a.resolved === undefined ? [[a.accountId, a.name === undefined ? "?" : `tell/${a.name}`, `not configured: ${a.problem ?? "?"}`, "", ""]] : routeRows(a.resolved)));
      ctx.io.out(rows.length === 0 ? "no ClawTell accounts configured (channels.clawtell)" : renderTable(["account", "name", "goes to", "forward", "replies with"], rows));
    });
}
