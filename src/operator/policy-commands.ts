/**
 * `allow | disallow | block | unblock <name> <sender>`, `lists [name]`, `mode <name> <mode>` and
 * `delivery-policy <name> <policy>`, for `openclaw clawtell` and the standalone `clawtell` alike: the two differ only in
 * how they find the accounts (`accounts`), the options that feed it, and the command named in hints.
 */

import { Argument, type Command } from "commander";
import type { ClawTellClient } from "../client/index.js";
import type { ResolvedAccount } from "../config/index.js";
import { isClawTellError, type Io } from "../infra/index.js";
import { COMMUNICATION_MODES, DELIVERY_POLICIES, type CommunicationMode, type DeliveryPolicy } from "../protocol/index.js";
import { changeLists, formatLists, readLists, setDeliveryPolicy, setMode, type ListAction, type NameLists } from "./policy-actions.js";
import { namesOf, openManagedName, type PolicyDeps } from "./policy-target.js";

export interface PolicyCommandsDeps<TFlags extends { account?: string }> {
  readonly io: Io;
  /** Adds the options `accounts` reads (every subcommand gets them, and `--account`). */
  readonly withOptions: (command: Command) => Command;
  /** The configured accounts the flags point at. */
  readonly accounts: (flags: TFlags) => Promise<readonly ResolvedAccount[]>;
  /** @defaultValue a client on the account's `baseUrl` and `sseUrl` (loaded on use, so the CLI starts fast) */
  readonly clientFor?: (account: ResolvedAccount, apiKey: string) => ClawTellClient;
  /** `openclaw clawtell` or `clawtell`, for hints. */
  readonly command: string;
  /** Per ClawTell call. @defaultValue 10000 */
  readonly timeoutMs?: number;
}

async function defaultClientFor(): Promise<(account: ResolvedAccount, apiKey: string) => ClawTellClient> {
  return (await import("./client-for.js")).clientFor;
}

const LIST_ACTIONS: ReadonlyArray<{ action: ListAction; description: string }> = [
  { action: "allow", description: "let tell/<sender> message <name> and get automatic replies (auto-reply and delivery allowlists)" },
  { action: "disallow", description: "take tell/<sender> off <name>'s auto-reply and delivery allowlists" },
  { action: "block", description: "refuse tell/<sender>'s messages to <name> (delivery blocklist)" },
  { action: "unblock", description: "take tell/<sender> off <name>'s delivery blocklist" },
];

export function registerPolicyCommands<TFlags extends { account?: string }>(program: Command, deps: PolicyCommandsDeps<TFlags>): void {
  const { io } = deps;
  const withOptions = (command: Command): Command => deps.withOptions(command).option("--account <id>", "only this account");
  const policyDeps = async (flags: TFlags): Promise<PolicyDeps> => ({
    accounts: await deps.accounts(flags),
    clientFor: deps.clientFor ?? (await defaultClientFor()),
    command: deps.command,
    request: { timeoutMs: deps.timeoutMs ?? 10_000 },
  });
  const open = async (name: string, flags: TFlags) => {
    const p = await policyDeps(flags);
    return { p, target: await openManagedName(p, name, flags.account) };
  };

  for (const { action, description } of LIST_ACTIONS) {
    withOptions(program.command(`${action} <name> <sender>`).description(description)).action(async (name: string, sender: string, flags: TFlags) => {
      const { p, target } = await open(name, flags);
      io.out(await changeLists(p, target, action, sender));
    });
  }

  withOptions(program.command("lists [name]").description("auto-reply mode, delivery policy and the three lists of a name (default: every configured name)"))
    .option("--json", "machine-readable output")
    .action(async (name: string | undefined, flags: TFlags & { json?: boolean }) => {
      const p = await policyDeps(flags);
      const names: Array<{ name: string; accountId: string | undefined }> =
        name !== undefined
          ? [{ name, accountId: flags.account }]
          : p.accounts.filter((a) => flags.account === undefined || a.accountId === flags.account).flatMap((a) => namesOf(a).map((n) => ({ name: n, accountId: a.accountId })));
      const all: Array<NameLists | { name: string; accountId: string | undefined; error: string }> = [];
      for (const each of names) {
        try {
          all.push(await readLists(p, await openManagedName(p, each.name, each.accountId)));
        } catch (err) {
          // Listing every name: one without a key of its own is reported, the others still shown.
          if (name !== undefined || !isClawTellError(err) || err.code !== "CT_CONFIG_INVALID") throw err;
          all.push({ name: each.name, accountId: each.accountId, error: err.message });
        }
      }
      const text = all.map((l) => ("error" in l ? `tell/${l.name}: ${l.error}` : formatLists(l))).join("\n\n");
      io.out(flags.json === true ? JSON.stringify(all, null, 2) : all.length === 0 ? "no ClawTell names are configured" : text);
    });

  withOptions(
    program
      .command("mode")
      .description("the auto-reply mode of <name>: anyone, allowlist_only (the auto-reply allowlist) or manual_only")
      .argument("<name>")
      .addArgument(new Argument("<mode>").choices(COMMUNICATION_MODES)),
  ).action(async (name: string, mode: CommunicationMode, flags: TFlags) => {
    const { p, target } = await open(name, flags);
    io.out(await setMode(p, target, mode));
  });

  withOptions(
    program
      .command("delivery-policy")
      .description("who may message <name> at all: everyone, everyone_except_blocklist, allowlist_only (the delivery allowlist) or approval_required (others wait for your approval)")
      .argument("<name>")
      .addArgument(new Argument("<policy>").choices(DELIVERY_POLICIES)),
  ).action(async (name: string, policy: DeliveryPolicy, flags: TFlags) => {
    const { p, target } = await open(name, flags);
    io.out(await setDeliveryPolicy(p, target, policy));
  });
}
